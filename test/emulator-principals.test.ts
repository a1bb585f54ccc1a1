import assert from 'node:assert/strict';
import { PUBLIC_TEST_RESELLER } from '../src/seqr/types';
import { Harness, COFFEE, resellerContext, terminalContext } from './helpers/emulator';
import { invoice } from './helpers/seqr';

/** Principals: the seeded reseller and terminal, registration, and the codes 20, 21, 29, 33, 37, 53, 91. */

describe('SEQR emulator: principals', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ terminals: [{ id: 'short-password-till', password: 'abc' }] });
  });
  after(() => h.stop());

  const sendAs = (context: object) => h.call('sendInvoice', { context, invoice: invoice(COFFEE) });

  it('accepts the reseller user both as id + userId and as id "public_test_shop/9900"', async () => {
    const split = await h.call('registerTerminal', { context: resellerContext(), externalTerminalId: 'Till 1', password: 'secret-1', name: 'Till 1' });
    assert.equal(split.resultCode, 0);
    assert.match(split.terminalId, /^[0-9a-f]{32}$/);
    const joined = await h.call('registerTerminal', {
      context: { clientRequestTimeout: 0, initiatorPrincipalId: { id: 'public_test_shop/9900', type: 'RESELLERUSER' }, password: '1234' },
      externalTerminalId: 'Till 2',
      password: 'secret-2',
      name: 'Till 2',
    });
    assert.equal(joined.resultCode, 0);
    assert.notEqual(joined.terminalId, split.terminalId);
    assert.equal(h.emu.core.principals.terminal(joined.terminalId)?.type, 'cash-register');
    assert.equal(h.emu.core.principals.terminal('public_test_shop_terminal')?.type, 'webshop');
  });

  it('answers 37 for an unknown reseller user and 20 for a wrong reseller password', async () => {
    const register = (context: object) => h.call('markTransactionPeriod', { context });
    const reseller = (id: string, userId: string | undefined, password: string) => ({
      clientRequestTimeout: 0,
      initiatorPrincipalId: { id, type: 'RESELLERUSER', userId },
      password,
    });
    assert.equal((await register(reseller('no_such_shop', '9900', '1234'))).resultCode, 37);
    assert.equal((await register(reseller(PUBLIC_TEST_RESELLER.id, '9901', '1234'))).resultCode, 37);
    assert.equal((await register(reseller(PUBLIC_TEST_RESELLER.id, undefined, '1234'))).resultCode, 37);
    const wrong = await register(resellerContext('4321'));
    assert.deepEqual([wrong.resultCode, wrong.resultDescription], [20, 'AUTHENTICATION_FAILED']);
  });

  it('answers 29 for an unknown terminal, 20 for a wrong password, 21 for a terminal password under 4 characters', async () => {
    const unknown = await sendAs(terminalContext('8609bf533abf4a20816e8bfe76639521', 'N2YFUhKaB1ZSuVF'));
    assert.deepEqual([unknown.resultCode, unknown.resultDescription], [29, 'INVALID_INITIATOR_PRINCIPAL_ID']);
    assert.equal((await sendAs(terminalContext('public_test_shop_terminal', '1234567'))).resultCode, 20);
    assert.equal((await sendAs({ clientRequestTimeout: 0, initiatorPrincipalId: { id: 'public_test_shop_terminal', type: 'TERMINALID' } })).resultCode, 20);
    const short = await sendAs(terminalContext('short-password-till', 'abc'));
    assert.deepEqual([short.resultCode, short.resultDescription], [21, 'ACCESS_DENIED']);
    const registered = await h.registerTerminal('xyz');
    assert.equal((await h.status('1', registered.context)).resultCode, 21, 'registerTerminal accepted the short password; every call fails');
  });

  it('enforces the principal type: reseller-only and terminal-only operations answer 91 to the other', async () => {
    for (const operation of ['registerTerminal', 'markTransactionPeriod', 'executeReport']) {
      const answer = await h.call(operation, { context: terminalContext() });
      assert.deepEqual([answer.resultCode, answer.resultDescription], [91, 'UNSUPPORTED_OPERATION'], operation);
    }
    for (const operation of ['sendInvoice', 'updateInvoice', 'getPaymentStatus', 'cancelInvoice', 'commitReservation', 'submitPaymentReceipt', 'refundPayment', 'unregisterTerminal', 'assignSeqrId']) {
      const answer = await h.call(operation, { context: resellerContext(), invoiceVersion: 0 });
      assert.equal(answer.resultCode, 91, operation);
    }
    assert.equal((await h.call('getPaymentStatus', { context: { clientRequestTimeout: 0 }, invoiceVersion: 0 })).resultCode, 91, 'no principal');
    const odd = { clientRequestTimeout: 0, initiatorPrincipalId: { id: 'public_test_shop_terminal', type: 'RESELLERMSISDN' }, password: '12345678' };
    assert.equal((await sendAs(odd)).resultCode, 91);
  });

  it('unregisterTerminal: the terminal answers 33 from then on and its open invoice is cancelled', async () => {
    const till = await h.registerTerminal();
    const reference = await h.send({}, till.context);
    assert.equal((await h.call('assignSeqrId', { context: till.context, seqrId: 'GONE1' })).resultCode, 0);
    assert.equal((await h.call('unregisterTerminal', { context: till.context })).resultCode, 0);
    const after = await h.status(reference, till.context);
    assert.deepEqual([after.resultCode, after.resultDescription], [33, 'INVALID_INITIATOR_PRINCIPAL_STATE']);
    assert.equal(h.emu.core.invoices.get(reference)?.status, 'CANCELED');
    assert.equal((await h.call('unregisterTerminal', { context: till.context })).resultCode, 33);
    assert.equal(h.emu.core.principals.terminalBySeqrId('GONE1'), undefined, 'its sticker is free again');
    const other = await h.registerTerminal();
    assert.equal((await h.call('assignSeqrId', { context: other.context, seqrId: 'GONE1' })).resultCode, 0);
  });

  it('assignSeqrId: alphanumeric and unique, else 53; a terminal may re-assign its own or take a new one', async () => {
    const a = await h.registerTerminal();
    const b = await h.registerTerminal();
    const assign = (context: object, seqrId?: string) => h.call('assignSeqrId', { context, seqrId });
    assert.equal((await assign(a.context, 'SHOP1TILL4')).resultCode, 0);
    assert.equal((await assign(a.context, 'SHOP1TILL4')).resultCode, 0);
    const taken = await assign(b.context, 'shop1till4');
    assert.deepEqual([taken.resultCode, taken.resultDescription], [53, 'INVALID_SEQR_ID']);
    for (const bad of ['SHOP-1', 'shop 1', '', undefined]) assert.equal((await assign(b.context, bad)).resultCode, 53, String(bad));
    assert.equal((await assign(a.context, 'SHOP1TILL5')).resultCode, 0);
    assert.equal((await assign(b.context, 'SHOP1TILL4')).resultCode, 0, 'the old one was released');
  });
});
