/**
 * What the cluster offers request handlers (ElectLeaders, reassignments): plugged into each
 * broker of a coordinator-backed cluster as the 'cluster' BrokerPlugin. Absent on a broker with
 * local metadata (one broker, no controller to ask).
 */
import type { BrokerServices } from '../handlers/types.ts';
import type { Controller } from './controller.ts';
import type { ZkMetadataStore } from './zk-metadata-store.ts';

export const CLUSTER_PLUGIN_NAME = 'cluster';

export interface ClusterService {
  readonly store: ZkMetadataStore;
  /** This broker's controller candidate (active or not), once started. */
  controller: Controller | null;
}

export function clusterService(services: BrokerServices): ClusterService | undefined {
  return services.extensions.get(CLUSTER_PLUGIN_NAME) as ClusterService | undefined;
}
