/**
 * startCluster() for a coordinator-backed cluster, in this process: an embedded coordinator
 * (or an external ZooKeeper / coordinator ensemble), brokers 1..N each with its own session,
 * replication between them, and fault injection (kill, restart, cut or slow links).
 */
import { DEV_CLUSTER_DEFAULTS, DEV_SESSION_TIMEOUT_MS } from '../config/dev-defaults.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startCoordinator, type CoordinatorHandle } from '@kafkaesque/coordinator';
import { BrokerConfig, parseProperties } from '../config/broker-config.ts';
import type { Broker } from '../broker.ts';
import type { StartClusterOptions } from '../fixture.ts';
import { ClientProxy } from './client-proxy.ts';
import type { ClusterNode } from './cluster-node.ts';
import { LinkTable } from './links.ts';
import { waitForMetadata } from './metadata-wait.ts';
import { startupMark } from './startup-trace.ts';
import { ZkMetadataStore } from './zk-metadata-store.ts';

/** Longest killBroker / restartBroker wait for the cluster to react (then they return anyway). */
const SETTLE_WAIT_MS_MAX = 10_000;
/** Longest start-up wait for the brokers to see each other and the internal topic to be led. */
const READY_WAIT_MS_MAX = 30_000;

/** Coordinator tick in the embedded ensemble: sessions may then be as short as 2 ticks. */
export const EMBEDDED_TICK_TIME_MS = 250;
/** Session timeout of dev / test clusters (Kafka's 18 s would make failover tests slow). */
export { DEV_SESSION_TIMEOUT_MS };

/** startCluster()'s options (one declaration, in ../fixture.ts), with the broker count settled. */
export type CoordinatedClusterOptions = StartClusterOptions & { brokers: number };

export interface CoordinatedClusterBroker {
  id: number;
  host: string;
  port: number;
  running: boolean;
  broker: Broker | undefined;
  node: ClusterNode | undefined;
}

export interface CoordinatedCluster {
  readonly bootstrap: string;
  readonly brokers: readonly CoordinatedClusterBroker[];
  readonly dataDir: string;
  /** An observer's view of the cluster metadata (own session, not a broker). */
  readonly metadata: ZkMetadataStore;
  readonly coordinatorConnect: string;
  readonly coordinator: CoordinatorHandle | null;
  readonly links: LinkTable;
  killBroker(id: number): Promise<void>;
  stopBroker(id: number): Promise<void>;
  restartBroker(id: number): Promise<void>;
  /** Cuts replication traffic between two brokers (both ways). */
  cutLink(a: number, b: number): void;
  healLink(a: number, b: number): void;
  slowLink(a: number, b: number, delayMs: number): void;
  /** The active controller's broker id (-1 when none). */
  controllerId(): number;
  /** With clientProxies: drop and refuse, restore, or delay the client connections of a broker. */
  cutClients(id: number): void;
  healClients(id: number): void;
  slowClients(id: number, delayMs: number): void;
  close(): Promise<void>;
}

/**
 * Creates __consumer_offsets once the creating broker sees every broker (its replication factor is
 * clamped to the live brokers: created earlier it would get fewer replicas), and returns once
 * every broker knows it with a leader for each partition and has opened its replicas' logs — so
 * a FindCoordinator or a JoinGroup on any broker right after `ready` finds it led.
 */
async function createInternalTopics(nodes: readonly ClusterNode[]): Promise<void> {
  const { ensureInternalTopic, INTERNAL_TOPICS, CoordinatorKeyType } = await import('../groups/internal-topics.ts');
  const spec = INTERNAL_TOPICS[CoordinatorKeyType.group];
  const creator = nodes[0];
  const everyBroker = (store: ZkMetadataStore): boolean => nodes.every((node) => store.brokers().some((broker) => broker.id === node.id));
  if (!(await waitForMetadata([creator.store], () => everyBroker(creator.store), READY_WAIT_MS_MAX))) {
    throw new Error(`broker ${creator.id} did not see every broker registered within ${READY_WAIT_MS_MAX} ms`);
  }
  const errorCode = await ensureInternalTopic(creator.broker.services, spec);
  if (errorCode !== 0) throw new Error(`could not create the offsets topic (error ${errorCode})`);
  startupMark(`${spec.name} created`);
  await Promise.all(nodes.map(async (node) => {
    const led = (): boolean => node.store.topic(spec.name)?.partitions.every((partition) => partition.leader >= 0) ?? false;
    if (!(await waitForMetadata([node.store], led, READY_WAIT_MS_MAX))) {
      throw new Error(`broker ${node.id} did not see ${spec.name} led within ${READY_WAIT_MS_MAX} ms`);
    }
    // The change that made it visible is queued to the replica manager: wait for its logs.
    await node.broker.services.replicas.settled();
  }));
  startupMark(`${spec.name} led on every broker`);
}

