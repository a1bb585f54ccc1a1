/**
 * A receipt printer that only listens: a TCP server on 127.0.0.1 (port 9100, the port network receipt printers
 * use, by default) that records every job a till sends it (the bytes of one connection) and decodes the ESC/POS
 * in it, so a flow that prints a receipt, cuts and kicks the drawer can be watched without a printer. Like the
 * SEQR emulator, it is the project's own stand-in for hardware, for the demo and the tests.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { decodeEscPos, type EscPosEvent } from './escpos';

export const DEFAULT_PRINTER_PORT = 9100;
/** A job larger than this is cut off (a receipt is a few kilobytes; this is no spool for images). */
const MAX_JOB_BYTES = 1024 * 1024;

export interface EscPosCaptureOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9100; 0 picks a free port. */
  port?: number;
}

/** One print job: what one connection sent before it closed. */
export interface PrintJob {
  receivedAt: Date;
  bytes: Buffer;
  events: EscPosEvent[];
  /** More than MAX_JOB_BYTES came: the rest was dropped and the connection closed. */
  truncated: boolean;
}

export interface EscPosCapture {
  readonly host: string;
  readonly port: number;
  /** Every job so far, oldest first. */
  readonly jobs: readonly PrintJob[];
  /** Resolves with the next job from now on that `accept` takes (any job without it). */
  nextJob(accept?: (job: PrintJob) => boolean, timeoutMs?: number): Promise<PrintJob>;
  on(event: 'job', listener: (job: PrintJob) => void): this;
  off(event: 'job', listener: (job: PrintJob) => void): this;
  stop(): Promise<void>;
}

/** Starts the capture server; resolves once it listens. */
export async function startEscPosCapture(options: EscPosCaptureOptions = {}): Promise<EscPosCapture> {
  const host = options.host ?? '127.0.0.1';
  const jobs: PrintJob[] = [];
  const events = new EventEmitter();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    socket.on('data', (chunk: Buffer) => {
      if (truncated) return;
      const room = MAX_JOB_BYTES - size;
      if (chunk.length > room) {
        truncated = true;
        chunks.push(chunk.subarray(0, room));
        size = MAX_JOB_BYTES;
        socket.destroy();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    socket.on('error', () => undefined); // a till that drops the connection ends its job all the same
    socket.on('close', () => {
      sockets.delete(socket);
      if (size === 0) return; // a connection test, or a till that sent nothing
      const bytes = Buffer.concat(chunks);
      const job: PrintJob = { receivedAt: new Date(), bytes, events: decodeEscPos(bytes), truncated };
      jobs.push(job);
      events.emit('job', job);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PRINTER_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const capture: EscPosCapture = {
    host,
    port: (server.address() as AddressInfo).port,
    jobs,
    nextJob(accept = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const onJob = (job: PrintJob) => {
          if (!accept(job)) return;
          clearTimeout(timer);
          events.off('job', onJob);
          resolve(job);
        };
        const timer = setTimeout(() => {
          events.off('job', onJob);
          reject(new Error(`no print job reached ${host}:${capture.port} within ${timeoutMs} ms`));
        }, timeoutMs);
        events.on('job', onJob);
      });
    },
    on(event, listener) {
      events.on(event, listener);
      return capture;
    },
    off(event, listener) {
      events.off(event, listener);
      return capture;
    },
    stop() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return capture;
}
