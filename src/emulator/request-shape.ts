import { sax, type SaxParser } from '../seqr/sax';
import { SEQR_NAMESPACE } from '../seqr/types';

/*
 * The namespace rules SEQR's CXF server enforced before any operation ran (spec §1.2), checked on the raw request
 * because soap's server parses leniently: it reads elements by local name and ignores their namespaces, so a SOAP
 * 1.2 envelope, a wrapper in no or a foreign namespace and qualified children all reached the operations.
 *
 * One pass of sax in strict mode without its xmlns option: the namespace scope is kept here (declarations are rare,
 * on the Envelope and the wrapper), which halves the cost of sax's own namespace handling on the status poll, the
 * emulator's hot path. The first problem in document order wins, as in CXF's streaming reader.
 */

export const SOAP11_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_NAMESPACE = 'http://www.w3.org/2003/05/soap-envelope';
const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';

/** The Body's structure is wrong (no Body, no or several operation elements): worded as the emulator always has. */
export const NOT_ONE_OPERATION = 'the request must be a SOAP 1.1 envelope whose Body holds one operation element';

export type RequestShape =
  /** A WSDL operation in SEQR's namespace with unqualified contents: soap may dispatch it. */
  | { kind: 'operation'; operation: string }
  /** A well-formed envelope whose wrapper is in SEQR's namespace but is no WSDL operation (in-band 91). */
  | { kind: 'unknown'; operation: string }
  | { kind: 'fault'; faultcode: 'soap:Client' | 'soap:VersionMismatch'; faultstring: string };

/** The element children each element of a request may have, in schema order (from soap's description of the WSDL). */
interface ChildElements {
  readonly names: readonly string[];
  readonly byName: ReadonlyMap<string, ChildElements>;
}

type Description = Record<string, unknown>;
/** Keys soap's describe() adds beside the element names. */
const DESCRIPTION_KEYS = new Set(['targetNSAlias', 'targetNamespace']);
const NO_CHILDREN: ChildElements = { names: [], byName: new Map() };

function childElements(description: unknown, depth = 0): ChildElements {
  if (typeof description !== 'object' || description === null || depth > 32) return NO_CHILDREN;
  const names: string[] = [];
  const byName = new Map<string, ChildElements>();
  for (const [key, value] of Object.entries(description as Description)) {
    if (DESCRIPTION_KEYS.has(key)) continue;
    const name = key.endsWith('[]') ? key.slice(0, -2) : key;
    names.push(name);
    byName.set(name, childElements(value, depth + 1));
  }
  return { names, byName };
}

/** A QName as Java's QName.toString() writes it (CXF's messages use it): `{ns}local`, or `local` without namespace. */
function qname(namespace: string, local: string): string {
  return namespace === '' ? local : `{${namespace}}${local}`;
}

/** JAXB's wording for an element it has no property for (CXF prefixes it and adds a space). */
function unexpectedElement(namespace: string, local: string, expected: readonly string[]): string {
  const list = expected.length === 0 ? '(none)' : expected.map((name) => `<{}${name}>`).join(',');
  return `Unmarshalling Error: unexpected element (uri:"${namespace}", local:"${local}"). Expected elements are ${list} `;
}

/** Stops the sax pass from inside a handler once the verdict is known. */
class Verdict {
  constructor(readonly shape: RequestShape) {}
}

function fault(faultcode: 'soap:Client' | 'soap:VersionMismatch', faultstring: string): Verdict {
  return new Verdict({ kind: 'fault', faultcode, faultstring });
}

/** Namespace bindings in scope, prefix → URI ('' is the default namespace); each element's inherits its parent's. */
type Scope = Record<string, string | undefined>;
const ROOT_SCOPE: Scope = Object.assign(Object.create(null) as Scope, { '': '', xml: XML_NAMESPACE });

/** One request's walk through the document: the state of the sax pass, reset for each request. */
class ShapePass {
  private scopes: Scope[] = [ROOT_SCOPE];
  /** Local names from below the wrapper down to the current element, to name the expected elements. */
  private path: string[] = [];
  /** Of the element being opened or closed: 1 is the Envelope. */
  private depth = 0;
  private rootClosed = false;
  /** The Envelope's SOAP 1.1 Body. */
  private body: 'before' | 'open' | 'closed' = 'before';
  private wrapper: string | undefined;
  /** The wrapper is one of the WSDL's operations (its contents are checked). */
  private known = false;
  private inWrapper = false;

  constructor(private readonly operations: ReadonlyMap<string, ChildElements>) {}

  reset(): void {
    this.scopes = [ROOT_SCOPE];
    this.path = [];
    this.depth = 0;
    this.rootClosed = false;
    this.body = 'before';
    this.wrapper = undefined;
    this.known = false;
    this.inWrapper = false;
  }