/**
 * Starts things concurrently; when any fails, closes those that started (with `close`) and
 * rethrows the first failure — a half-started cluster must not leak sessions or ports.
 */
async function startAll<T>(starts: ReadonlyArray<() => Promise<T>>, close: (started: T) => Promise<unknown>): Promise<T[]> {
  const results = await Promise.allSettled(starts.map((start) => start()));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure === undefined) return results.map((result) => (result as PromiseFulfilledResult<T>).value);
  await Promise.all(results.map((result) => (result.status === 'fulfilled' ? close(result.value).catch(() => undefined) : undefined)));
  throw (failure as PromiseRejectedResult).reason;
}

function brokerConfig(options: CoordinatedClusterOptions, dataDir: string, id: number, port: number, connect: string, advertisedPort?: number): BrokerConfig {
  const host = options.host ?? '127.0.0.1';
  const fileValues = options.configFile ? parseProperties(readFileSync(options.configFile, 'utf8')) : {};
  return new BrokerConfig({
    ...DEV_CLUSTER_DEFAULTS,
    ...fileValues,
    ...options.config,
    'broker.id': String(id),
    'node.id': String(id),
    listeners: `PLAINTEXT://${host}:${port}`,
    ...(advertisedPort === undefined ? {} : { 'advertised.listeners': `PLAINTEXT://${host}:${advertisedPort}` }),
    'log.dirs': join(dataDir, `broker-${id}`),
    'zookeeper.connect': connect,
  });
}

