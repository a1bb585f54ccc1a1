/**
 * Strings shared by all nodes live in the seqr-config catalog (`nodes/locales/<lang>/seqr-config.json`, section
 * `common`); `sharedKey` names them so that RED._ finds them from any node's namespace.
 */
import { PACKAGE } from '../package-info';
import { SEQR_CONFIG_TYPE } from './config-types';

/** A key in the seqr-config catalog, usable with RED._ from any node of this package (`<module>/<set>:key`). */
export function sharedKey(key: string): string {
  return `${PACKAGE.name}/${SEQR_CONFIG_TYPE}:${key}`;
}
