/**
 * MetadataStore on the coordinator (or a real ZooKeeper ensemble), in Kafka's ZooKeeper-mode
 * layout (zk-layout.ts). One instance per broker, with its own session: the broker's
 * registration is an ephemeral znode of that session, so a dead broker disappears when its
 * session expires.
 *
 * Reads are served from a cache kept current by watches (the MetadataStore interface is
 * synchronous for reads). Every cache mutation happens on one serial chain, from a fresh read
 * of the znode, and is announced to `subscribe` listeners — so the order in which listeners see
 * changes is the order this broker read them. Writers (CreateTopics, the controller, a leader
 * changing its ISR) write to the coordinator and then refresh the affected znodes through the
 * same chain, so they read their own writes before they return.
 *
 * Partition state writes are conditional on the znode version the writer last read (Kafka's
 * zkVersion fencing), and the controller's additionally check /controller_epoch's version.
 */
import { randomBytes } from 'node:crypto';
import { randomUuid, ZkErrorCode, type Uuid } from '@kafkaesque/protocol';
import { CoordinatorClient, CoordinatorError, type MultiOp, type WatchEvent } from '@kafkaesque/coordinator';
import {
  MetadataError,
  type BrokerRegistration,
  type MetadataChange,
  type MetadataStore,
  type NewTopic,
  type PartitionState,
  type TopicState,
} from '../metadata/store.ts';
import {
  DEFAULT_BROKER_CONFIG_KEY,
  PERSISTENT_PATHS,
  Paths,
  decodeBrokerRegistration,
  decodeClusterId,
  decodeConfig,
  decodeController,
  decodeLeaderAndIsr,
  decodeNextProducerId,
  decodeTopicAssignment,
  encodeBrokerRegistration,
  encodeClusterId,
  encodeConfig,
  encodeLeaderAndIsr,
  encodeProducerIdBlock,
  encodeTopicAssignment,
  type TopicAssignment,
} from './zk-layout.ts';

const ErrorCode = {
  topicAlreadyExists: 36,
  unknownTopicOrPartition: 3,
  notController: 41,
  staleState: 15, // COORDINATOR_NOT_AVAILABLE: retriable "try again"
} as const;

/** Backoff between retries of a coordinator call that failed with a connection loss. */
const RETRY_DELAY_MS = 50;
/** Bound on retries of one read before the refresh gives up (it runs again on the next event). */
const READ_ATTEMPTS_MAX = 200;

export interface ZkMetadataStoreOptions {
  /** "host:port,host:port" of the coordinator / ZooKeeper ensemble. */
  connectString: string;
  /** zookeeper.session.timeout.ms */
  sessionTimeoutMs?: number;
  /** Cluster id to use when the coordinator has none yet. */
  clusterId?: string;
  log?: (message: string) => void;
}

interface CachedTopic {
  state: TopicState;
  assignmentVersion: number;
  /** Ongoing reassignments (Kafka's adding_replicas / removing_replicas), by partition index. */
  adding: Record<string, number[]>;
  removing: Record<string, number[]>;
  /** zkVersion of each partition's state znode (-1: no state znode yet). */
  stateVersions: number[];
  /** controller_epoch written in each partition's state (for the dashboard / tests). */
  controllerEpochs: number[];
}

/** A partition state write that lost the race (BADVERSION): re-read and decide again. */
export class StaleStateError extends MetadataError {
  constructor(path: string) {
    super(ErrorCode.staleState, `${path} changed since it was read`, true);
    this.name = 'StaleStateError';
  }
}

export class ZkMetadataStore implements MetadataStore {
  clusterId: string;
  private readonly options: ZkMetadataStoreOptions;
  private clientValue: CoordinatorClient;
  private readonly brokersById = new Map<number, BrokerRegistration>();
  private readonly topicsByName = new Map<string, CachedTopic>();
  private readonly topicsById = new Map<Uuid, CachedTopic>();
  private readonly brokerConfigValues = new Map<string, Record<string, string>>();
  private controller = -1;
  private readonly listeners = new Set<(change: MetadataChange) => void>();
  private readonly sessionListeners = new Set<() => void>();
  private chain: Promise<void> = Promise.resolve();
  /** One stable watcher per path, so a re-read never stacks a second callback. */
  private readonly watchers = new Map<string, (event: WatchEvent) => void>();
  private registration: BrokerRegistration | null = null;
  private closed = false;
  /** Secret the brokers of this cluster prove themselves with (replica fetches). */
  interBrokerSecret = '';

