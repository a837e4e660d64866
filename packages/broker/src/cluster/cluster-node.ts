/**
 * One broker of a coordinator-backed cluster: its metadata store (own coordinator session),
 * the Broker with replication plugged in, and its controller candidate.
 *
 * close() is a controlled shutdown: the controller candidate resigns, the broker deregisters
 * (the active controller then moves every partition it leads to another in-sync replica) and
 * waits — bounded — until leadership has moved, still serving followers meanwhile, and only
 * then stops. kill() is a crash: the session ends at once, nothing is handed over.
 */
import { Broker } from '../broker.ts';
import type { BrokerConfig } from '../config/broker-config.ts';
import { Controller } from './controller.ts';
import { LinkTable } from './links.ts';
import { waitForMetadata } from './metadata-wait.ts';
import { ClusterReplication } from './replication.ts';
import { CLUSTER_PLUGIN_NAME, type ClusterService } from './service.ts';
import { Paths } from './zk-layout.ts';
import { ZkMetadataStore, isCode } from './zk-metadata-store.ts';

/** Longest a controlled shutdown waits for leadership to move away. */
export const CONTROLLED_SHUTDOWN_WAIT_MS_MAX = 10_000;

export interface ClusterNodeOptions {
  config: BrokerConfig;
  links?: LinkTable;
  log?: (message: string) => void;
  shutdownTimeoutMs?: number;
}

export class ClusterNode {
  readonly broker: Broker;
  readonly store: ZkMetadataStore;
  readonly controller: Controller;
  readonly replication: ClusterReplication;
  private closing: Promise<void> | null = null;

  private constructor(broker: Broker, store: ZkMetadataStore, controller: Controller, replication: ClusterReplication) {
    this.broker = broker;
    this.store = store;
    this.controller = controller;
    this.replication = replication;
  }

  get id(): number {
    return this.broker.id;
  }

  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const { config } = options;
    const connectString = config.get('zookeeper.connect');
    if (connectString === null || connectString === '') throw new Error('zookeeper.connect is not set');
    const store = await ZkMetadataStore.open({
      connectString,
      sessionTimeoutMs: config.int('zookeeper.session.timeout.ms'),
      log: options.log,
    });
    const links = options.links ?? new LinkTable();
    let replication: ClusterReplication | undefined;
    const service: ClusterService = { store, controller: null };
    let broker: Broker;
    try {
      broker = await Broker.start({
        config,
        metadata: store,
        log: options.log,
        shutdownTimeoutMs: options.shutdownTimeoutMs,
        plugins: [() => ({ name: CLUSTER_PLUGIN_NAME, service })],
        replication: (manager) => {
          replication = new ClusterReplication({ brokerId: config.brokerId, manager, store, config, links, log: options.log });
          return replication;
        },
      });
    } catch (error) {
      await store.close();
      throw error;
    }
    const controller = new Controller({ brokerId: broker.id, store, config, log: options.log });
    service.controller = controller;
    await controller.start();
    return new ClusterNode(broker, store, controller, replication!);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  kill(): Promise<void> {
    this.closing ??= (async () => {
      await this.store.crash();
      await this.controller.stop();
      await this.broker.abort();
    })();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.controller.stop();
    await this.resignController();
    if (this.broker.config.bool('controlled.shutdown.enable')) await this.handOverLeadership();
    await this.broker.close();
    await this.store.close();
  }

  private async resignController(): Promise<void> {
    try {
      const stat = await this.store.client.exists(Paths.controller);
      if (stat !== null && stat.ephemeralOwner === this.store.client.sessionId) await this.store.client.delete(Paths.controller, stat.version);
    } catch (error) {
      if (!isCode(error, 'NONODE') && !isCode(error, 'BADVERSION')) throw error;
    }
  }

  /** Deregisters and waits until the partitions led here that another live ISR member could lead have moved. */
  private async handOverLeadership(): Promise<void> {
    const id = this.broker.id;
    await this.store.unregisterBroker(id);
    const movedAway = (): boolean => {
      const live = new Set(this.store.brokers().map((broker) => broker.id));
      return !this.store.topics().some((topic) =>
        topic.partitions.some((partition) => partition.leader === id && partition.isr.some((other) => other !== id && live.has(other))),
      );
    };
    // Each leadership move reaches this broker's cache as a change: no polling.
    await waitForMetadata([this.store], movedAway, CONTROLLED_SHUTDOWN_WAIT_MS_MAX);
  }
}
