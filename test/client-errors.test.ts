import assert from 'node:assert/strict';
import { SeqrError, SeqrTransportError } from '../src/seqr/errors';

describe('SEQR error types', () => {
  it('SeqrError names the operation, the code, its name and sentence, and whether to retry', () => {
    const busy = new SeqrError('sendInvoice', 93);
    assert.equal(busy.name, 'SeqrError');
    assert.equal(busy.operation, 'sendInvoice');
    assert.equal(busy.code, 93);
    assert.equal(busy.codeName, 'SYSTEM_BUSY');
    assert.equal(busy.sentence, 'SEQR is busy; try again shortly.');
    assert.equal(busy.transient, true);
    assert.equal(busy.message, 'SEQR sendInvoice: SEQR is busy; try again shortly. (result code 93 SYSTEM_BUSY)');
    assert.ok(busy instanceof Error);

    const unknown = new SeqrError('getPaymentStatus', 77);
    assert.equal(unknown.codeName, 'UNKNOWN ERSWSResultCode = 77');
    assert.equal(unknown.transient, false);
  });

  it('SeqrTransportError says what failed in words and carries the details', () => {
    const error = new SeqrTransportError('cancelInvoice', 'fault', { statusCode: 500, faultCode: 'soap:Client', faultString: 'Unmarshalling Error' });
    assert.equal(error.message, 'SEQR cancelInvoice: the service answered with a SOAP fault (HTTP 500; soap:Client: Unmarshalling Error)');
    assert.equal(error.retryable, false);
    assert.equal(new SeqrTransportError('x', 'http', { statusCode: 503 }).retryable, true);
    assert.equal(new SeqrTransportError('x', 'parse').message, 'SEQR x: the answer was not a SEQR response');
    assert.equal(new SeqrTransportError('x', 'closed').retryable, false);
  });
});