  private constructor(options: ZkMetadataStoreOptions, client: CoordinatorClient) {
    this.options = options;
    this.clientValue = client;
    this.clusterId = '';
  }

  static async open(options: ZkMetadataStoreOptions): Promise<ZkMetadataStore> {
    const store = new ZkMetadataStore(options, ZkMetadataStore.newClient(options));
    await store.startSession();
    return store;
  }

  private static newClient(options: ZkMetadataStoreOptions): CoordinatorClient {
    return new CoordinatorClient({ connectString: options.connectString, sessionTimeoutMs: options.sessionTimeoutMs ?? 6000 });
  }

  /** The coordinator session (the controller elects itself with it). */
  get client(): CoordinatorClient {
    return this.clientValue;
  }

  /** Called after a new session replaced an expired one (the controller re-runs its election). */
  onSessionRenewed(listener: () => void): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  private async startSession(): Promise<void> {
    const client = this.clientValue;
    client.on('session', (state: string) => {
      if (state === 'expired' && client === this.clientValue && !this.closed) void this.renewSession().catch(() => undefined);
    });
    await this.read(() => client.connect());
    await this.ensurePaths();
    [this.clusterId, this.interBrokerSecret] = await Promise.all([this.ensureClusterId(), this.ensureSecret()]);
    await this.enqueue(() => this.refreshAll());
  }

  private renewal: Promise<void> | null = null;

  /** Replaces an expired session (once, however many callers notice the expiry). */
  private renewSession(): Promise<void> {
    this.renewal ??= this.startNewSession().finally(() => {
      this.renewal = null;
    });
    return this.renewal;
  }

  private async startNewSession(): Promise<void> {
    this.report('coordinator session expired; starting a new one');
    for (;;) {
      if (this.closed) return;
      const expired = this.clientValue;
      this.watchers.clear();
      this.clientValue = ZkMetadataStore.newClient(this.options);
      expired.close().catch(() => undefined);
      try {
        await this.startSession();
        if (this.registration !== null) await this.writeRegistration(this.registration);
        break;
      } catch (error) {
        this.report(`coordinator session renewal failed: ${(error as Error).message}`);
        await delay(RETRY_DELAY_MS * 10);
      }
    }
    for (const listener of this.sessionListeners) listener();
  }

  private report(message: string): void {
    (this.options.log ?? ((text: string) => process.stderr.write(`${text}\n`)))(`metadata: ${message}`);
  }

  /**
   * Creates the persistent paths, one level of the tree at a time with every create of a level
   * in flight at once (one round trip per level instead of one per path: each broker and the
   * observer run this at start-up). A parent is always a level above its children.
   */
  private async ensurePaths(): Promise<void> {
    const depth = (path: string): number => path.split('/').length;
    const levels = [...new Set(PERSISTENT_PATHS.map(depth))].sort((a, b) => a - b);
    for (const level of levels) {
      await Promise.all(PERSISTENT_PATHS.filter((path) => depth(path) === level).map(async (path) => {
        try {
          await this.read((client) => client.create(path, null));
        } catch (error) {
          if (!isCode(error, 'NODEEXISTS')) throw error;
        }
      }));
    }
  }

  private async ensureClusterId(): Promise<string> {
    try {
      await this.read((client) => client.create(Paths.clusterId, encodeClusterId(this.options.clusterId ?? randomUuid())));
    } catch (error) {
      if (!isCode(error, 'NODEEXISTS')) throw error;
    }
    const { data } = await this.read((client) => client.getData(Paths.clusterId));
    return decodeClusterId(Paths.clusterId, data);
  }

  private async ensureSecret(): Promise<string> {
    try {
      await this.read((client) => client.create(Paths.interBrokerSecret, Buffer.from(randomBytes(18).toString('base64url'))));
    } catch (error) {
      if (!isCode(error, 'NODEEXISTS')) throw error;
    }
    const { data } = await this.read((client) => client.getData(Paths.interBrokerSecret));
    return data?.toString('utf8') ?? '';
  }

