import type { NodeStatus } from 'node-red';

/** The status shapes every SEQR node uses, in the core nodes' style (keep texts short). */
export const STATUS = {
  /** Work under way: blue ring. */
  busy: (text: string): NodeStatus => ({ fill: 'blue', shape: 'ring', text }),
  /** The last thing went well: green dot. */
  ok: (text: string): NodeStatus => ({ fill: 'green', shape: 'dot', text }),
  /** Retrying or degraded: yellow ring. */
  warn: (text: string): NodeStatus => ({ fill: 'yellow', shape: 'ring', text }),
  /** Failed or not configured: red ring. */
  error: (text: string): NodeStatus => ({ fill: 'red', shape: 'ring', text }),
} as const;
