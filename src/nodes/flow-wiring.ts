/**
 * Which node a message is heading to: the first node downstream (along the wires, through any nodes in between)
 * that `accepts`. Send invoice uses it to record in the ledger which payment status node will watch its invoice,
 * so that after a crash between the two that node takes the invoice as if the message had arrived. Link nodes and
 * subflows are not followed: such invoices are watched by the configuration as a stand-in.
 */
import type { Node, NodeAPI } from 'node-red';

/** Enough for any flow between a send invoice and its status node; a bound against loops and huge flows. */
const MAX_NODES_VISITED = 500;

export function firstDownstream(RED: NodeAPI, from: Node, accepts: (id: string) => boolean): string | undefined {
  const seen = new Set<string>([from.id]);
  const queue: string[] = [];
  const enqueue = (node: Node | null) => {
    const wires = (node as unknown as { wires?: unknown })?.wires;
    if (!Array.isArray(wires)) return;
    for (const port of wires) {
      if (!Array.isArray(port)) continue;
      for (const id of port) {
        if (typeof id === 'string' && !seen.has(id)) {
          seen.add(id);
          queue.push(id);
        }
      }
    }
  };
  enqueue(from);
  while (queue.length > 0 && seen.size <= MAX_NODES_VISITED) {
    const id = queue.shift() as string;
    if (accepts(id)) return id;
    enqueue(RED.nodes.getNode(id));
  }
  return undefined;
}
