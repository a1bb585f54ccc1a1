import * as QRCode from 'qrcode';

/**
 * The codes a SEQR payer scans or taps (spec §6.1) and their images.
 * - Invoice QR: `HTTP://SEQR.SE/R<invoiceReference>`; SEQR returns it as `invoiceQRCode` and it is used unchanged
 *   (older servers answered in lower case). Upper case also lets the encoder use the compact alphanumeric mode.
 * - Deep link (payer on the same phone): the QR text with `HTTP:` replaced by the app's scheme, `SEQR:` in
 *   production; test apps used `SEQR-DEMO`, `seqr-demo` or `SEQR-DEBUG`, so the scheme is a parameter.
 * - Terminal sticker: `HTTP://SEQR.SE/Q<seqrId>`.
 */

const INVOICE_QR_PREFIX = 'HTTP://SEQR.SE/R';
const STICKER_PREFIX = 'HTTP://SEQR.SE/Q';
const HTTP_URL = /^https?:\/\//i;

/**
 * The text of an invoice's QR code: the `invoiceQRCode` SEQR returned (unchanged), or, given only an
 * invoice reference, `HTTP://SEQR.SE/R<reference>`.
 */
export function invoiceQrText(invoice: string | { invoiceQRCode?: string; invoiceReference?: string }): string {
  if (typeof invoice === 'string') {
    if (HTTP_URL.test(invoice)) return invoice;
    return INVOICE_QR_PREFIX + checkReference(invoice);
  }
  if (invoice.invoiceQRCode) return invoice.invoiceQRCode;
  if (invoice.invoiceReference) return INVOICE_QR_PREFIX + checkReference(invoice.invoiceReference);
  throw new TypeError('invoiceQrText needs an invoiceQRCode or an invoiceReference');
}

function checkReference(reference: string): string {
  if (!/^[0-9A-Za-z]+$/.test(reference)) {
    throw new TypeError(`${JSON.stringify(reference)} is not a SEQR invoice reference (digits, such as 20151029186719114)`);
  }
  return reference;
}

/** The app scheme of SEQR's production app (§10.16); test environments have their own. */
export const DEFAULT_APP_SCHEME = 'SEQR';
/** A URI scheme (RFC 3986 §3.1), as RegExp source so that the node editor can have it as JSON too. */
export const APP_SCHEME_PATTERN = '^[A-Za-z][A-Za-z0-9+.-]*$';
const APP_SCHEME = new RegExp(APP_SCHEME_PATTERN);

/** The deep link that opens the SEQR app on this phone: `SEQR://SEQR.SE/R<reference>` (scheme configurable). */
export function deepLink(
  invoice: string | { invoiceQRCode?: string; invoiceReference?: string },
  scheme = DEFAULT_APP_SCHEME,
): string {
  if (!APP_SCHEME.test(scheme)) {
    throw new TypeError(`${JSON.stringify(scheme)} is not a URL scheme (such as SEQR or SEQR-DEMO)`);
  }
  return invoiceQrText(invoice).replace(/^https?:/i, `${scheme}:`);
}

/** The text of a terminal's static sticker QR: `HTTP://SEQR.SE/Q<seqrId>`. */
export function stickerCode(seqrId: string): string {
  if (!/^[0-9A-Za-z]+$/.test(seqrId)) {
    throw new TypeError(`${JSON.stringify(seqrId)} is not a SEQR ID: use letters and digits only`);
  }
  return STICKER_PREFIX + seqrId;
}

export interface QrImageOptions {
  /** Image width in pixels (PNG, data URL) or user units (SVG). Default 256. */
  width?: number;
  /** Quiet zone in modules. Default 2. */
  margin?: number;
  /** Default 'M'. */
  errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
  /** Colours as #RRGGBB or #RRGGBBAA. */
  dark?: string;
  light?: string;
}

function renderOptions(options: QrImageOptions) {
  return {
    width: options.width ?? 256,
    margin: options.margin ?? 2,
    errorCorrectionLevel: options.errorCorrectionLevel ?? 'M',
    color: { dark: options.dark ?? '#000000ff', light: options.light ?? '#ffffffff' },
  };
}

/** The QR code of `text` as a PNG image. */
export function qrPng(text: string, options: QrImageOptions = {}): Promise<Buffer> {
  return QRCode.toBuffer(text, { ...renderOptions(options), type: 'png' });
}

/** The QR code of `text` as a `data:image/png;base64,…` URL (for an <img> or a dashboard). */
export function qrDataUrl(text: string, options: QrImageOptions = {}): Promise<string> {
  return QRCode.toDataURL(text, { ...renderOptions(options), type: 'image/png' });
}

/** The QR code of `text` as an SVG document. */
export function qrSvg(text: string, options: QrImageOptions = {}): Promise<string> {
  return QRCode.toString(text, { ...renderOptions(options), type: 'svg' });
}
