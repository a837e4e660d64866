/**
 * A cluster with one OS process per broker and per coordinator member (`--processes`): real
 * crashes for failure tests. killBroker is SIGKILL (the broker's session then expires after
 * zookeeper.session.timeout.ms, as in Kafka), pauseBroker SIGSTOP, resumeBroker SIGCONT,
 * stopBroker SIGTERM (controlled shutdown). Link faults travel to the brokers over IPC.
 */
import { DEV_CLUSTER_DEFAULTS } from '../config/dev-defaults.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startCoordinator, type CoordinatorHandle } from '@kafkaesque/coordinator';
import { parseProperties } from '../config/broker-config.ts';
import { DEV_SESSION_TIMEOUT_MS, EMBEDDED_TICK_TIME_MS } from './coordinated-cluster.ts';
import { waitForMetadata } from './metadata-wait.ts';
import { ZkMetadataStore } from './zk-metadata-store.ts';

const BROKER_ENTRY = fileURLToPath(new URL('./broker-main.ts', import.meta.url));
/** How long a broker process may take to print its listening line. */
const BROKER_START_TIMEOUT_MS = 60_000;
/** Longest wait, once every broker serves, for the coordinator to show them all and a controller. */
const READY_WAIT_MS_MAX = 30_000;

export interface ProcessClusterOptions {
  brokers: number;
  dataDir?: string;
  host?: string;
  port?: number;
  configFile?: string;
  config?: Record<string, string>;
  /** 'embedded' (default) or the connect string of a running ensemble. */
  coordinator?: string;
  /** Members of the embedded coordinator ensemble (1, 3 or 5; default 1). */
  coordinatorNodes?: number;
  coordinatorPort?: number;
  log?: (message: string) => void;
}

export interface ProcessClusterBroker {
  id: number;
  host: string;
  port: number;
  running: boolean;
  pid: number;
}

export interface ProcessCluster {
  readonly bootstrap: string;
  readonly brokers: readonly ProcessClusterBroker[];
  readonly dataDir: string;
  readonly metadata: ZkMetadataStore;
  readonly coordinatorConnect: string;
  readonly coordinator: CoordinatorHandle | null;
  killBroker(id: number): Promise<void>;
  stopBroker(id: number): Promise<void>;
  restartBroker(id: number): Promise<void>;
  pauseBroker(id: number): void;
  resumeBroker(id: number): void;
  cutLink(a: number, b: number): Promise<void>;
  healLink(a: number, b: number): Promise<void>;
  slowLink(a: number, b: number, delayMs: number): Promise<void>;
  controllerId(): number;
  close(): Promise<void>;
}

