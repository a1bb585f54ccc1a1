import assert from 'node:assert/strict';
import * as net from 'node:net';
import { decodeEscPos, printout, startEscPosCapture, type EscPosCapture } from '../src/pos';

/** Sends `bytes` to the capture server as a till does (connect, write, close). */
function print(capture: EscPosCapture, ...chunks: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(capture.port, capture.host, () => {
      for (const chunk of chunks) socket.write(chunk);
      socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

const ESC_INIT = Buffer.from([0x1b, 0x40]);
const CODE_PAGE_1252 = Buffer.from([0x1b, 0x74, 16]);
const FEED_3 = Buffer.from([0x1b, 0x64, 3]);
const PARTIAL_CUT = Buffer.from([0x1d, 0x56, 66, 0]);
const DRAWER_KICK = Buffer.from([0x1b, 0x70, 0, 25, 250]);

describe('ESC/POS capture server (src/pos): a loopback receipt printer', function () {
  let capture: EscPosCapture;
  before(async function () {
    capture = await startEscPosCapture({ port: 0 });
  });
  after(async function () {
    await capture.stop();
  });

  it('listens on 127.0.0.1 and records each connection as one job, decoded: text, cut, drawer kick', async function () {
    assert.equal(capture.host, '127.0.0.1');
    const job = capture.nextJob();
    const receipt = 'SEQR demo shop\nTOTAL   149,90 kr\nTack för köpet\n';
    // Written in pieces, as TCP may deliver them: one job all the same.
    await print(capture, ESC_INIT, CODE_PAGE_1252, Buffer.from(receipt, 'latin1'), FEED_3, PARTIAL_CUT, DRAWER_KICK);
    const { events, bytes, truncated } = await job;
    assert.equal(truncated, false);
    assert.equal(bytes.length, 2 + 3 + Buffer.byteLength(receipt, 'latin1') + 3 + 4 + 5);
    assert.deepEqual(events, [
      { type: 'init' },
      { type: 'command', bytes: '1b 74 10' },
      { type: 'text', text: receipt },
      { type: 'feed', lines: 3 },
      { type: 'cut', partial: true, feed: 0 },
      { type: 'drawer', pin: 2, onMs: 50, offMs: 500 },
    ]);
    assert.equal(printout(events), `${receipt}\n\n\n--- partial cut ---\n[drawer kick: pin 2, 50 ms]\n`);
    assert.equal(capture.jobs.at(-1)?.bytes.length, bytes.length);
  });

  it('a connection that sends nothing is no job', async function () {
    const before = capture.jobs.length;
    const kick = capture.nextJob();
    await print(capture);
    await print(capture, Buffer.from([0x1b, 0x70, 1, 50, 50]));
    await kick;
    assert.equal(capture.jobs.length, before + 1);
    assert.deepEqual(capture.jobs.at(-1)?.events, [{ type: 'drawer', pin: 5, onMs: 100, offMs: 100 }]);
  });
});

describe('decodeEscPos', function () {
  it('reads a full cut (GS V 0 and GS V 48) and the drawer pins as ASCII digits', function () {
    assert.deepEqual(decodeEscPos(Buffer.from([0x1d, 0x56, 0, 0x1d, 0x56, 0x30, 0x1b, 0x70, 0x31, 1, 2])), [
      { type: 'cut', partial: false },
      { type: 'cut', partial: false },
      { type: 'drawer', pin: 5, onMs: 2, offMs: 4 },
    ]);
  });

  it('reports what it does not know instead of guessing: the rest of the job as hex', function () {
    assert.deepEqual(decodeEscPos(Buffer.from([0x41, 0x1b, 0x2a, 0x00, 0x05, 0x42])), [
      { type: 'text', text: 'A' },
      { type: 'unknown', bytes: '1b 2a 00 05 42' },
    ]);
    assert.deepEqual(decodeEscPos(Buffer.from([0x1b, 0x70, 7, 1, 1])), [{ type: 'unknown', bytes: '1b 70 07 01 01' }]);
    assert.deepEqual(decodeEscPos(Buffer.from([0x1b])), [{ type: 'unknown', bytes: '1b' }]);
  });
});
