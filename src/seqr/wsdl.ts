import * as path from 'node:path';

/**
 * The project's own WSDL of SEQR's cash-register service. It lives at the package root (`wsdl/`) so that
 * the compiled (`dist/seqr`) and the source (`src/seqr`) modules find it at the same relative path.
 * Laid out as SEQR's CXF server published it (spec §1.2): this document holds the binding and the service,
 * named in SERVICE_NAMESPACE, and imports WSDL_INTERFACE_FILE beside it, which holds the schema, messages and
 * port type in SEQR_NAMESPACE (the namespace of every element on the wire).
 */
export const WSDL_PATH = path.join(__dirname, '..', '..', 'wsdl', 'seqr-cashregister.wsdl');
/** The imported half's file name, as CXF served it: `<address>?wsdl=ERSWSExternalClientService.wsdl`. */
export const WSDL_INTERFACE_FILE = 'ERSWSExternalClientService.wsdl';
export const WSDL_INTERFACE_PATH = path.join(path.dirname(WSDL_PATH), WSDL_INTERFACE_FILE);
/** The namespace of the live service's service and port QNames (and of nothing on the wire). */
export const SERVICE_NAMESPACE = 'http://externalclientservice.cashregister.seamless.com/';
export const SERVICE_NAME = 'ERSWSExternalClientServiceImplService';
export const PORT_NAME = 'ERSWSExternalClientServiceImplPort';
