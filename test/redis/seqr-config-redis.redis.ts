/**
 * seqr-config with its ledger in Redis, under node-red-node-test-helper against a real redis-server: the Redis URL
 * is checked at deploy, the Redis password is a credential that reaches Redis and no log line, and a Redis that
 * refuses the password makes the configuration say its ledger is not replicated, nothing more.
 */
import assert from 'node:assert/strict';
import { startEmulator, type EmulatorHandle } from '../../src/emulator';
import type { SeqrConfigNode } from '../../src/nodes/config-types';
import { helper, NODE_MODULES, TAB, callsOf, everythingLogged, nextMessage, type TestNode } from '../helpers/node-red';
import { eventually, pause } from '../helpers/time';
import { RedisServer } from '../helpers/redis-server';

const TERMINAL = { id: 'redis-config-terminal', password: 'Cfg-redis-pw-1' };
const REDIS_PASSWORD = 'redis-config-secret-77';

describe('redis: seqr-config with the ledger in Redis', function () {
  this.timeout(30_000);
  let emulator: EmulatorHandle;
  const redis = new RedisServer(REDIS_PASSWORD);

  before(async function () {
    emulator = await startEmulator({ port: 0, terminals: [{ ...TERMINAL, type: 'webshop' }] });
    await redis.start();
    await helper.startServer();
  });
  after(async function () {
    await helper.stopServer();
    await emulator.stop();
    await redis.dispose();
  });
  afterEach(() => helper.unload());

  async function load(settings: Record<string, unknown>, redisPassword?: string): Promise<SeqrConfigNode & TestNode> {
    await helper.load(
      [NODE_MODULES.config],
      [TAB, { id: 'cfg', type: 'seqr-config', name: 'redis SEQR', endpoint: emulator.url, ledgerBackend: 'redis', ...settings }],
      { cfg: { principalId: TERMINAL.id, password: TERMINAL.password, ...(redisPassword ? { redisPassword } : {}) } },
    );
    return helper.getNode('cfg') as unknown as SeqrConfigNode & TestNode;
  }

  it('refuses a Redis URL that is not redis:// or rediss://, naming the field and the fix', async function () {
    const config = await load({ redisUrl: 'http://127.0.0.1:6379' });
    assert.equal(config.problem?.field, 'redisUrl');
    assert.match(config.problem?.message ?? '', /Redis URL must start with redis:\/\/ or rediss:\/\//);
  });

  it('keeps the ledger in Redis with the credential password, which no log line shows', async function () {
    const config = await load({ redisUrl: redis.url }, REDIS_PASSWORD);
    await config.ledger.ready;
    assert.equal(config.problem, undefined);
    assert.ok(config.ledger.isShared);
    assert.match(config.ledger.location, new RegExp(`^redis://127\\.0\\.0\\.1:${redis.port}/0 \\(seqr-ledger:\\{cfg\\}\\)$`));
    await config.ledger.recordInvoice('7001', { msg: { payload: 'x' } });
    config.ledger.finish('7001');
    const logged = everythingLogged();
    assert.ok(!logged.includes(REDIS_PASSWORD), 'the Redis password is in no log line');
    assert.match(logged, /Payment ledger redis:\/\/127\.0\.0\.1:\d+\/0 \(seqr-ledger:\{cfg\}\): 0 open invoice/);
  });

  it('a refused password: the ledger says it is not replicated, without the password, and nothing crashes', async function () {
    const config = await load({ redisUrl: redis.url }, 'the-wrong-redis-password');
    await config.ledger.ready;
    await config.ledger.recordInvoice('7002', { msg: { payload: 'x' } });
    await pause(100);
    const warnings = callsOf(config, 'warn').map((args) => String(args[0]));
    assert.ok(warnings.some((text) => /not replicated/.test(text)), warnings.join('\n'));
    const logged = everythingLogged();
    assert.ok(!logged.includes('the-wrong-redis-password') && !logged.includes(REDIS_PASSWORD));
    assert.ok(config.ledger.get('7002'), 'the invoice is recorded here and polled here meanwhile');
  });
  it('a status node whose Redis goes away says its watches are not replicated, polls on, and says so no more once Redis is back', async function () {
    this.timeout(60_000);
    await helper.load(
      [NODE_MODULES.config, NODE_MODULES.sendInvoice, NODE_MODULES.paymentStatus],
      [
        TAB,
        { id: 'cfg', type: 'seqr-config', name: 'redis SEQR', endpoint: emulator.url, ledgerBackend: 'redis', redisUrl: redis.url },
        { id: 'send', z: TAB.id, type: 'seqr-send-invoice', seqr: 'cfg', wires: [['status']] },
        { id: 'status', z: TAB.id, type: 'seqr-payment-status', seqr: 'cfg', wires: [['paid'], [], []] },
        { id: 'paid', z: TAB.id, type: 'helper' },
      ],
      { cfg: { principalId: TERMINAL.id, password: TERMINAL.password, redisPassword: REDIS_PASSWORD } },
    );
    const config = helper.getNode('cfg') as unknown as SeqrConfigNode & TestNode;
    await config.ledger.ready;
    const status = helper.getNode('status') as unknown as TestNode;
    const lastStatus = () => (callsOf(status, 'status').at(-1)?.[0] ?? {}) as { fill?: string; text?: string };
    const paid = nextMessage<{ payload: { status: string; invoiceReference: string } }>(helper.getNode('paid') as unknown as TestNode, () => undefined, 50_000);
    (helper.getNode('send') as unknown as TestNode).receive({ payload: { amount: '12.00', currency: 'SEK' } } as never);
    await eventually(() => assert.equal(lastStatus().text, 'watching 1'), 10_000);

    await redis.stop('SIGKILL');
    try {
      // The lease renewal (every second) finds Redis gone.
      await eventually(() => assert.deepEqual(lastStatus(), { fill: 'yellow', shape: 'ring', text: 'watching 1, not replicated (Redis unreachable)' }), 10_000);
    } finally {
      await redis.start();
    }
    await eventually(() => assert.equal(lastStatus().text, 'watching 1'), 20_000);
    const [open] = await emulator.payer.invoices();
    await emulator.payer.pay(open.invoiceReference);
    assert.equal((await paid).payload.status, 'PAID', 'polled on through the outage, and paid');
  });
});
