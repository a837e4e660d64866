/**
 * `startCluster()`: brokers in this process for tests and `kafkaesque up`.
 *
 * Brokers get ids 1..N, each with its own log dir `<dataDir>/broker-<id>`. With more than one
 * broker (or with `coordinator` set) the cluster runs on the coordinator
 * (./cluster/coordinated-cluster.ts: an embedded one in `<dataDir>/coordinator`, or an external
 * ZooKeeper ensemble), with replication, a controller and fault injection (cutLink, slowLink).
 * A single broker without `coordinator` keeps its metadata in one local file
 * (LocalMetadataStore in `<dataDir>/metadata`) and needs no coordinator.
 *
 *   const cluster = await startCluster({ brokers: 1 });   // ephemeral ports, temp data dir
 *   cluster.bootstrap                                     // "127.0.0.1:54321"
 *   await cluster.killBroker(1); await cluster.restartBroker(1);
 *   await cluster.close();                                // removes the temp dir
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Broker } from './broker.ts';
import { DEV_CLUSTER_DEFAULTS } from './config/dev-defaults.ts';
import { BrokerConfig, parseProperties } from './config/broker-config.ts';
import { LocalMetadataStore } from './metadata/local-store.ts';
import type { MetadataStore } from './metadata/store.ts';

export interface StartClusterOptions {
  /** Number of brokers (ids 1..N); default 1. */
  brokers?: number;
  /** Keep data here (kept on close); default: a temp dir removed on close. */
  dataDir?: string;
  host?: string;
  /** First broker's port, the others follow; default 0 = ephemeral ports. */
  port?: number;
  /** A server.properties file applied to every broker. */
  configFile?: string;
  /** Broker settings (Kafka names) applied to every broker, after configFile. */
  config?: Record<string, string>;
  /** Where brokers report unexpected errors; default stderr. */
  log?: (message: string) => void;
  /**
   * 'embedded' (default with more than one broker), 'local' (one metadata file, no replication:
   * the default for one broker) or the connect string of a ZooKeeper / coordinator ensemble.
   */
  coordinator?: string;
  /** Port of the embedded coordinator (default: ephemeral). */
  coordinatorPort?: number;
  /**
   * Coordinator-backed clusters: create __consumer_offsets before returning, led on every broker,
   * so the cluster is ready with its internal topic (`kafkaesque up` does); tests leave it to the
   * first FindCoordinator, as Kafka does.
   */
  internalTopics?: boolean;
  /**
   * Coordinator-backed clusters: a TCP proxy in front of each broker's client listener (brokers
   * advertise the proxy), so that cutClients / slowClients can fault the links between clients
   * and a broker.
   */
  clientProxies?: boolean;
}

export interface ClusterBroker {
  id: number;
  host: string;
  port: number;
  /** Whether it is running (false between killBroker and restartBroker). */
  running: boolean;
  /** The running instance (for tests that look inside), undefined while killed. */
  broker: Broker | undefined;
}

export interface Cluster {
  /** "host:port,host:port,…" of every broker. */
  readonly bootstrap: string;
  readonly brokers: readonly ClusterBroker[];
  readonly dataDir: string;
  readonly metadata: MetadataStore;
  /** Stops a broker abruptly (connections cut, no answers for in-flight requests). */
  killBroker(id: number): Promise<void>;
  /** Stops a broker gracefully (in-flight requests finish). */
  stopBroker(id: number): Promise<void>;
  /** Starts a stopped broker again on the same port and data. */
  restartBroker(id: number): Promise<void>;
  /** Coordinator-backed clusters only: cut, heal or slow the replication link between two brokers. */
  cutLink?(a: number, b: number): void;
  healLink?(a: number, b: number): void;
  slowLink?(a: number, b: number, delayMs: number): void;
  /** Coordinator-backed clusters only: the active controller's id, and where the coordinator listens. */
  controllerId?(): number;
  readonly coordinatorConnect?: string;
  /** Coordinator-backed clusters started with clientProxies: fault the links between clients and a broker. */
  cutClients?(id: number): void;
  healClients?(id: number): void;
  slowClients?(id: number, delayMs: number): void;
  close(): Promise<void>;
}

function brokerConfig(options: StartClusterOptions, dataDir: string, id: number, port: number): BrokerConfig {
  const host = options.host ?? '127.0.0.1';
  const fileValues = options.configFile ? parseProperties(readFileSync(options.configFile, 'utf8')) : {};
  return new BrokerConfig({
    ...DEV_CLUSTER_DEFAULTS,
    ...fileValues,
    ...options.config,
    'broker.id': String(id),
    'node.id': String(id),
    listeners: `PLAINTEXT://${host}:${port}`,
    'log.dirs': join(dataDir, `broker-${id}`),
  });
}

export async function startCluster(options: StartClusterOptions = {}): Promise<Cluster> {
  const brokerCount = options.brokers ?? 1;
  if (!Number.isInteger(brokerCount) || brokerCount < 1) throw new Error(`brokers must be a positive integer, got ${brokerCount}`);
  const coordinator = options.coordinator ?? (brokerCount > 1 ? 'embedded' : 'local');
  if (coordinator !== 'local') {
    const { startCoordinatedCluster } = await import('./cluster/coordinated-cluster.ts');
    return startCoordinatedCluster({ ...options, brokers: brokerCount, coordinator });
  }
  // Loaded here, not at the top: a coordinator-backed cluster loads it while its coordinator starts.
  const { Broker } = await import('./broker.ts');
  const temporary = options.dataDir === undefined;
  const dataDir = temporary ? mkdtempSync(join(tmpdir(), 'kafkaesque-')) : resolve(options.dataDir!);
  const metadata = LocalMetadataStore.open(join(dataDir, 'metadata'));
  const brokers: ClusterBroker[] = [];
  const startOne = async (id: number, port: number): Promise<Broker> =>
    Broker.start({ config: brokerConfig(options, dataDir, id, port), metadata, log: options.log });
  try {
    for (let id = 1; id <= brokerCount; id++) {
      const port = options.port ? options.port + id - 1 : 0;
      const broker = await startOne(id, port);
      brokers.push({ id, host: broker.host, port: broker.port, running: true, broker });
    }
  } catch (error) {
    await Promise.all(brokers.map((entry) => entry.broker?.close()));
    await metadata.close();
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const find = (id: number): ClusterBroker => {
    const entry = brokers.find((candidate) => candidate.id === id);
    if (entry === undefined) throw new Error(`no broker ${id}`);
    return entry;
  };
  const stop = async (id: number, crash: boolean): Promise<void> => {
    const entry = find(id);
    const broker = entry.broker;
    if (broker === undefined) return;
    entry.broker = undefined;
    entry.running = false;
    await (crash ? broker.abort() : broker.close());
  };
  let closed = false;
  return {
    bootstrap: brokers.map((entry) => `${entry.host}:${entry.port}`).join(','),
    brokers,
    dataDir,
    metadata,
    killBroker: (id) => stop(id, true),
    stopBroker: (id) => stop(id, false),
    async restartBroker(id) {
      const entry = find(id);
      if (entry.broker !== undefined) await stop(id, false);
      entry.broker = await startOne(id, entry.port);
      entry.running = true;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(brokers.map((entry) => stop(entry.id, false)));
      await metadata.close();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
