/**
 * The flow the crash suite deploys, built from nodes a user has in the palette: a webshop checkout (POST /buy
 * with an amount and an order number) → send invoice → a delay (the customer's page loads, a queue, another
 * service: something between send invoice and payment status, where a crash can land) → payment status.
 * Function nodes turn each message that leaves a SEQR node into a small record, and one http request node POSTs
 * it to the recorder in the test process.
 */
/** One node of a flows.json (the test helper's type, without loading the helper). */
export type FlowNode = Record<string, unknown> & { id: string; type: string };

export const TAB_ID = 'crash-tab';
export const STATUS_NODE_ID = 'crash-status';
/** How long the delay node holds each message between send invoice and payment status. */
export const DELAY_MS = 4000;

export interface CrashFlowOptions {
  /** The SOAP endpoint send invoice and payment status call (the hold proxy in front of the emulator). */
  endpoint: string;
  recorderUrl: string;
  /** A name for the status node (a redeploy with another name is a modified flow). */
  statusName?: string;
  /** Send invoice reaches the delay through a link out / link in pair (as flows split over tabs do). */
  linked?: boolean;
}

/** A function node that POSTs `record` (a JavaScript object expression over msg) to the recorder. */
function reporter(id: string, record: string, y: number): FlowNode {
  return { id, type: 'function', z: TAB_ID, name: id, func: `msg = { payload: ${record} };\nreturn msg;`, outputs: 1, x: 900, y, wires: [['crash-post']] };
}

const OUTCOME = (kind: string, output: number) =>
  `{ kind: '${kind}', output: ${output}, invoiceReference: msg.payload.invoiceReference, status: msg.payload.status, ` +
  `ersReference: msg.payload.ersReference, reason: msg.payload.reason, redelivered: !!(msg.seqr && msg.seqr.redelivered === true), ` +
  `resumed: !!(msg.seqr && msg.seqr.resumed === true), order: msg.order }`;

export function crashFlow(options: CrashFlowOptions): FlowNode[] {
  return [
    { id: TAB_ID, type: 'tab', label: 'crash suite shop' },
    {
      id: 'crash-cfg',
      type: 'seqr-config',
      name: 'SEQR (crash suite emulator)',
      endpoint: options.endpoint,
      timeout: 10000,
      principalType: 'TERMINALID',
      userId: '9900',
      clientId: '',
      channel: '',
      appScheme: 'SEQR',
      verifyServerCert: true,
      ca: '',
    },
    { id: 'crash-buy', type: 'http in', z: TAB_ID, name: 'buy', url: '/buy', method: 'post', upload: false, swaggerDoc: '', x: 100, y: 100, wires: [['crash-order']] },
    {
      id: 'crash-order',
      type: 'function',
      z: TAB_ID,
      name: 'order and amount',
      func: 'msg.order = msg.payload.order;\nmsg.payload = msg.payload.amount;\nreturn msg;',
      outputs: 1,
      x: 250,
      y: 100,
      wires: [['crash-send']],
    },
    {
      id: 'crash-send',
      type: 'seqr-send-invoice',
      z: TAB_ID,
      name: 'send invoice',
      seqr: 'crash-cfg',
      invoice: 'payload',
      invoiceType: 'msg',
      title: 'Crash suite order',
      currency: 'SEK',
      cashierId: '',
      paymentMode: 'IMMEDIATE_DEBIT',
      acknowledgmentMode: 'NO_ACKNOWLEDGMENT',
      footer: '',
      notify: 'url',
      notificationUrl: '',
      backURL: '',
      qr: 'none',
      x: 420,
      y: 100,
      wires: [['crash-answer', 'crash-issued', options.linked ? 'crash-link-out' : 'crash-delay']],
    },
    ...(options.linked
      ? [
        { id: 'crash-link-out', type: 'link out', z: TAB_ID, name: 'to payment', mode: 'link', links: ['crash-link-in'], x: 560, y: 220, wires: [] },
        { id: 'crash-link-in', type: 'link in', z: TAB_ID, name: 'payment', links: ['crash-link-out'], x: 460, y: 260, wires: [['crash-delay']] },
      ]
      : []),
    { id: 'crash-answer', type: 'http response', z: TAB_ID, name: 'checkout page', statusCode: '', headers: {}, x: 620, y: 40, wires: [] },
    reporter('crash-issued', "{ kind: 'issued', invoiceReference: msg.payload.invoiceReference, qrCode: msg.payload.qrCode, order: msg.order }", 100),
    {
      id: 'crash-delay',
      type: 'delay',
      z: TAB_ID,
      name: 'between the nodes',
      pauseType: 'delay',
      timeout: String(DELAY_MS / 1000),
      timeoutUnits: 'seconds',
      rate: '1',
      nbRateUnits: '1',
      rateUnits: 'second',
      randomFirst: '1',
      randomLast: '5',
      randomUnits: 'seconds',
      drop: false,
      allowrate: false,
      outputs: 1,
      x: 620,
      y: 160,
      wires: [[STATUS_NODE_ID]],
    },
    {
      id: STATUS_NODE_ID,
      type: 'seqr-payment-status',
      z: TAB_ID,
      name: options.statusName ?? 'payment status',
      seqr: 'crash-cfg',
      interval: 1000,
      giveUpAfter: 90,
      onDeadline: 'cancel',
      store: '',
      receiptWidth: 32,
      x: 780,
      y: 160,
      wires: [['crash-paid'], ['crash-failed'], ['crash-update']],
    },
    reporter('crash-paid', OUTCOME('outcome', 1), 140),
    reporter('crash-failed', OUTCOME('outcome', 2), 180),
    reporter('crash-update', OUTCOME('update', 3), 220),
    {
      id: 'crash-post',
      type: 'http request',
      z: TAB_ID,
      name: 'to the recorder',
      method: 'POST',
      ret: 'txt',
      paytoqs: 'ignore',
      url: options.recorderUrl,
      tls: '',
      persist: false,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
      x: 1080,
      y: 160,
      wires: [[]],
    },
  ];
}
