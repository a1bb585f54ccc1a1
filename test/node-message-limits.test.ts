import assert from 'node:assert/strict';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { MAX_MESSAGE_DEPTH, MAX_MESSAGE_VALUES, oversizedProperties } from '../src/nodes/message-limits';
import { PUBLIC_TEST_TERMINAL } from '../src/seqr/types';
import { NodeRedProcess } from './helpers/node-red-process';

/*
 * Messages too deep to copy, in a real Node-RED (the CLI): Node-RED copies a message with a recursive
 * cloneDeep for each Catch node, and a message nested 5,000 deep overflows the stack there, an uncaught
 * exception that ends the runtime. Each SEQR node (and one without a configuration, which fails every input)
 * refuses such a message first and reports it on a copy without the deep property. An HTTP In flow builds the
 * message in a Function node and a Catch node answers the request with what it got (msg.res survives the
 * copy), so the test sees the runtime's own Catch message, and that the runtime is still up afterwards.
 */

const NODES = ['send', 'status', 'refund', 'cancel', 'api', 'unconfigured'] as const;

/** Builds msg[prop] nested `depth` levels deep (iteratively: the Function node must not overflow either). */
const DEEPEN = `
const depth = Number(msg.req.query.depth);
const prop = msg.req.query.prop;
const root = {};
let level = root;
for (let i = 1; i < depth; i++) { level.next = {}; level = level.next; }
msg[prop] = root;
if (prop !== 'payload') msg.payload = msg.req.query.amount;
msg.orderId = 'A1';
return ${JSON.stringify(NODES)}.map((name) => (name === msg.req.query.node ? msg : null));
`;

const REPORT = `
const error = msg.error || {};
msg.payload = { caught: true, message: error.message, source: error.source && error.source.type, field: error.cause && error.cause.field,
  keys: Object.keys(msg).filter((key) => !['req', 'res', 'error', '_msgid'].includes(key)).sort() };
return msg;
`;

const SENT = `msg.payload = { caught: false, invoiceReference: msg.payload.invoiceReference, extraDepth: (function (v) { let d = 0; while (v && typeof v === 'object') { d++; v = v.next; } return d; })(msg.extra) }; return msg;`;

describe('messages too deep to copy (a real Node-RED)', function () {
  this.timeout(30_000);
  let emu: EmulatorHandle;
  let red: NodeRedProcess;

  before(async function () {
    emu = await startEmulator({ port: 0, terminals: [{ ...PUBLIC_TEST_TERMINAL, type: 'webshop' }] });
    const placed = (node: Record<string, unknown>) => ({ z: 'tab1', x: 100, y: 100, ...node });
    red = new NodeRedProcess({
      flows: [
        { id: 'tab1', type: 'tab', label: 'limits' },
        { id: 'cfg', type: 'seqr-config', name: 'till', endpoint: emu.url, principalType: 'TERMINALID', userId: '9900', timeout: 5000, verifyServerCert: true, ca: '', appScheme: 'SEQR' },
        placed({ id: 'in', type: 'http in', url: '/deep', method: 'get', wires: [['deepen']] }),
        placed({ id: 'deepen', type: 'function', func: DEEPEN, outputs: NODES.length, wires: NODES.map((name) => [name]) }),
        placed({ id: 'send', type: 'seqr-send-invoice', seqr: 'cfg', title: 'Limits', currency: 'SEK', wires: [['sent']] }),
        placed({ id: 'status', type: 'seqr-payment-status', seqr: 'cfg', wires: [[], [], [], []] }),
        placed({ id: 'refund', type: 'seqr-refund', seqr: 'cfg', wires: [[]] }),
        placed({ id: 'cancel', type: 'seqr-cancel-invoice', seqr: 'cfg', wires: [[]] }),
        placed({ id: 'api', type: 'seqr-api', seqr: 'cfg', operation: 'updateInvoice', wires: [[]] }),
        placed({ id: 'unconfigured', type: 'seqr-send-invoice', seqr: '', wires: [[]] }),
        placed({ id: 'sent', type: 'function', func: SENT, wires: [['respond']] }),
        placed({ id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['report']] }),
        placed({ id: 'report', type: 'function', func: REPORT, wires: [['respond']] }),
        placed({ id: 'respond', type: 'http response', statusCode: '', headers: {} }),
        placed({ id: 'alive', type: 'http in', url: '/alive', method: 'get', wires: [['respond']] }),
      ],
      credentials: { cfg: { principalId: PUBLIC_TEST_TERMINAL.id, password: PUBLIC_TEST_TERMINAL.password } },
    });
    await red.start();
  });
  after(async function () {
    await red?.dispose();
    await emu?.stop();
  });

  async function deep(node: string, depth: number, prop = 'payload', amount = '5.00'): Promise<Record<string, unknown>> {
    const response = await fetch(`${red.url}/deep?${new URLSearchParams({ node, depth: String(depth), prop, amount })}`);
    assert.equal(response.status, 200);
    return (await response.json()) as Record<string, unknown>;
  }

  it('msg.payload 5,000 deep into each node: the Catch node gets the error on the message without msg.payload, and Node-RED stays up', async function () {
    for (const node of NODES) {
      const caught = await deep(node, 5000);
      assert.equal(caught.caught, true, node);
      assert.equal(caught.field, 'payload', node);
      assert.match(String(caught.message), /msg\.payload is nested more than 100 levels deep.*without msg\.payload/, node);
      assert.deepEqual(caught.keys, ['orderId'], `${node}: the other properties are kept`);
    }
    assert.equal((await fetch(`${red.url}/alive`)).status, 200);
    assert.doesNotMatch(red.output, /Uncaught|Maximum call stack|RangeError/);
  });

  it(`up to ${MAX_MESSAGE_DEPTH} levels is an ordinary message; one more is refused`, async function () {
    const sent = await deep('send', MAX_MESSAGE_DEPTH, 'extra');
    assert.equal(sent.caught, false, JSON.stringify(sent));
    assert.equal(sent.extraDepth, MAX_MESSAGE_DEPTH);
    assert.ok(emu.core.invoices.openInvoices().some((invoice) => invoice.reference === sent.invoiceReference), 'the invoice was made');
    const refused = await deep('send', MAX_MESSAGE_DEPTH + 1, 'extra');
    assert.equal(refused.caught, true);
    assert.equal(refused.field, 'extra');
    assert.deepEqual(refused.keys, ['orderId', 'payload']);
  });
});