  open(name: string, attributes: Record<string, string>): void {
    const parent = this.scopes[this.scopes.length - 1];
    let scope = parent;
    for (const key in attributes) {
      if (key !== 'xmlns' && !key.startsWith('xmlns:')) continue;
      if (scope === parent) scope = Object.create(parent) as Scope;
      const prefix = key.length === 5 ? '' : key.slice(6);
      const uri = attributes[key];
      if (uri === '' && prefix !== '') throw fault('soap:Client', `malformed SOAP request: empty namespace for prefix "${prefix}"`);
      scope[prefix] = uri;
    }
    this.scopes.push(scope);
    const depth = ++this.depth;
    const colon = name.indexOf(':');
    const prefix = colon < 0 ? '' : name.slice(0, colon);
    const local = colon < 0 ? name : name.slice(colon + 1);
    const namespace = scope[prefix];
    if (namespace === undefined) throw fault('soap:Client', `malformed SOAP request: Unbound namespace prefix: "${prefix}"`);

    if (depth === 1) {
      if (this.rootClosed) throw fault('soap:Client', 'malformed SOAP request: more than one root element');
      // CXF's order: a namespace at all, a SOAP version's, then the name; a 1.2 envelope is refused by version.
      if (namespace === '') throw fault('soap:VersionMismatch', `No namespace on "${local}" element.`);
      if (namespace !== SOAP11_NAMESPACE && namespace !== SOAP12_NAMESPACE) {
        throw fault('soap:VersionMismatch', `"${namespace}", the namespace on the "${local}" element, is not a valid SOAP version.`);
      }
      if (local !== 'Envelope') throw fault('soap:Client', NOT_ONE_OPERATION);
      if (namespace === SOAP12_NAMESPACE) {
        throw fault('soap:VersionMismatch', 'A SOAP 1.2 message is not valid when sent to a SOAP 1.1 only endpoint.');
      }
    } else if (depth === 2) {
      if (local === 'Body' && namespace === SOAP11_NAMESPACE) {
        // soap reads every Body it finds: a second one is a second place for an operation.
        if (this.body !== 'before') throw fault('soap:Client', NOT_ONE_OPERATION);
        this.body = 'open';
      }
    } else if (depth === 3 && this.body === 'open') {
      if (this.wrapper !== undefined) throw fault('soap:Client', NOT_ONE_OPERATION);
      const known = this.operations.has(local);
      if (namespace !== SEQR_NAMESPACE) {
        throw fault(
          'soap:Client',
          known
            ? `Unexpected wrapper element ${qname(namespace, local)} found.   Expected ${qname(SEQR_NAMESPACE, local)}.`
            : `Message part ${qname(namespace, local)} was not recognized.  (Does it exist in service WSDL?)`,
        );
      }
      this.wrapper = local;
      this.known = known;
      this.inWrapper = true;
    } else if (this.inWrapper && this.known) {
      // Below the wrapper everything is unqualified (elementFormDefault="unqualified").
      this.path.push(local);
      if (namespace !== '') {
        let expected = this.operations.get(this.wrapper ?? '') ?? NO_CHILDREN;
        for (let i = 0; i < this.path.length - 1; i++) expected = expected.byName.get(this.path[i]) ?? NO_CHILDREN;
        throw fault('soap:Client', unexpectedElement(namespace, local, expected.names));
      }
    }
  }

  close(): void {
    const depth = this.depth;
    if (this.inWrapper) {
      if (depth === 3) this.inWrapper = false;
      else if (this.known) this.path.pop();
    }
    if (depth === 2 && this.body === 'open') this.body = 'closed';
    if (depth === 1) this.rootClosed = true;
    this.scopes.pop();
    this.depth--;
  }

  /** The verdict once the whole document has been read without a fault. */
  result(): RequestShape {
    if (this.wrapper === undefined) return fault('soap:Client', NOT_ONE_OPERATION).shape;
    return { kind: this.known ? 'operation' : 'unknown', operation: this.wrapper };
  }
}

export class RequestShapeCheck {
  private readonly pass: ShapePass;
  /**
   * One parser for every request (sax resets itself at close()), its handlers set once: a fresh parser per
   * request measured about twice the cost inside the emulator, where soap's own sax parsers run beside it.
   * A fault thrown from a handler leaves it mid-document, so it is replaced then.
   */
  private parser: SaxParser | undefined;

  /** `operations`: the port's description from soap (`describe()`), operation → { input, output }. */
  constructor(operations: Record<string, { input?: unknown }>) {
    const map = new Map<string, ChildElements>();
    for (const [name, operation] of Object.entries(operations)) map.set(name, childElements(operation.input));
    this.pass = new ShapePass(map);
  }

  private newParser(): SaxParser {
    const parser = sax.parser(true);
    const pass = this.pass;
    // The handlers soap's request parser sets, in its order: sax's parsers then share one object shape, and sax's
    // code stays fast for both (with another shape both parses measured about half as fast again).
    parser.onopentag = (tag) => pass.open(tag.name, tag.attributes);
    parser.onclosetag = () => pass.close();
    parser.oncdata = () => undefined;
    parser.onerror = (error) => {
      throw fault('soap:Client', `malformed SOAP request: ${error.message.split('\n')[0]}`);
    };
    parser.ontext = () => undefined;
    return parser;
  }

  check(xml: string): RequestShape {
    const parser = (this.parser ??= this.newParser());
    this.pass.reset();
    try {
      parser.write(xml).close();
    } catch (error) {
      this.parser = undefined;
      if (error instanceof Verdict) return error.shape;
      throw error;
    }
    return this.pass.result();
  }
}
