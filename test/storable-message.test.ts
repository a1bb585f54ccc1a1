import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { fromStorable, toStorable } from '../src/watcher/storable-message';

describe('storable messages (what a watch keeps of its message)', () => {
  it('keeps plain data, Buffers and Dates exactly and through JSON', () => {
    const msg = {
      _msgid: 'abc',
      payload: { invoiceReference: 'R1', amount: '149.90', rows: [1, 'two', null, { deep: true }] },
      order: { id: 42, when: new Date('2026-11-27T10:15:00.000Z') },
      qr: Buffer.from('png bytes'),
      topic: 'sale',
    };
    const stored = toStorable(msg);
    assert.deepEqual(stored.lost, []);
    const throughJson = JSON.parse(JSON.stringify(stored));
    const back = fromStorable(throughJson);
    assert.deepEqual(back, msg);
    assert.ok(Buffer.isBuffer(back.qr), 'a Buffer again');
    assert.ok((back.order as { when: unknown }).when instanceof Date, 'a Date again');
  });

  it('drops whole top-level properties that cannot be stored and names them', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const msg = {
      payload: 'R2',
      req: new Socket(),
      res: { _res: new Socket(), send: () => undefined },
      callback: () => undefined,
      loop: circular,
      big: { n: 10n },
      nan: Number.NaN,
      map: new Map([[1, 2]]),
      fine: { shared: { x: 1 } },
    };
    (msg.fine as Record<string, unknown>).again = msg.fine.shared; // shared, not circular: storable
    const stored = toStorable(msg);
    assert.deepEqual(stored.lost, ['req', 'res', 'callback', 'loop', 'big', 'nan', 'map']);
    assert.deepEqual(stored.message, { payload: 'R2', fine: { shared: { x: 1 }, again: { x: 1 } } });
    assert.doesNotThrow(() => JSON.stringify(stored));
  });

  it('does not share objects with the live message', () => {
    const msg = { payload: { invoiceReference: 'R3' } };
    const stored = toStorable(msg);
    msg.payload.invoiceReference = 'changed later downstream';
    assert.equal((stored.message.payload as { invoiceReference: string }).invoiceReference, 'R3');
    const first = fromStorable(stored);
    (first.payload as { invoiceReference: string }).invoiceReference = 'x';
    assert.equal((fromStorable(stored).payload as { invoiceReference: string }).invoiceReference, 'R3');
  });
});
