/** Local-time formats SEQR used in references, receipts and reports. */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `yyyyMMdd`, the date prefix of invoice references (e.g. 20151029186719114). */
export function dateStamp(d: Date): string {
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
}

/** `yyyyMMddHHmmssSSS`, the time prefix of ERS references (e.g. 2015102910184861801032678). */
export function timeStamp(d: Date): string {
  return `${dateStamp(d)}${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}${pad(d.getMilliseconds(), 3)}`;
}

/** xs:dateTime with the local offset, as in receipts: `2015-10-29T10:18:48.663+01:00`. */
export function localDateTime(d: Date): string {
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:` +
    `${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** `yyyy-MM-dd HH:mm`, the GeneratedAt of reconciliation reports. */
export function reportTime(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