export async function startCoordinatedCluster(options: CoordinatedClusterOptions): Promise<CoordinatedCluster> {
  const temporary = options.dataDir === undefined;
  const dataDir = temporary ? mkdtempSync(join(tmpdir(), 'kafkaesque-')) : resolve(options.dataDir!);
  const external = options.coordinator !== undefined && options.coordinator !== 'embedded';
  let coordinator: CoordinatorHandle | null = null;
  // The broker's modules load while the coordinator starts (mostly waiting on files and
  // sockets), the API handlers too, which the first broker would otherwise import one by one.
  const brokerModules = Promise.all([import('./cluster-node.ts'), import('../handlers/load.ts').then((module) => module.loadHandlers())]);
  brokerModules.catch(() => undefined); // a failed coordinator start must not leave it unhandled
  if (!external) {
    coordinator = await startCoordinator({
      nodes: 1,
      host: options.host ?? '127.0.0.1',
      port: options.coordinatorPort,
      dataDir: join(dataDir, 'coordinator'),
      tickTimeMs: EMBEDDED_TICK_TIME_MS,
      forceSync: false,
    });
    startupMark('coordinator serving');
  }
  const connect = external ? options.coordinator! : coordinator!.connectString;
  const [{ ClusterNode }] = await brokerModules.catch(async (error: unknown) => {
    await coordinator?.close();
    throw error;
  });
  startupMark('broker modules loaded');
  const links = new LinkTable();
  const entries: CoordinatedClusterBroker[] = [];
  let observer: ZkMetadataStore | undefined;
  const host = options.host ?? '127.0.0.1';
  const proxies = new Map<number, { proxy: ClientProxy; internalPort: number }>();
  const startOne = async (id: number, port: number): Promise<ClusterNode> => {
    if (!options.clientProxies) return ClusterNode.start({ config: brokerConfig(options, dataDir, id, port, connect), links, log: options.log });
    let entry = proxies.get(id);
    if (entry === undefined) {
      const internalPort = await freePort(host);
      const proxy = await ClientProxy.start(host, port, { host, port: internalPort });
      proxies.set(id, (entry = { proxy, internalPort }));
      links.setAddress(id, host, internalPort);
    }
    return ClusterNode.start({ config: brokerConfig(options, dataDir, id, entry.internalPort, connect, entry.proxy.port), links, log: options.log });
  };
  const proxyOf = (id: number): ClientProxy => {
    const entry = proxies.get(id);
    if (entry === undefined) throw new Error(`no client proxy for broker ${id} (start the cluster with clientProxies: true)`);
    return entry.proxy;
  };
  try {
    // The observer and every broker start at once: each has its own coordinator session, and
    // the brokers find each other (and elect a controller) through the coordinator, in any order.
    const [store, ...nodes] = await startAll<ZkMetadataStore | ClusterNode>(
      [
        () => ZkMetadataStore.open({ connectString: connect, sessionTimeoutMs: DEV_SESSION_TIMEOUT_MS, log: options.log }),
        ...Array.from({ length: options.brokers }, (_, i) => () => startOne(i + 1, options.port ? options.port + i : 0)),
      ],
      // cleanup after a failed start: a crash, not a controlled shutdown waiting for handovers
      (started) => (started instanceof ClusterNode ? started.kill() : started.close()),
    );
    observer = store as ZkMetadataStore;
    for (const node of nodes as ClusterNode[]) {
      entries.push({ id: node.id, host: node.broker.host, port: node.broker.port, running: true, broker: node.broker, node });
    }
    startupMark('brokers serving');
    // Ready means every view of the cluster — the observer's and each broker's — has every
    // broker and the controller: a test's first CreateTopics on any broker then sees them all.
    const views = [observer, ...entries.map((entry) => entry.node!.store)];
    const complete = (): boolean =>
      views.every((view) => view.controllerId() >= 0 && entries.every((entry) => view.brokers().some((broker) => broker.id === entry.id)));
    if (!(await waitForMetadata(views, complete, READY_WAIT_MS_MAX))) {
      throw new Error(`the cluster did not agree on its brokers and controller within ${READY_WAIT_MS_MAX} ms`);
    }
    startupMark('controller elected, brokers known everywhere');
    if (options.internalTopics) await createInternalTopics(entries.map((entry) => entry.node!));
  } catch (error) {
    await Promise.all(entries.map((entry) => entry.node?.close()));
    await Promise.all([...proxies.values()].map(({ proxy }) => proxy.close()));
    await observer?.close();
    await coordinator?.close();
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const metadata = observer;
  const find = (id: number): CoordinatedClusterBroker => {
    const entry = entries.find((candidate) => candidate.id === id);
    if (entry === undefined) throw new Error(`no broker ${id}`);
    return entry;
  };
  /**
   * Waits (bounded) until the observer and every running broker see what `done` asks: killBroker
   * and restartBroker return once the controller has reacted, as tests expect of a fixture.
   */
  const settle = async (done: (store: ZkMetadataStore) => boolean): Promise<void> => {
    const stores = [metadata, ...entries.flatMap((entry) => (entry.node === undefined ? [] : [entry.node.store]))];
    await waitForMetadata(stores, () => stores.every(done), SETTLE_WAIT_MS_MAX);
  };
  const stop = async (id: number, crash: boolean): Promise<void> => {
    const entry = find(id);
    const node = entry.node;
    if (node === undefined) return;
    entry.node = undefined;
    entry.broker = undefined;
    entry.running = false;
    await (crash ? node.kill() : node.close());
    const controllerLeft = entries.some((entry) => entry.node !== undefined);
    await settle((store) =>
      !store.brokers().some((broker) => broker.id === id) &&
      (!controllerLeft || store.topics().every((topic) => topic.partitions.every((partition) => partition.leader !== id))),
    );
  };
  let closed = false;
  return {
    bootstrap: entries.map((entry) => `${entry.host}:${entry.port}`).join(','),
    brokers: entries,
    dataDir,
    metadata,
    coordinatorConnect: connect,
    coordinator,
    links,
    killBroker: (id) => stop(id, true),
    stopBroker: (id) => stop(id, false),
    async restartBroker(id) {
      const entry = find(id);
      if (entry.node !== undefined) await stop(id, false);
      const node = await startOne(id, entry.port);
      entry.node = node;
      entry.broker = node.broker;
      entry.running = true;
      await settle((store) =>
        store.brokers().some((broker) => broker.id === id) &&
        store.topics().every((topic) => topic.partitions.every((partition) => partition.leader >= 0 || !partition.isr.includes(id))),
      );
    },
    cutLink: (a, b) => links.cut(a, b),
    healLink: (a, b) => links.heal(a, b),
    slowLink: (a, b, delayMs) => links.slow(a, b, delayMs),
    controllerId: () => metadata.controllerId(),
    cutClients: (id) => proxyOf(id).cut(),
    healClients: (id) => proxyOf(id).heal(),
    slowClients: (id, delayMs) => proxyOf(id).slow(delayMs),
    async close() {
      if (closed) return;
      closed = true;
      // Stop brokers one by one: a controlled shutdown needs a controller among the others.
      for (const entry of [...entries].reverse()) await stop(entry.id, false);
      await Promise.all([...proxies.values()].map(({ proxy }) => proxy.close()));
      await metadata.close();
      await coordinator?.close();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
