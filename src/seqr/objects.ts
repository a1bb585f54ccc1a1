/** Drops undefined members so a SOAP body gets no empty elements; key order (schema order) is kept. */
export function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}
