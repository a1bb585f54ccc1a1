import type { Node, NodeStatus } from 'node-red';

/**
 * A node status shown at most once per `delayMs` and only when it changed: `refresh()` asks for `current()` to
 * be shown soon; `close()` stops it. For a node whose state changes thousands of times a second (a payment
 * status node starting and ending many watches), where a status per change would flood the editor.
 */
export function coalescedStatus(node: Node, current: () => NodeStatus, delayMs: number): { refresh(): void; close(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let shown = '';
  let closed = false;
  function show(): void {
    timer = undefined;
    if (closed) return;
    const status = current();
    const key = JSON.stringify(status);
    if (key !== shown) {
      shown = key;
      node.status(status);
    }
  }
  return {
    refresh(): void {
      if (timer !== undefined || closed) return;
      timer = setTimeout(show, delayMs);
    },
    close(): void {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
