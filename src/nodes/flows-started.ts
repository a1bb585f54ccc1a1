/**
 * When the flows being started have all started: Node-RED constructs a deploy's nodes one after another and emits
 * `flows:started` once every one runs. A node that sends from its constructor's promises (the payment status node
 * resuming watches after a restart or redeploy) waits for it, because a message sent before the nodes downstream
 * exist is dropped by Node-RED.
 */
import type { Node, NodeAPI } from 'node-red';

export function flowsStarted(RED: NodeAPI, node: Node): Promise<void> {
  return new Promise<void>((resolve) => {
    const started = () => resolve();
    RED.events.once('flows:started', started);
    // Closed before the flows started (a failed start): stop listening (resolving later changes nothing).
    node.on('close', () => {
      RED.events.removeListener('flows:started', started);
      resolve();
    });
  });
}
