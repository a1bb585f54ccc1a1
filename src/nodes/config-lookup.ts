/** Finding a node's seqr-config node, and starting a node only when its configuration and settings are usable. */
import type { Node, NodeAPI } from 'node-red';
import type { InvoiceDefaults } from '../seqr';
import { SEQR_CONFIG_TYPE, type SeqrConfigNode, type SeqrConfigProblem } from './config-types';
import { failEveryInput } from './input-lifecycle';
import { invoiceSettingsProblem } from './invoice-settings';
import { sharedKey } from './shared-catalog';

/**
 * The seqr-config node a node refers to (its `seqr` property), or the problem that stops it being used: none
 * selected, or one whose settings are incomplete (`config.problem`).
 */
export function useSeqrConfig(
  RED: NodeAPI,
  configId: string | undefined,
): { config: SeqrConfigNode; problem?: undefined } | { config?: undefined; problem: SeqrConfigProblem } {
  const found = configId ? (RED.nodes.getNode(configId) as SeqrConfigNode | null) : null;
  if (!found || found.type !== SEQR_CONFIG_TYPE || typeof found.acquire !== 'function') {
    return {
      problem: {
        field: 'seqr',
        message: RED._(sharedKey('common.errors.no-config')),
        status: RED._(sharedKey('common.status.no-config')),
      },
    };
  }
  return found.problem ? { problem: found.problem } : { config: found };
}

/**
 * The start of a node that calls SEQR: its configuration when usable, and, for a node that builds invoices, its
 * invoice settings valid. Otherwise undefined, with the node failing every input (a bad setting is also logged;
 * the config node logs its own problems).
 */
export function usableConfig(RED: NodeAPI, node: Node, configId: string | undefined, defaults?: InvoiceDefaults): SeqrConfigNode | undefined {
  const found = useSeqrConfig(RED, configId);
  if (found.config === undefined) {
    failEveryInput(RED, node, found.problem);
    return undefined;
  }
  const setting = defaults && invoiceSettingsProblem(RED, defaults);
  if (setting) {
    node.error(setting.message);
    failEveryInput(RED, node, setting);
    return undefined;
  }
  return found.config;
}