describe('oversizedProperties (how a message is measured)', function () {
  /** A chain of `depth` objects, the innermost holding `leaf`. */
  function chain(depth: number, leaf: unknown = 1): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    let level = root;
    for (let i = 1; i < depth; i++) level = (level.next = {}) as Record<string, unknown>;
    level.leaf = leaf;
    return root;
  }

  it('measures depth as cloneDeep recurses: lists, Maps and Sets count, Buffers, dates and errors do not', function () {
    assert.deepEqual(oversizedProperties({ payload: chain(MAX_MESSAGE_DEPTH) }), []);
    assert.deepEqual(oversizedProperties({ payload: chain(MAX_MESSAGE_DEPTH + 1) }), [{ property: 'payload', problem: 'depth' }]);
    let list: unknown[] = [];
    const outer = list;
    for (let i = 1; i <= MAX_MESSAGE_DEPTH; i++) list = (list[0] = []) as unknown[];
    assert.deepEqual(oversizedProperties({ payload: outer }), [{ property: 'payload', problem: 'depth' }]);
    assert.deepEqual(oversizedProperties({ payload: new Map([['k', chain(MAX_MESSAGE_DEPTH)]]) }), [{ property: 'payload', problem: 'depth' }]);
    assert.deepEqual(oversizedProperties({ payload: chain(MAX_MESSAGE_DEPTH, Buffer.alloc(10)), other: chain(5, new Date()) }), []);
  });

  it('follows each object once (cycles, shared parts), as cloneDeep does; leaves req and res alone', function () {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    const shared = chain(60);
    assert.deepEqual(oversizedProperties({ payload: cyclic, a: shared, b: shared }), []);
    assert.deepEqual(oversizedProperties({ req: chain(10_000), res: chain(10_000), payload: 5 }), []);
    // The depth of a graph is that of cloneDeep's depth-first walk, not its shortest paths.
    const nodes = Array.from({ length: MAX_MESSAGE_DEPTH + 2 }, () => ({}) as Record<string, unknown>);
    nodes.forEach((node, i) => (node.links = nodes.filter((_other, j) => j !== i)));
    assert.deepEqual(oversizedProperties({ payload: nodes[0] }), [{ property: 'payload', problem: 'depth' }]);
  });

  it('stops after a million values, naming the property it stopped in and every one after it', function () {
    const big = new Array(MAX_MESSAGE_VALUES + 1).fill(0);
    assert.deepEqual(oversizedProperties({ topic: 't', payload: big, later: 1 }), [
      { property: 'payload', problem: 'size' },
      { property: 'later', problem: 'size' },
    ]);
    assert.deepEqual(oversizedProperties({ payload: new Array(1000).fill({ a: 1 }) }), []);
  });
});
