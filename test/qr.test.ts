import assert from 'node:assert/strict';
import * as QRCode from 'qrcode';
import { deepLink, invoiceQrText, qrDataUrl, qrPng, qrSvg, stickerCode } from '../src/seqr/qr';

// pngjs comes with qrcode (its PNG writer); here it reads the images back.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PNG } = require('pngjs') as { PNG: { sync: { read(buffer: Buffer): { width: number; height: number; data: Buffer } } } };

/** Reads the module matrix back out of a PNG made with margin 0 by sampling each module's centre. */
function modulesOf(png: Buffer, size: number): boolean[] {
  const image = PNG.sync.read(png);
  const scale = image.width / size;
  const dark: boolean[] = [];
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const x = Math.floor((col + 0.5) * scale);
      const y = Math.floor((row + 0.5) * scale);
      dark.push(image.data[(y * image.width + x) * 4] < 128);
    }
  }
  return dark;
}

describe('SEQR codes and QR images', () => {
  it('uses the returned invoiceQRCode unchanged, or builds it from a reference', () => {
    assert.equal(invoiceQrText({ invoiceQRCode: 'http://seqr.se/R1397222701693', invoiceReference: '1397222701693' }), 'http://seqr.se/R1397222701693');
    assert.equal(invoiceQrText({ invoiceReference: '20151029186719114' }), 'HTTP://SEQR.SE/R20151029186719114');
    assert.equal(invoiceQrText('20151029186719114'), 'HTTP://SEQR.SE/R20151029186719114');
    assert.equal(invoiceQrText('HTTP://SEQR.SE/R1'), 'HTTP://SEQR.SE/R1');
    assert.throws(() => invoiceQrText({}), /needs an invoiceQRCode or an invoiceReference/);
    assert.throws(() => invoiceQrText('12 34'), /is not a SEQR invoice reference/);
  });

  it('makes the deep link with a configurable scheme', () => {
    assert.equal(deepLink('HTTP://SEQR.SE/R20151029186719114'), 'SEQR://SEQR.SE/R20151029186719114');
    assert.equal(deepLink({ invoiceReference: '123' }, 'SEQR-DEMO'), 'SEQR-DEMO://SEQR.SE/R123');
    assert.equal(deepLink('http://seqr.se/R123', 'seqr-demo'), 'seqr-demo://seqr.se/R123');
    assert.throws(() => deepLink('123', 'bad scheme'), /is not a URL scheme/);
  });

  it('makes the sticker code for a SEQR ID', () => {
    assert.equal(stickerCode('SHOP0001'), 'HTTP://SEQR.SE/QSHOP0001');
    assert.throws(() => stickerCode('shop-1'), /letters and digits only/);
  });

  it('renders a PNG whose modules are the QR code of the text', async () => {
    const text = invoiceQrText({ invoiceReference: '20151029186719114' });
    const code = QRCode.create(text, { errorCorrectionLevel: 'M' });
    // Upper case keeps the text out of the bulky byte mode (alphanumeric, then numeric for the digits).
    assert.deepEqual(code.segments.map((s) => s.mode.id), ['Alphanumeric', 'Numeric']);
    const png = await qrPng(text, { margin: 0, width: code.modules.size * 8 });
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    const expected = Array.from(code.modules.data, (bit) => bit === 1);
    assert.deepEqual(modulesOf(png, code.modules.size), expected);
  });

  it('renders a data URL of the same PNG and an SVG document', async () => {
    const text = 'HTTP://SEQR.SE/R123';
    const url = await qrDataUrl(text, { width: 200 });
    assert.match(url, /^data:image\/png;base64,/);
    const png = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
    assert.equal(png.readUInt32BE(16), 200); // IHDR width
    assert.deepEqual(png, await qrPng(text, { width: 200 }));

    const svg = await qrSvg(text, { dark: '#112233', light: '#ffffff' });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /stroke="#112233"/);
    assert.match(svg, /width="256"/);
  });
});
