import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { extractFault } from '../src/seqr/transport';
import { decodeXmlText, localName, readElementTexts, readMarkup } from '../src/seqr/xml-reading';

/**
 * The XML reading shared by the status fast path and the fault reader, on the inputs a hostile or broken
 * endpoint can send: any prefix, references, CDATA, faults inside faults, garbage, and sizes meant to make a
 * careless reader slow.
 */
const PARTS = ['faultcode', 'faultstring', 'Value', 'Text'] as const;

describe('XML reading helper', () => {
  it('reads each piece of markup and where it ends', () => {
    assert.deepEqual(readMarkup('<s:Body xmlns:s="u">', 0), { kind: 'open', name: 's:Body', tag: 's:Body xmlns:s="u"', end: 20 });
    assert.deepEqual(readMarkup('x<a/>', 1), { kind: 'empty', name: 'a', tag: 'a', end: 5 });
    assert.deepEqual(readMarkup('</s:Body >', 0), { kind: 'close', name: 's:Body', end: 10 });
    assert.deepEqual(readMarkup('<![CDATA[a<b>&amp;]]>', 0), { kind: 'cdata', text: 'a<b>&amp;', end: 21 });
    assert.deepEqual(readMarkup('<?xml version="1.0"?>', 0), { kind: 'instruction', end: 21 });
    assert.deepEqual(readMarkup('<!-- c -->', 0), { kind: 'comment', end: 10 });
    assert.deepEqual(readMarkup('<!DOCTYPE x [<!ENTITY e "<b>">]><a/>', 0), { kind: 'doctype', end: 32 });
    for (const cut of ['<a', '</a', '<!-- x', '<![CDATA[x', '<?xml', '<!DOCTYPE x [ <!ENTITY e "x">']) {
      assert.equal(readMarkup(cut, 0).end, -1, cut);
    }
  });

  it('names elements without their prefixes', () => {
    assert.equal(localName('soap:Fault'), 'Fault');
    assert.equal(localName('Fault'), 'Fault');
    assert.equal(localName('a.b-c:Text'), 'Text');
  });

  it('decodes the predefined and numeric references only: declared entities are never expanded', () => {
    assert.equal(decodeXmlText('a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#65;&#x42;'), 'a <b> & "c" \'d\' AB');
    assert.equal(decodeXmlText('&lol; &#x110000; &#99999999999;'), '&lol; &#x110000; &#99999999999;');
    const bomb = '<!DOCTYPE f [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>' +
      '<Fault><faultcode>&b;</faultcode><faultstring>x</faultstring></Fault>';
    assert.deepEqual(readElementTexts(bomb, 'Fault', PARTS), { faultcode: '&b;', faultstring: 'x' });
  });

  it('reads fault parts under any prefix or none, with CDATA, references and tags inside', () => {
    const soap11 = '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><env:Fault>' +
      '<faultcode>env:Server</faultcode><faultstring xml:lang="en">no <b>such</b> &amp; <![CDATA[<raw> & ]]>thing</faultstring>' +
      '</env:Fault></env:Body></env:Envelope>';
    assert.deepEqual(extractFault(soap11), { faultCode: 'env:Server', faultString: 'no  such  & <raw> & thing' });
    const soap12 = '<Envelope><Body><Fault><Code><Value>Sender</Value><Subcode><Value>inner</Value></Subcode></Code>' +
      '<Reason><Text>bad</Text></Reason></Fault></Body></Envelope>';
    assert.deepEqual(extractFault(soap12), { faultCode: 'Sender', faultString: 'bad' });
    assert.deepEqual(extractFault('<S:Fault/>'), { faultCode: '', faultString: '' });
    assert.deepEqual(readElementTexts('<Fault><faultcode/><faultstring></faultstring></Fault>', 'Fault', PARTS), { faultcode: '', faultstring: '' });
  });

  it('reads the outer fault of nested ones, and nothing outside the first fault', () => {
    const nested = '<Body><faultstring>before</faultstring><Fault><faultcode>outer</faultcode><detail><Fault>' +
      '<faultcode>inner</faultcode><faultstring>inner text</faultstring></Fault></detail>' +
      '<faultstring>outer text</faultstring></Fault><Fault><faultstring>second</faultstring></Fault></Body>';
    assert.deepEqual(extractFault(nested), { faultCode: 'outer', faultString: 'outer text' });
    const ordered = '<Fault><faultcode>c</faultcode><faultstring>s</faultstring><detail><Fault><faultstring>deep</faultstring></Fault></detail></Fault>';
    assert.deepEqual(extractFault(ordered), { faultCode: 'c', faultString: 's' });
    assert.equal(extractFault('<Body><faultcode>x</faultcode></Body>'), undefined, 'no Fault element');
  });

  it('never throws on garbage, cut-off or unbalanced input', () => {
    const inputs = [
      '', '<', '>', '<<<>>>', '</Fault>', '<Fault', '<Fault><faultcode>x', '<Fault><faultcode>x</Fault>', '</a></b><Fault>',
      '<Fault></faultcode></faultcode></Fault><faultcode>late</faultcode>', '<![CDATA[<Fault>', '<!-- <Fault> -->',
      '\u0000\uffff<Fault>\ud800</Fault>', 'HTTP/1.1 500 <html><body>oops</body></html>', '<Fault><![CDATA[', '<Fault><!DOCTYPE',
    ];
    for (const input of inputs) {
      assert.doesNotThrow(() => readElementTexts(input, 'Fault', PARTS), input);
      assert.doesNotThrow(() => extractFault(input), input);
    }
    assert.equal(extractFault('<!-- <Fault> -->'), undefined, 'a fault in a comment is no fault');
    assert.equal(extractFault('<![CDATA[<Fault>]]>'), undefined, 'nor one in CDATA');
    for (let seed = 1; seed <= 300; seed++) {
      const junk = randomMarkup(seed);
      assert.doesNotThrow(() => readElementTexts(junk, 'Fault', PARTS), junk);
    }
  });

  it('stays linear on hostile sizes: many opens, deep nesting, no closing', () => {
    const cases = [
      `<Fault>${'<faultstring>'.repeat(200_000)}`,
      `<Fault>${'<a>'.repeat(300_000)}<faultcode>deep</faultcode>${'</a>'.repeat(300_000)}</Fault>`,
      `<Fault><faultcode>${'<'.repeat(500_000)}`,
      `<Fault>${'<!--'.repeat(200_000)}`,
      `${'<![CDATA['.repeat(200_000)}`,
      `<Fault>${'<!DOCTYPE x>'.repeat(200_000)}`,
      `${'<a b="'.repeat(200_000)}>`,
      `<Fault><faultstring>${'&amp;'.repeat(200_000)}</faultstring></Fault>`,
    ];
    for (const xml of cases) {
      const started = performance.now();
      readElementTexts(xml, 'Fault', PARTS);
      const ms = performance.now() - started;
      // Linear work on a few MB takes tens of ms; a quadratic scan would take minutes. The margin is for a busy machine.
      assert.ok(ms < 2000, `${xml.slice(0, 30)}…: ${ms.toFixed(0)} ms`);
    }
    assert.deepEqual(readElementTexts(cases[1], 'Fault', PARTS), { faultcode: 'deep' });
  });
});

/** Deterministic junk made of XML's own pieces, so that it reaches every branch of the scanner. */
function randomMarkup(seed: number): string {
  const pieces = ['<', '>', '/', '</', '/>', '<Fault>', '</Fault>', '<faultcode>', '</faultcode>', '<s:Text>', '<![CDATA[', ']]>', '<!--', '-->', '<?', '?>', '<!DOCTYPE', '[', ']', '&amp;', '&#x', ';', 'text', ' '];
  let state = seed;
  let out = '';
  for (let i = 0; i < 40; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += pieces[state % pieces.length];
  }
  return out;
}
