import assert from 'node:assert/strict';
import { RESULT_CODES, resultCode, resultCodeInfo } from '../src/seqr/codes';

describe('SEQR result codes', () => {
  it('names every code SEQR defines, each once', () => {
    const names = RESULT_CODES.map((c) => c.name);
    assert.equal(new Set(names).size, names.length);
    assert.equal(resultCodeInfo(98).sentence, 'Sum of refunds can not be more than original transaction.');
    assert.equal(resultCode('INVOICE_ALREADY_CANCELED'), 95);
    assert.equal(resultCode('PAYMENT_ALREADY_CANCELLED'), 55);
  });

  it('marks only busy and unavailable as transient', () => {
    assert.deepEqual(RESULT_CODES.filter((c) => c.transient).map((c) => c.code), [93, 94]);
  });

  it('names an unknown code the way SEQR\'s client library did', () => {
    assert.equal(resultCodeInfo(77).name, 'UNKNOWN ERSWSResultCode = 77');
    assert.throws(() => resultCode('NO_SUCH_CODE'), /unknown SEQR result code name NO_SUCH_CODE/);
  });
});
