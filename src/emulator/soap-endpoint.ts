import * as fs from 'node:fs';
import * as soap from 'soap';
import { resultCodeInfo } from '../seqr/codes';
import { SEQR_NAMESPACE, SERVICE_PATHS } from '../seqr/types';
import { PORT_NAME, SERVICE_NAME, WSDL_INTERFACE_FILE, WSDL_INTERFACE_PATH, WSDL_PATH } from '../seqr/wsdl';
import type { EmulatorCore } from './core';
import { RequestShapeCheck, SOAP11_NAMESPACE } from './request-shape';
import { seqrServices } from './soap-service';

const SOAP_ENV = SOAP11_NAMESPACE;
const WSDL_TEXT = fs.readFileSync(WSDL_PATH, 'utf8');
/** The imported half (schema, messages, port type): the same for every address, served as it is. */
export const WSDL_INTERFACE_TEXT = fs.readFileSync(WSDL_INTERFACE_PATH, 'utf8');
/** The import as the file has it; served, it names the emulator's own `?wsdl=` address, as CXF's did. */
const WSDL_IMPORT_LOCATION = `location="${WSDL_INTERFACE_FILE}"`;
if (!WSDL_TEXT.includes(WSDL_IMPORT_LOCATION)) throw new Error(`${WSDL_PATH} does not import ${WSDL_INTERFACE_FILE}`);

/** Decimals and dateTimes stay text: money never passes through a binary float, dates are echoed as sent. */
const KEEP_TEXT = (value: string) => value;
const CUSTOM_DESERIALIZER = { decimal: KEEP_TEXT, dateTime: KEEP_TEXT, date: KEEP_TEXT };

export interface SoapAnswer {
  status: number;
  body: string;
}

/** What soap's log hook learnt about one request (passed through as the serverless request's `connection`). */
interface SoapCall {
  /** soap could not parse the request. */
  error?: unknown;
}

type Loose = Record<string, unknown>;

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A SOAP 1.1 fault (soap's own faults for bad input are SOAP 1.2-shaped inside a 1.1 envelope). */
export function soapFault(faultcode: 'soap:Client' | 'soap:Server' | 'soap:VersionMismatch', faultstring: string): SoapAnswer {
  return {
    status: 500,
    body:
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_ENV}"><soap:Body><soap:Fault>` +
      `<faultcode>${faultcode}</faultcode><faultstring>${escapeXml(faultstring)}</faultstring>` +
      '</soap:Fault></soap:Body></soap:Envelope>',
  };
}

/** The in-band answer SEQR gives an operation it does not support: resultCode 91 in `<name>Response/return`. */
function unsupported(operation: string): SoapAnswer {
  const info = resultCodeInfo(91);
  return {
    status: 200,
    body:
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_ENV}"><soap:Body>` +
      `<ns2:${operation}Response xmlns:ns2="${SEQR_NAMESPACE}"><return><resultCode>${info.code}</resultCode>` +
      `<resultDescription>${info.name}</resultDescription></return></ns2:${operation}Response></soap:Body></soap:Envelope>`,
  };
}

function describe(error: unknown): string {
  const fault = (error as { Fault?: Loose } | undefined)?.Fault;
  const detail = fault ? String(fault.detail ?? fault.faultstring ?? '') : error instanceof Error ? error.message : String(error);
  return detail.replace(/^Error: /, '').split('\n')[0];
}

/**
 * SEQR's SOAP endpoint, built on soap's server (`soap.listen` without an HTTP server of its own: the emulator's
 * HTTP layer routes both service paths, the payer API and `?wsdl` itself). Every WSDL operation is dispatched
 * by soap; child element order does not matter to its parser.
 *
 * soap's parser ignores namespaces, so each request is first checked as SEQR's CXF server read it (see
 * request-shape.ts): what CXF refused gets CXF's SOAP 1.1 fault (HTTP 500), a Body element in SEQR's namespace
 * that is no operation of the WSDL gets SEQR's in-band answer 91 UNSUPPORTED_OPERATION, and only the rest
 * reaches soap.
 */
export class SoapEndpoint {
  private readonly wsdlByAddress = new Map<string, string>();
  private readonly shape: RequestShapeCheck;

  private constructor(private readonly server: soap.Server) {
    server.log = (type, data, req) => {
      if (type === 'error') (req.connection as unknown as SoapCall).error = data;
    };
    // soap keeps its parsed WSDL private; its description names every request element's children.
    const description = (server as unknown as { wsdl: soap.WSDL }).wsdl.describeServices() as Record<
      string,
      Record<string, Record<string, { input?: unknown }>>
    >;
    this.shape = new RequestShapeCheck(description[SERVICE_NAME][PORT_NAME]);
  }

  static create(core: EmulatorCore): Promise<SoapEndpoint> {
    return new Promise((resolve, reject) => {
      // soap hands these options to its WSDL parser too, which reads customDeserializer (typed on client options only).
      const options: soap.IServerOptions & Pick<soap.IOptions, 'customDeserializer'> = {
        path: SERVICE_PATHS[0],
        services: seqrServices(core),
        xml: WSDL_TEXT,
        // The WSDL imports its port type's half by a relative location, resolved against this path.
        uri: WSDL_PATH,
        suppressStack: true,
        customDeserializer: CUSTOM_DESERIALIZER,
        callback: (error: unknown, server: soap.Server) => (error ? reject(error) : resolve(new SoapEndpoint(server))),
      };
      soap.listen(null, options);
    });
  }

  /** Answers one SOAP request. SOAPAction is not passed on: like SEQR, the emulator dispatches on the Body. */
  async handle(xml: string, url: string, contentType: string | undefined): Promise<SoapAnswer> {
    const shape = this.shape.check(xml);
    if (shape.kind === 'fault') return soapFault(shape.faultcode, shape.faultstring);
    if (shape.kind === 'unknown') return unsupported(shape.operation);
    const call: SoapCall = {};
    const answer = await this.server.processRequest(xml, {
      url,
      method: 'POST',
      headers: contentType === undefined ? {} : { 'content-type': contentType },
      connection: call,
    });
    if (call.error !== undefined) return soapFault('soap:Client', `malformed SOAP request: ${describe(call.error)}`);
    return { status: answer.statusCode, body: answer.body };
  }

  /**
   * The WSDL with soap:address set to the address it was fetched from (each service path names itself), and
   * its import pointing at that address's `?wsdl=ERSWSExternalClientService.wsdl`.
   */
  wsdlFor(address: string): string {
    let wsdl = this.wsdlByAddress.get(address);
    if (wsdl === undefined) {
      if (this.wsdlByAddress.size >= 32) this.wsdlByAddress.clear();
      wsdl = WSDL_TEXT.replace(/(<soap:address\s+location=")[^"]*(")/, `$1${escapeXml(address)}$2`).replace(
        WSDL_IMPORT_LOCATION,
        `location="${escapeXml(`${address}?wsdl=${WSDL_INTERFACE_FILE}`)}"`,
      );
      this.wsdlByAddress.set(address, wsdl);
    }
    return wsdl;
  }
}