export async function startProcessCluster(options: ProcessClusterOptions): Promise<ProcessCluster> {
  const host = options.host ?? '127.0.0.1';
  const temporary = options.dataDir === undefined;
  const dataDir = temporary ? mkdtempSync(join(tmpdir(), 'kafkaesque-')) : resolve(options.dataDir!);
  const external = options.coordinator !== undefined && options.coordinator !== 'embedded';
  const coordinator = external
    ? null
    : await startCoordinator({
        nodes: options.coordinatorNodes ?? 1,
        host,
        port: options.coordinatorPort,
        dataDir: join(dataDir, 'coordinator'),
        processes: true,
        tickTimeMs: EMBEDDED_TICK_TIME_MS,
        forceSync: false,
      });
  const connect = external ? options.coordinator! : coordinator!.connectString;
  const fileValues = options.configFile ? parseProperties(readFileSync(options.configFile, 'utf8')) : {};
  const children = new Map<number, ChildProcess>();
  const entries: ProcessClusterBroker[] = [];
  for (let id = 1; id <= options.brokers; id++) {
    const port = options.port ? options.port + id - 1 : await freePort(host);
    entries.push({ id, host, port, running: false, pid: -1 });
  }
  const settings = (entry: ProcessClusterBroker): Record<string, string> => ({
    ...DEV_CLUSTER_DEFAULTS,
    ...fileValues,
    ...options.config,
    'broker.id': String(entry.id),
    'node.id': String(entry.id),
    listeners: `PLAINTEXT://${host}:${entry.port}`,
    'log.dirs': join(dataDir, `broker-${entry.id}`),
    'zookeeper.connect': connect,
  });
  const launch = async (entry: ProcessClusterBroker): Promise<void> => {
    const child = spawn(process.execPath, [BROKER_ENTRY, JSON.stringify(settings(entry))], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    children.set(entry.id, child);
    await new Promise<void>((resolveStart, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`broker ${entry.id} did not start within ${BROKER_START_TIMEOUT_MS} ms`)), BROKER_START_TIMEOUT_MS);
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('\n')) {
          clearTimeout(timer);
          resolveStart();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`broker ${entry.id} exited with ${code ?? signal}`));
      });
    });
    entry.pid = child.pid ?? -1;
    entry.running = true;
    child.once('exit', () => {
      if (children.get(entry.id) === child) {
        children.delete(entry.id);
        entry.running = false;
      }
    });
  };
  let metadata: ZkMetadataStore | undefined;
  const find = (id: number): ProcessClusterBroker => {
    const entry = entries.find((candidate) => candidate.id === id);
    if (entry === undefined) throw new Error(`no broker ${id}`);
    return entry;
  };
  const signal = async (id: number, name: NodeJS.Signals): Promise<void> => {
    const child = children.get(id);
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    if (name === 'SIGTERM') child.kill('SIGCONT');
    child.kill(name);
    await exited;
  };
  const tell = async (id: number, message: object): Promise<void> => {
    const child = children.get(id);
    if (child === undefined || !child.connected) return;
    await new Promise<void>((resolveSent) => {
      const onMessage = (): void => {
        child.off('message', onMessage);
        resolveSent();
      };
      child.on('message', onMessage);
      child.send(message);
    });
  };
  const linkOp = async (op: string, a: number, b: number, delayMs?: number): Promise<void> => {
    await Promise.all([tell(a, { op, a, b, delayMs }), tell(b, { op, a, b, delayMs })]);
  };
  try {
    // The observer and every broker process start at once (they meet through the coordinator).
    const [store, ...launched] = await Promise.allSettled([
      ZkMetadataStore.open({ connectString: connect, sessionTimeoutMs: DEV_SESSION_TIMEOUT_MS, log: options.log }),
      ...entries.map((entry) => launch(entry)),
    ]);
    if (store.status === 'fulfilled') metadata = store.value;
    const failed = [store, ...launched].find((result) => result.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    const view = metadata!;
    const complete = (): boolean =>
      view.controllerId() >= 0 && entries.every((entry) => view.brokers().some((broker) => broker.id === entry.id));
    if (!(await waitForMetadata([view], complete, READY_WAIT_MS_MAX))) {
      throw new Error(`the brokers and a controller did not appear in the coordinator within ${READY_WAIT_MS_MAX} ms`);
    }
  } catch (error) {
    for (const id of children.keys()) await signal(id, 'SIGKILL');
    await metadata?.close();
    await coordinator?.close();
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const observer = metadata!; // set, or the start threw above
  let closed = false;
  return {
    bootstrap: entries.map((entry) => `${entry.host}:${entry.port}`).join(','),
    brokers: entries,
    dataDir,
    metadata: observer,
    coordinatorConnect: connect,
    coordinator,
    killBroker: (id) => signal(find(id).id, 'SIGKILL'),
    stopBroker: (id) => signal(find(id).id, 'SIGTERM'),
    async restartBroker(id) {
      const entry = find(id);
      if (children.has(id)) await signal(id, 'SIGTERM');
      await launch(entry);
    },
    pauseBroker: (id) => void children.get(find(id).id)?.kill('SIGSTOP'),
    resumeBroker: (id) => void children.get(find(id).id)?.kill('SIGCONT'),
    cutLink: (a, b) => linkOp('cut', a, b),
    healLink: (a, b) => linkOp('heal', a, b),
    slowLink: (a, b, delayMs) => linkOp('slow', a, b, delayMs),
    controllerId: () => observer.controllerId(),
    async close() {
      if (closed) return;
      closed = true;
      for (const entry of [...entries].reverse()) await signal(entry.id, 'SIGTERM');
      await observer.close();
      await coordinator?.close();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