  // ---- the serial refresh chain ---------------------------------------------------------------

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch((error: unknown) => {
      if (!this.closed) this.report(`refresh failed: ${(error as Error)?.stack ?? error}`);
    });
    return run;
  }

  /** Resolves once every refresh queued so far has run. */
  settled(): Promise<void> {
    return this.chain;
  }

  private watcher(path: string, refresh: () => Promise<void>): (event: WatchEvent) => void {
    let watcher = this.watchers.get(path);
    if (watcher === undefined) {
      watcher = () => {
        this.watchers.delete(path);
        if (!this.closed) void this.enqueue(refresh).catch(() => undefined);
      };
      this.watchers.set(path, watcher);
    }
    return watcher;
  }

  /**
   * A call retried across connection losses (the session survives those). A retried write may
   * have been applied already: callers treat NODEEXISTS / BADVERSION after a retry accordingly.
   */
  private async read<T>(call: (client: CoordinatorClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = this.clientValue;
      try {
        return await call(client);
      } catch (error) {
        const lost = isCode(error, 'CONNECTIONLOSS');
        const expired = isCode(error, 'SESSIONEXPIRED');
        if ((!lost && !expired) || attempt >= READ_ATTEMPTS_MAX || this.closed) throw error;
        // An expired session is replaced (renewSession); the call then goes to the new one.
        if (expired && client === this.clientValue && this.renewal === null) void this.renewSession().catch(() => undefined);
        await delay(RETRY_DELAY_MS);
      }
    }
  }

  private emit(change: MetadataChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.report(`listener failed: ${(error as Error)?.stack ?? error}`);
      }
    }
  }

  private async refreshAll(): Promise<void> {
    await this.refreshController();
    await this.refreshBrokers();
    await this.refreshBrokerConfigs();
    await this.refreshTopics();
  }

  private async refreshController(): Promise<void> {
    const path = Paths.controller;
    const watch = this.watcher(path, () => this.refreshController());
    let controller = -1;
    try {
      const { data } = await this.read((client) => client.getData(path, watch));
      controller = decodeController(path, data);
    } catch (error) {
      if (!isCode(error, 'NONODE')) throw error;
      // no controller: watch for the next one
      const stat = await this.read((client) => client.exists(path, watch));
      if (stat !== null) return this.refreshController();
    }
    if (controller === this.controller) return;
    this.controller = controller;
    this.emit({ kind: 'brokers-changed' });
  }

  private async refreshBrokers(): Promise<void> {
    const ids = await this.read((client) => client.getChildren(Paths.brokerIds, this.watcher(Paths.brokerIds, () => this.refreshBrokers())));
    const next = new Map<number, BrokerRegistration>();
    for (const name of ids) {
      const id = Number(name);
      if (!Number.isInteger(id)) continue;
      try {
        const { data } = await this.read((client) => client.getData(Paths.broker(id)));
        next.set(id, decodeBrokerRegistration(Paths.broker(id), id, data));
      } catch (error) {
        if (isCode(error, 'NONODE')) continue;
        this.report(`ignoring broker ${id}: ${(error as Error).message}`);
      }
    }
    const same = next.size === this.brokersById.size && [...next].every(([id, broker]) => sameBroker(this.brokersById.get(id), broker));
    if (same) return;
    this.brokersById.clear();
    for (const [id, broker] of next) this.brokersById.set(id, broker);
    for (const cached of this.topicsByName.values()) {
      for (const partition of cached.state.partitions) partition.offlineReplicas = partition.replicas.filter((id) => !next.has(id));
    }
    this.emit({ kind: 'brokers-changed' });
  }

  private async refreshBrokerConfigs(): Promise<void> {
    const keys = await this.read((client) => client.getChildren(Paths.configBrokers, this.watcher(Paths.configBrokers, () => this.refreshBrokerConfigs())));
    for (const key of keys) if (!this.brokerConfigValues.has(key)) await this.refreshBrokerConfig(key);
    for (const key of [...this.brokerConfigValues.keys()]) if (!keys.includes(key)) this.brokerConfigValues.delete(key);
  }

  private async refreshBrokerConfig(key: string): Promise<void> {
    const path = Paths.brokerConfig(key);
    let configs: Record<string, string> = {};
    try {
      const { data } = await this.read((client) => client.getData(path, this.watcher(path, () => this.refreshBrokerConfig(key))));
      configs = decodeConfig(path, data);
    } catch (error) {
      if (!isCode(error, 'NONODE')) throw error;
      this.brokerConfigValues.delete(key);
      return;
    }
    this.brokerConfigValues.set(key, configs);
    this.emit({ kind: 'broker-configs-changed', brokerId: key === DEFAULT_BROKER_CONFIG_KEY ? null : Number(key) });
  }

  private async refreshTopics(): Promise<void> {
    const names = await this.read((client) => client.getChildren(Paths.brokerTopics, this.watcher(Paths.brokerTopics, () => this.refreshTopics())));
    const present = new Set(names);
    for (const [name, cached] of [...this.topicsByName]) {
      if (present.has(name)) continue;
      this.forget(cached);
      this.emit({ kind: 'topic-deleted', topic: cached.state });
    }
    for (const name of names) if (!this.topicsByName.has(name)) await this.loadTopic(name);
  }

  private forget(cached: CachedTopic): void {
    this.topicsByName.delete(cached.state.name);
    if (this.topicsById.get(cached.state.id) === cached) this.topicsById.delete(cached.state.id);
  }

  private async loadTopic(name: string): Promise<void> {
    const path = Paths.topic(name);
    let assignment: TopicAssignment;
    let assignmentVersion: number;
    try {
      const { data, stat } = await this.read((client) => client.getData(path, this.watcher(path, () => this.refreshAssignment(name))));
      assignment = decodeTopicAssignment(path, data);
      assignmentVersion = stat.version;
    } catch (error) {
      if (isCode(error, 'NONODE')) return;
      throw error;
    }
    const configs = await this.readTopicConfig(name);
    const cached: CachedTopic = {
      state: {
        name,
        id: assignment.topicId ?? randomUuid(),
        internal: name.startsWith('__'),
        partitions: [],
        configs,
      },
      assignmentVersion,
      adding: assignment.addingReplicas,
      removing: assignment.removingReplicas,
      stateVersions: [],
      controllerEpochs: [],
    };
    // All reads at once: they pipeline on the session's connection (one round trip, not one per partition).
    await Promise.all(assignment.partitions.map((replicas, index) => this.loadPartition(name, cached, index, replicas)));
    this.topicsByName.set(name, cached);
    this.topicsById.set(cached.state.id, cached);
    this.emit({ kind: 'topic-created', topic: cached.state });
  }

  private async readTopicConfig(name: string): Promise<Record<string, string>> {
    const path = Paths.topicConfig(name);
    try {
      const { data } = await this.read((client) => client.getData(path, this.watcher(path, () => this.refreshTopicConfig(name))));
      return decodeConfig(path, data);
    } catch (error) {
      if (!isCode(error, 'NONODE')) throw error;
      await this.read((client) => client.exists(path, this.watcher(path, () => this.refreshTopicConfig(name))));
      return {};
    }
  }

  private async refreshTopicConfig(name: string): Promise<void> {
    const configs = await this.readTopicConfig(name);
    const cached = this.topicsByName.get(name);
    if (cached === undefined || sameRecord(cached.state.configs, configs)) return;
    cached.state.configs = configs;
    this.emit({ kind: 'topic-configs-changed', topic: cached.state });
  }

  /** Reads one partition's state znode (with a watch) into the cached topic. */
  private async loadPartition(name: string, cached: CachedTopic, index: number, replicas: number[]): Promise<boolean> {
    const path = Paths.partitionState(name, index);
    const watch = this.watcher(path, () => this.refreshPartition(name, index));
    let state: PartitionState;
    let version = -1;
    let controllerEpoch = -1;
    try {
      const { data, stat } = await this.read((client) => client.getData(path, watch));
      const decoded = decodeLeaderAndIsr(path, data);
      version = stat.version;
      controllerEpoch = decoded.controllerEpoch;
      state = { partition: index, leader: decoded.leader, leaderEpoch: decoded.leaderEpoch, partitionEpoch: stat.version, replicas, isr: decoded.isr, offlineReplicas: [] };
    } catch (error) {
      if (!isCode(error, 'NONODE')) throw error;
      await this.read((client) => client.exists(path, watch));
      state = { partition: index, leader: -1, leaderEpoch: -1, partitionEpoch: -1, replicas, isr: [], offlineReplicas: [] };
    }
    const previous = cached.state.partitions[index];
    if (previous !== undefined && cached.stateVersions[index] >= version && sameReplicas(previous.replicas, replicas)) return false;
    state.offlineReplicas = replicas.filter((id) => !this.brokersById.has(id));
    cached.state.partitions[index] = state;
    cached.stateVersions[index] = version;
    cached.controllerEpochs[index] = controllerEpoch;
    return true;
  }

  private async refreshPartition(name: string, index: number): Promise<void> {
    const cached = this.topicsByName.get(name);
    if (cached === undefined || cached.state.partitions[index] === undefined) return;
    const changed = await this.loadPartition(name, cached, index, cached.state.partitions[index].replicas);
    if (changed) this.emit({ kind: 'partition-changed', topic: cached.state, partition: cached.state.partitions[index] });
  }

  private async refreshAssignment(name: string): Promise<void> {
    const cached = this.topicsByName.get(name);
    if (cached === undefined) return;
    const path = Paths.topic(name);
    let assignment: TopicAssignment;
    try {
      const { data, stat } = await this.read((client) => client.getData(path, this.watcher(path, () => this.refreshAssignment(name))));
      assignment = decodeTopicAssignment(path, data);
      cached.assignmentVersion = stat.version;
      cached.adding = assignment.addingReplicas;
      cached.removing = assignment.removingReplicas;
    } catch (error) {
      if (isCode(error, 'NONODE')) return; // deletion: refreshTopics handles it
      throw error;
    }
    const firstNewPartition = cached.state.partitions.length;
    for (let index = 0; index < Math.min(firstNewPartition, assignment.partitions.length); index++) {
      const replicas = assignment.partitions[index];
      if (sameReplicas(cached.state.partitions[index].replicas, replicas)) continue;
      cached.state.partitions[index] = { ...cached.state.partitions[index], replicas };
      await this.loadPartition(name, cached, index, replicas);
      this.emit({ kind: 'partition-changed', topic: cached.state, partition: cached.state.partitions[index] });
    }
    if (assignment.partitions.length <= firstNewPartition) return;
    const added = assignment.partitions.slice(firstNewPartition);
    await Promise.all(added.map((replicas, i) => this.loadPartition(name, cached, firstNewPartition + i, replicas)));
    this.emit({ kind: 'partitions-created', topic: cached.state, firstNewPartition });
  }

  // ---- MetadataStore: reads ---------------------------------------------------------------------

  controllerId(): number {
    return this.controller;
  }

  brokers(): BrokerRegistration[] {
    return [...this.brokersById.values()].sort((a, b) => a.id - b.id);
  }

  topics(): TopicState[] {
    return [...this.topicsByName.values()].map((cached) => cached.state);
  }

  topic(name: string): TopicState | undefined {
    return this.topicsByName.get(name)?.state;
  }

  topicById(id: Uuid): TopicState | undefined {
    return this.topicsById.get(id)?.state;
  }

  /** zkVersion of a partition's state znode as last read (-1 when unknown). */
  stateVersion(name: string, partition: number): number {
    return this.topicsByName.get(name)?.stateVersions[partition] ?? -1;
  }

  /** controller_epoch recorded in a partition's state znode as last read. */
  stateControllerEpoch(name: string, partition: number): number {
    return this.topicsByName.get(name)?.controllerEpochs[partition] ?? -1;
  }

  brokerConfigs(brokerId: number | null): Record<string, string> {
    return { ...(this.brokerConfigValues.get(brokerId === null ? DEFAULT_BROKER_CONFIG_KEY : String(brokerId)) ?? {}) };
  }

  // ---- MetadataStore: writes --------------------------------------------------------------------

  async registerBroker(broker: BrokerRegistration): Promise<void> {
    this.registration = { ...broker };
    await this.writeRegistration(broker);
    await this.enqueue(() => this.refreshBrokers());
  }

  private async writeRegistration(broker: BrokerRegistration): Promise<void> {
    const path = Paths.broker(broker.id);
    const data = encodeBrokerRegistration(broker, Date.now());
    for (;;) {
      try {
        await this.read((client) => client.create(path, data, { mode: 'ephemeral' }));
        return;
      } catch (error) {
        if (!isCode(error, 'NODEEXISTS')) throw error;
      }
      // A registration left by our previous session: it goes when that session expires.
      try {
        const stat = await this.read((client) => client.exists(path));
        if (stat !== null && stat.ephemeralOwner === this.clientValue.sessionId) return;
      } catch (error) {
        if (!isCode(error, 'NONODE')) throw error;
      }
      if (this.closed) return;
      await delay(RETRY_DELAY_MS * 4);
    }
  }

  async unregisterBroker(brokerId: number): Promise<void> {
    if (this.closed || this.registration?.id !== brokerId) return;
    this.registration = null;
    try {
      await this.clientValue.delete(Paths.broker(brokerId));
    } catch (error) {
      if (!isCode(error, 'NONODE') && !isCode(error, 'CONNECTIONLOSS') && !isCode(error, 'SESSIONEXPIRED')) throw error;
    }
  }

  async createTopic(spec: NewTopic): Promise<TopicState> {
    if (this.topicsByName.has(spec.name)) {
      throw new MetadataError(ErrorCode.topicAlreadyExists, `Topic '${spec.name}' already exists.`);
    }
    const topicId = randomUuid();
    const live = new Set(this.brokersById.keys());
    const controllerEpoch = await this.currentControllerEpoch();
    const ops: MultiOp[] = [
      { op: 'create', path: Paths.topicConfig(spec.name), data: encodeConfig(spec.configs) },
      {
        op: 'create',
        path: Paths.topic(spec.name),
        data: encodeTopicAssignment({ topicId, partitions: spec.assignments, addingReplicas: {}, removingReplicas: {} }),
      },
      { op: 'create', path: Paths.partitions(spec.name), data: null },
    ];
    spec.assignments.forEach((replicas, index) => ops.push(...newPartitionOps(spec.name, index, replicas, live, controllerEpoch)));
    try {
      await this.read((client) => client.multi(ops));
    } catch (error) {
      if (!isCode(error, 'NODEEXISTS')) throw error;
      // Ours, when a retry after a connection loss found the first attempt applied.
      const existing = await this.read((client) => client.getData(Paths.topic(spec.name))).catch(() => null);
      const sameTopic = existing !== null && decodeTopicAssignment(Paths.topic(spec.name), existing.data).topicId === topicId;
      if (!sameTopic) throw new MetadataError(ErrorCode.topicAlreadyExists, `Topic '${spec.name}' already exists.`);
    }
    await this.enqueue(() => this.refreshTopics());
    const topic = this.topicsByName.get(spec.name);
    if (topic === undefined) throw new MetadataError(ErrorCode.unknownTopicOrPartition, `Topic '${spec.name}' vanished while created`, true);
    return topic.state;
  }

  private async currentControllerEpoch(): Promise<number> {
    try {
      const { data } = await this.read((client) => client.getData(Paths.controllerEpoch));
      return Number(data?.toString('utf8') ?? '0') || 0;
    } catch (error) {
      if (isCode(error, 'NONODE')) return 0;
      throw error;
    }
  }

  /**
   * Deletion as Kafka's admin path records it (/admin/delete_topics/<t>), carried out at once by
   * the caller: the znodes go in one transaction, then the marker.
   */
  async deleteTopic(name: string): Promise<TopicState> {
    const cached = this.requireTopic(name);
    try {
      await this.clientValue.create(Paths.deleteTopic(name), null);
    } catch (error) {
      if (!isCode(error, 'NODEEXISTS')) throw error;
    }
    const ops: MultiOp[] = [];
    cached.state.partitions.forEach((_state, index) => {
      if (cached.stateVersions[index] >= 0) ops.push({ op: 'delete', path: Paths.partitionState(name, index) });
      ops.push({ op: 'delete', path: Paths.partition(name, index) });
    });
    ops.push({ op: 'delete', path: Paths.partitions(name) }, { op: 'delete', path: Paths.topic(name) });
    try {
      await this.clientValue.multi(ops);
    } catch (error) {
      if (!isCode(error, 'NONODE')) throw error;
      await this.deleteRecursively(Paths.topic(name));
    }
    await this.clientValue.delete(Paths.topicConfig(name)).catch((error: unknown) => {
      if (!isCode(error, 'NONODE')) throw error;
    });
    await this.clientValue.delete(Paths.deleteTopic(name)).catch(() => undefined);
    await this.enqueue(() => this.refreshTopics());
    return cached.state;
  }

  private async deleteRecursively(path: string): Promise<void> {
    let children: string[];
    try {
      children = await this.clientValue.getChildren(path);
    } catch (error) {
      if (isCode(error, 'NONODE')) return;
      throw error;
    }
    for (const child of children) await this.deleteRecursively(`${path}/${child}`);
    await this.clientValue.delete(path).catch((error: unknown) => {
      if (!isCode(error, 'NONODE')) throw error;
    });
  }

  async createPartitions(name: string, assignments: number[][]): Promise<TopicState> {
    const cached = this.requireTopic(name);
    const live = new Set(this.brokersById.keys());
    const controllerEpoch = await this.currentControllerEpoch();
    const first = cached.state.partitions.length;
    const all = [...cached.state.partitions.map((partition) => partition.replicas), ...assignments];
    const ops: MultiOp[] = [
      {
        op: 'setData',
        path: Paths.topic(name),
        data: encodeTopicAssignment({ topicId: cached.state.id, partitions: all, addingReplicas: cached.adding, removingReplicas: cached.removing }),
        version: cached.assignmentVersion,
      },
    ];
    assignments.forEach((replicas, i) => ops.push(...newPartitionOps(name, first + i, replicas, live, controllerEpoch)));
    try {
      await this.clientValue.multi(ops);
    } catch (error) {
      if (isCode(error, 'BADVERSION')) throw new StaleStateError(Paths.topic(name));
      throw error;
    }
    await this.enqueue(() => this.refreshAssignment(name));
    return this.requireTopic(name).state;
  }

  /** Ongoing reassignments of a topic: adding / removing replicas by partition index. */
  reassignments(name: string): { adding: Record<string, number[]>; removing: Record<string, number[]> } {
    const cached = this.topicsByName.get(name);
    return { adding: { ...(cached?.adding ?? {}) }, removing: { ...(cached?.removing ?? {}) } };
  }

  /** Replaces a topic's replica lists and ongoing reassignments (conditional on the version read). */
  async setAssignment(name: string, partitions: number[][], adding: Record<string, number[]>, removing: Record<string, number[]>): Promise<void> {
    const cached = this.requireTopic(name);
    try {
      await this.read((client) => client.setData(
        Paths.topic(name),
        encodeTopicAssignment({ topicId: cached.state.id, partitions, addingReplicas: adding, removingReplicas: removing }),
        cached.assignmentVersion,
      ));
    } catch (error) {
      if (isCode(error, 'BADVERSION')) throw new StaleStateError(Paths.topic(name));
      throw error;
    }
    await this.enqueue(() => this.refreshAssignment(name));
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    this.requireTopic(name);
    await this.upsert(Paths.topicConfig(name), encodeConfig(configs));
    await this.enqueue(() => this.refreshTopicConfig(name));
  }

  private async upsert(path: string, data: Buffer): Promise<void> {
    try {
      await this.clientValue.setData(path, data);
    } catch (error) {
      if (!isCode(error, 'NONODE')) throw error;
      await this.clientValue.create(path, data);
    }
  }

  /**
   * Writes a partition's leader / ISR, conditional on the state version last read here (throws
   * StaleStateError when someone wrote in between). `controllerEpochVersion`, when given, also
   * fences on /controller_epoch (the controller's writes).
   */
  async updatePartition(name: string, partition: PartitionState, controllerEpoch?: { epoch: number; zkVersion: number }): Promise<void> {
    const cached = this.requireTopic(name);
    const path = Paths.partitionState(name, partition.partition);
    const version = cached.stateVersions[partition.partition] ?? -1;
    const data = encodeLeaderAndIsr({
      controllerEpoch: controllerEpoch?.epoch ?? cached.controllerEpochs[partition.partition] ?? 0,
      leader: partition.leader,
      leaderEpoch: partition.leaderEpoch,
      isr: partition.isr,
    });
    try {
      if (version < 0) {
        await this.read((client) => client.create(path, data));
      } else if (controllerEpoch !== undefined) {
        await this.read((client) => client.multi([
          { op: 'check', path: Paths.controllerEpoch, version: controllerEpoch.zkVersion },
          { op: 'setData', path, data, version },
        ]));
      } else {
        await this.read((client) => client.setData(path, data, version));
      }
    } catch (error) {
      if (isCode(error, 'BADVERSION') || isCode(error, 'NODEEXISTS')) {
        await this.enqueue(() => this.refreshPartition(name, partition.partition));
        throw new StaleStateError(path);
      }
      throw error;
    }
    await this.enqueue(() => this.refreshPartition(name, partition.partition));
  }

  async setBrokerConfigs(brokerId: number | null, configs: Record<string, string>): Promise<void> {
    const key = brokerId === null ? DEFAULT_BROKER_CONFIG_KEY : String(brokerId);
    await this.upsert(Paths.brokerConfig(key), encodeConfig(configs));
    await this.enqueue(() => this.refreshBrokerConfig(key));
  }

  /** Kafka's /latest_producer_id_block, advanced with a conditional write. */
  async allocateProducerIds(count: number): Promise<bigint> {
    for (;;) {
      let next = 0n;
      let version = -1;
      try {
        const { data, stat } = await this.read((client) => client.getData(Paths.producerIdBlock));
        next = decodeNextProducerId(Paths.producerIdBlock, data);
        version = stat.version;
      } catch (error) {
        if (!isCode(error, 'NONODE')) throw error;
      }
      const block = encodeProducerIdBlock(this.registration?.id ?? -1, next, next + BigInt(count) - 1n);
      try {
        if (version < 0) await this.clientValue.create(Paths.producerIdBlock, block);
        else await this.clientValue.setData(Paths.producerIdBlock, block, version);
        return next;
      } catch (error) {
        if (!isCode(error, 'BADVERSION') && !isCode(error, 'NODEEXISTS')) throw error;
      }
    }
  }

  subscribe(listener: (change: MetadataChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends the session: the broker's registration goes at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    this.listeners.clear();
    await this.clientValue.close();
  }

  /**
   * A crash as the coordinator sees it, in one process: the session ends at once (its
   * ephemerals go), without waiting for queued refreshes. Process mode gets the real thing
   * (SIGKILL, then expiry after the session timeout).
   */
  async crash(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.clientValue.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private requireTopic(name: string): CachedTopic {
    const cached = this.topicsByName.get(name);
    if (cached === undefined) {
      throw new MetadataError(ErrorCode.unknownTopicOrPartition, `This server does not host this topic: ${name}`, true);
    }
    return cached;
  }
}

function newPartitionOps(name: string, index: number, replicas: number[], live: Set<number>, controllerEpoch: number): MultiOp[] {
  const isr = replicas.filter((id) => live.has(id));
  const leader = isr[0] ?? -1;
  return [
    { op: 'create', path: Paths.partition(name, index), data: null },
    {
      op: 'create',
      path: Paths.partitionState(name, index),
      data: encodeLeaderAndIsr({ controllerEpoch, leader, leaderEpoch: 0, isr: isr.length > 0 ? isr : [...replicas] }),
    },
  ];
}

export function isCode(error: unknown, name: keyof typeof ZkErrorCode): boolean {
  return error instanceof CoordinatorError && error.codeName === name;
}

function sameBroker(a: BrokerRegistration | undefined, b: BrokerRegistration): boolean {
  return a !== undefined && a.host === b.host && a.port === b.port && a.rack === b.rack;
}

function sameReplicas(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
