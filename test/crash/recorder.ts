/**
 * The crash suite's witness: an HTTP server in the test process (so it outlives every kill of Node-RED) that the
 * flow's http request nodes POST to the moment a message leaves a SEQR node. What it saw is what the merchant's
 * systems downstream of Node-RED got: the QR codes handed out (send invoice's output) and every outcome and
 * update of payment status, each with the output it left on.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen, readBody } from '../helpers/loopback';

/** send invoice's output: the QR code a customer can pay. */
export interface IssuedRecord {
  kind: 'issued';
  invoiceReference: string;
  qrCode: string;
  order?: string;
  at: number;
}

/** payment status's output 1 (PAID), 2 (failed) or 3 (a status change before the outcome). */
export interface StatusRecord {
  kind: 'outcome' | 'update';
  output: 1 | 2 | 3;
  invoiceReference: string;
  status: string;
  ersReference?: string;
  reason?: string;
  /** msg.seqr.redelivered === true: the one mark that allows a second outcome. */
  redelivered: boolean;
  /** msg.seqr.resumed === true (today's mark for a watch taken up again). */
  resumed: boolean;
  /** msg.order, set by the flow before send invoice: whether the message's own fields survived. */
  order?: string;
  at: number;
}

export type RecorderRecord = IssuedRecord | StatusRecord;

export class Recorder {
  readonly records: RecorderRecord[] = [];
  /** Called synchronously for each record before the answer goes back (a scenario may kill Node-RED here). */
  onRecord: (record: RecorderRecord) => void = () => undefined;
  url = '';
  private server: http.Server | undefined;
  private readonly problems: string[] = [];

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      readBody(req)
        .then((body) => {
          let record: RecorderRecord;
          try {
            record = { ...(JSON.parse(body) as RecorderRecord), at: Date.now() };
          } catch {
            this.problems.push(`not JSON: ${body.slice(0, 200)}`);
            res.statusCode = 400;
            res.end();
            return;
          }
          this.records.push(record);
          this.onRecord(record);
          res.end('ok');
        })
        .catch(() => res.destroy());
    });
    await listen(this.server);
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/record`;
  }

  issued(): IssuedRecord[] {
    return this.records.filter((record): record is IssuedRecord => record.kind === 'issued');
  }

  outcomes(reference?: string): StatusRecord[] {
    return this.records.filter((record): record is StatusRecord => record.kind === 'outcome' && (reference === undefined || record.invoiceReference === reference));
  }

  updates(reference?: string): StatusRecord[] {
    return this.records.filter((record): record is StatusRecord => record.kind === 'update' && (reference === undefined || record.invoiceReference === reference));
  }

  /** Bodies the recorder could not read (a flow bug, not a payment problem). */
  get unreadable(): readonly string[] {
    return this.problems;
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }
}
