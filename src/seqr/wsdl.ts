import * as path from 'node:path';

/**
 * The project's own WSDL of SEQR's cash-register service. It lives at the package root (`wsdl/`) so that
 * the compiled (`dist/seqr`) and the source (`src/seqr`) modules find it at the same relative path.
 */
export const WSDL_PATH = path.join(__dirname, '..', '..', 'wsdl', 'seqr-cashregister.wsdl');
export const SERVICE_NAME = 'ERSWSExternalClientServiceImplService';
export const PORT_NAME = 'ERSWSExternalClientServiceImplPort';
