import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { SeqrClient } from '../src/seqr/client';
import { SeqrTransportError, redact } from '../src/seqr/errors';
import { extractFault } from '../src/seqr/transport';
import { buildInvoice } from '../src/seqr/invoice';
import { Servers, failure } from './helpers/loopback';
import { ECHO_MARK, ECHO_PLACES, PROBE_PASSWORDS, assertNoPasswordForm, encodingsOf, probeTag, startPasswordEcho, type EchoPlace } from './helpers/password-echo';

/*
 * Password probes through the library: a loopback endpoint echoes the password in each encoding at each place
 * of its answer (test/helpers/password-echo.ts); every error of the fast path (getPaymentStatus), the soap
 * path (cancelInvoice, sendInvoice) and registerTerminal's new password must hold no form of it, however it
 * is looked at: message, stack, util.inspect, JSON.stringify.
 */

const TERMINAL_ID = 'till-probe';

/** Places whose text the error quotes: there the mark proves the echo reached the error and was redacted. */
const QUOTED: ReadonlySet<EchoPlace> = new Set(['faultstring', 'faultstring-raw', 'faultcode', 'fault-in-200', 'reason-phrase']);

function views(error: unknown): string[] {
  return [
    String(error),
    (error as Error).stack ?? '',
    inspect(error, { depth: Infinity, showHidden: true }),
    JSON.stringify(error) ?? '',
    JSON.stringify({ ...(error as object), message: (error as Error).message }),
  ];
}

describe('password probes through SeqrClient', () => {
  const servers = new Servers();
  const clients: SeqrClient[] = [];
  after(async () => {
    for (const made of clients) made.close();
    await servers.stopAll();
  });

  for (const password of PROBE_PASSWORDS) {
    it(`no form of ${JSON.stringify(password)} in any error, from any echo`, async () => {
      const echo = await startPasswordEcho(servers, password, TERMINAL_ID);
      const seqr = new SeqrClient({ endpoint: echo.url, principal: { type: 'TERMINALID', id: TERMINAL_ID, password } });
      clients.push(seqr);
      let probes = 0;
      for (const place of ECHO_PLACES) {
        for (const encoding of Object.keys(encodingsOf(password, TERMINAL_ID))) {
          const tag = probeTag(place, encoding);
          const errors = await Promise.all([
            failure(seqr.getPaymentStatus(tag, 0)),
            failure(seqr.cancelInvoice(tag)),
            failure(seqr.sendInvoice(buildInvoice('10.00', { currency: 'SEK', title: tag }))),
          ]);
          for (const error of errors) {
            assert.ok(error instanceof SeqrTransportError, `${place}/${encoding}: ${String(error)}`);
            assertNoPasswordForm(views(error), password, TERMINAL_ID, `${place}/${encoding} (${error.operation}, ${error.kind})`);
            if (QUOTED.has(place)) assert.ok(error.message.includes(ECHO_MARK), `${place}/${encoding}: the echo reached the error: ${error.message}`);
            probes++;
          }
        }
      }
      assert.equal(echo.requests(), probes, 'every probe reached the endpoint');
    });
  }

  it("no form of registerTerminal's new password in its errors", async () => {
    const newPassword = PROBE_PASSWORDS[0];
    const echo = await startPasswordEcho(servers, newPassword, 'new-till');
    const reseller = new SeqrClient({ endpoint: echo.url, principal: { type: 'RESELLERUSER', id: 'shop', userId: '9900', password: 'Res-pw-4471' } });
    clients.push(reseller);
    for (const place of ECHO_PLACES) {
      for (const encoding of Object.keys(encodingsOf(newPassword, 'new-till'))) {
        const error = await failure<SeqrTransportError>(reseller.registerTerminal(probeTag(place, encoding), newPassword, 'Probe till'));
        assert.ok(error instanceof SeqrTransportError, String(error));
        assertNoPasswordForm(views(error), newPassword, 'new-till', `${place}/${encoding}`);
      }
    }
  });

  it('redact keeps the text around a secret and removes mixed and repeated forms', () => {
    const secret = 'Cnry-7Q2x&<Z9>k';
    assert.equal(redact('login Cnry-7Q2x&amp;&lt;Z9>k failed', [secret]), 'login *** failed');
    assert.equal(redact('a Cnry-7Q2x&#38;&#x3c;Z9&#X3E;k b Cnry%2D7Q2x%2526%3cZ9%3Ek c', [secret]), 'a *** b *** c');
    // In a longer base64 text (a Basic credential of any user id) the whole base64 word goes.
    const basic = Buffer.from(`someone-else:${secret}`).toString('base64');
    assert.equal(redact(`Authorization: Basic ${basic}, retry`, [secret]), 'Authorization: Basic ***, retry');
    // White space in a password matches any run of white space (the text is folded to single spaces after).
    assert.equal(redact('pw was "two\n\twords" ok', ['two words']), 'pw was "***" ok');
    assert.equal(redact('pw was two+words ok', ['two words']), 'pw was *** ok');
    // An escaped <password> element echoed back loses its content, whatever it holds.
    assert.equal(redact('got &lt;password&gt;other&lt;/password&gt;', []), 'got &lt;password&gt;***&lt;/password&gt;');
  });

  it('takes linear time on hostile texts of an answer limit (4 MiB), for fault reading and redaction alike', () => {
    const secret = 'Cnry-7Q2x&<Z9>k';
    const fill = (unit: string) => unit.repeat(Math.floor((4 * 2 ** 20) / unit.length));
    // Each of these took seconds to minutes with a lazy `[\s\S]*?` or an unbounded repetition (quadratic).
    const texts = [
      '<Fault>' + fill('<faultstring>'),
      '<Fault><faultstring>' + fill('<') + '</faultstring>',
      '<Fault>' + fill('<faultstring a'),
      fill('<password>'),
      fill('<password '),
      fill('&lt;password '),
      fill('\\'),
      fill('%25'),
      fill('&#38;'),
      fill('+'),
    ];
    for (const text of texts) {
      const started = Date.now();
      const fault = extractFault(text);
      const shown = redact(text, [secret, ' leading space', '&&&&&&&&&']);
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 3000, `${JSON.stringify(text.slice(0, 30))}…: ${elapsed} ms`);
      assert.ok(shown.length <= 300 && (fault?.faultString.length ?? 0) <= 64 * 1024, 'bounded results');
    }
  });
});
