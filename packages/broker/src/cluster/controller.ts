/**
 * The controller: every broker runs one; the one holding the ephemeral /controller znode is
 * active. On winning it bumps /controller_epoch and from then on fences every partition-state
 * write on that znode's version, so a deposed controller's writes fail.
 *
 * Duties (Kafka's ZooKeeper-mode controller, reduced to what the state znodes carry):
 * - a broker left (session ended): partitions it led get a new leader from the live ISR, in
 *   replica order (the leader epoch is bumped); it is removed from the ISR of the others — but
 *   the ISR never becomes empty: the last member stays, so the partition waits for it (KIP-966's
 *   "last replica standing") unless unclean.leader.election.enable allows any live replica;
 * - a broker came back, or a partition has no leader: elect from the live ISR;
 * - preferred-leader election (auto.leader.rebalance.enable, ElectLeaders): move leadership
 *   back to the first replica when it is live and in the ISR.
 * Brokers learn decisions by watching the state znodes (see README.md for why).
 */
import type { BrokerConfig } from '../config/broker-config.ts';
import type { PartitionState, TopicState } from '../metadata/store.ts';
import { Paths, encodeController } from './zk-layout.ts';
import { StaleStateError, isCode, type ZkMetadataStore } from './zk-metadata-store.ts';

/** Attempts to write one partition's state before leaving it to the next event. */
const WRITE_ATTEMPTS_MAX = 10;

export interface ControllerOptions {
  brokerId: number;
  store: ZkMetadataStore;
  config: BrokerConfig;
  log?: (message: string) => void;
}

export type ElectionType = 'preferred' | 'unclean';

export class Controller {
  private readonly options: ControllerOptions;
  private epoch = -1;
  private epochZkVersion = -1;
  private activeValue = false;
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  private unsubscribeSession: (() => void) | null = null;
  private rebalanceTimer: NodeJS.Timeout | null = null;

  constructor(options: ControllerOptions) {
    this.options = options;
  }

  get active(): boolean {
    return this.activeValue;
  }

  get controllerEpoch(): number {
    return this.epoch;
  }

  async start(): Promise<void> {
    const { store } = this.options;
    this.unsubscribe = store.subscribe((change) => {
      if (!this.activeValue) {
        if (change.kind === 'brokers-changed' && store.controllerId() < 0) this.enqueue(() => this.elect());
        return;
      }
      if (change.kind === 'brokers-changed' || change.kind === 'partition-changed' || change.kind === 'topic-created' || change.kind === 'partitions-created') {
        this.enqueue(() => this.reconcile());
      }
    });
    this.unsubscribeSession = store.onSessionRenewed(() => {
      this.activeValue = false;
      this.enqueue(() => this.elect());
    });
    const intervalMs = this.options.config.int('leader.imbalance.check.interval.seconds') * 1000;
    if (this.options.config.bool('auto.leader.rebalance.enable') && intervalMs > 0) {
      this.rebalanceTimer = setInterval(() => {
        if (this.activeValue) this.enqueue(async () => void (await this.electLeaders('preferred', null)));
      }, intervalMs);
      this.rebalanceTimer.unref();
    }
    await this.enqueue(() => this.elect());
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(() => (this.stopped ? undefined : task()));
    this.chain = run.catch((error: unknown) => {
      if (!this.stopped) this.report(`failed: ${(error as Error)?.stack ?? error}`);
    });
    return this.chain;
  }

  private report(message: string): void {
    (this.options.log ?? ((text: string) => process.stderr.write(`${text}\n`)))(`controller ${this.options.brokerId}: ${message}`);
  }

  /** Tries to become the controller (retrying across connection losses). */
  private async elect(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.tryElect();
        return;
      } catch (error) {
        if (!isCode(error, 'CONNECTIONLOSS') && !isCode(error, 'SESSIONEXPIRED')) throw error;
        if (isCode(error, 'SESSIONEXPIRED')) return; // the store renews the session, then calls elect again
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * (attempt + 1))));
      }
    }
  }

  /** One election attempt; watches /controller when someone else holds it. */
  private async tryElect(): Promise<void> {
    const { store, brokerId } = this.options;
    const client = store.client;
    try {
      await client.create(Paths.controller, encodeController(brokerId, Date.now()), { mode: 'ephemeral' });
    } catch (error) {
      if (!isCode(error, 'NODEEXISTS')) throw error;
      const stat = await client.exists(Paths.controller, () => {
        if (!this.stopped) this.enqueue(() => this.elect());
      });
      if (stat === null) return this.tryElect();
      if (stat.ephemeralOwner !== client.sessionId) return;
    }
    await this.bumpEpoch();
    this.activeValue = true;
    if (process.env.KAFKAESQUE_DEBUG) this.report(`active, epoch ${this.epoch}`);
    await this.reconcile();
  }

  private async bumpEpoch(): Promise<void> {
    const client = this.options.store.client;
    for (;;) {
      try {
        const { data, stat } = await client.getData(Paths.controllerEpoch);
        const next = (Number(data?.toString('utf8') ?? '0') || 0) + 1;
        const written = await client.setData(Paths.controllerEpoch, Buffer.from(String(next)), stat.version);
        this.epoch = next;
        this.epochZkVersion = written.version;
        return;
      } catch (error) {
        if (isCode(error, 'NONODE')) {
          try {
            const created = await client.create2(Paths.controllerEpoch, Buffer.from('1'));
            this.epoch = 1;
            this.epochZkVersion = created.stat.version;
            return;
          } catch (createError) {
            if (!isCode(createError, 'NODEEXISTS')) throw createError;
          }
        } else if (!isCode(error, 'BADVERSION')) {
          throw error;
        }
      }
    }
  }

  private uncleanAllowed(topic: TopicState): boolean {
    const value = topic.configs['unclean.leader.election.enable'] ?? this.options.config.get('unclean.leader.election.enable');
    return value === 'true';
  }

  /** Brings every partition's leader and ISR in line with the live brokers. */
  private async reconcile(): Promise<void> {
    if (!this.activeValue) return;
    const live = new Set(this.options.store.brokers().map((broker) => broker.id));
    for (const topic of this.options.store.topics()) await this.completeReassignments(topic.name);
    for (const topic of this.options.store.topics()) {
      for (const partition of topic.partitions) {
        const next = this.decide(topic, partition, live);
        if (next !== null) await this.write(topic.name, partition.partition, () => {
          const current = this.options.store.topic(topic.name)?.partitions[partition.partition];
          return current === undefined ? null : this.decide(topic, current, live);
        });
      }
    }
  }

  /** The state a partition should move to, or null when it is fine as it is. */
  private decide(topic: TopicState, partition: PartitionState, live: Set<number>): PartitionState | null {
    if (partition.partitionEpoch < 0) return null; // no state znode: its creator writes it
    const liveIsr = partition.isr.filter((id) => live.has(id));
    if (partition.leader >= 0 && live.has(partition.leader)) {
      if (liveIsr.length === partition.isr.length) return null;
      return { ...partition, isr: liveIsr };
    }
    const candidates = partition.replicas.filter((id) => liveIsr.includes(id));
    if (candidates.length > 0) {
      return { ...partition, leader: candidates[0], leaderEpoch: partition.leaderEpoch + 1, isr: liveIsr };
    }
    if (this.uncleanAllowed(topic)) {
      const anyLive = partition.replicas.find((id) => live.has(id));
      if (anyLive !== undefined) return { ...partition, leader: anyLive, leaderEpoch: partition.leaderEpoch + 1, isr: [anyLive] };
    }
    // No live in-sync replica: no leader, and the ISR keeps its last member(s) so only a replica
    // that has every acknowledged write can lead again.
    if (partition.leader < 0) return null;
    const keptIsr = partition.isr.filter((id) => id === partition.leader || live.has(id));
    return { ...partition, leader: -1, leaderEpoch: partition.leaderEpoch + 1, isr: keptIsr.length > 0 ? keptIsr : partition.isr };
  }

  /** Writes a decision, re-deciding from a fresh read when the state changed meanwhile. */
  private async write(topic: string, partition: number, decide: () => PartitionState | null): Promise<boolean> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS_MAX; attempt++) {
      const next = decide();
      if (next === null || !this.activeValue) return false;
      try {
        await this.options.store.updatePartition(topic, next, { epoch: this.epoch, zkVersion: this.epochZkVersion });
        return true;
      } catch (error) {
        if (error instanceof StaleStateError) continue;
        if (isCode(error, 'BADVERSION')) {
          // /controller_epoch moved: another controller took over.
          this.activeValue = false;
          this.report('fenced by a newer controller epoch');
          return false;
        }
        throw error;
      }
    }
    return false;
  }

  /**
   * ElectLeaders / preferred-leader rebalance. `partitions` null means all. Returns per
   * partition the Kafka error code: NONE, ELECTION_NOT_NEEDED (84), PREFERRED_LEADER_NOT_AVAILABLE
   * (80), ELIGIBLE_LEADERS_NOT_AVAILABLE (83), UNKNOWN_TOPIC_OR_PARTITION (3).
   */
  async electLeaders(type: ElectionType, partitions: Array<{ topic: string; partition: number }> | null): Promise<Map<string, number>> {
    const results = new Map<string, number>();
    const { store } = this.options;
    const targets = partitions ?? store.topics().flatMap((topic) => topic.partitions.map((state) => ({ topic: topic.name, partition: state.partition })));
    const live = new Set(store.brokers().map((broker) => broker.id));
    for (const { topic, partition } of targets) {
      const key = `${topic}:${partition}`;
      const decide = (): PartitionState | null => {
        const current = store.topic(topic)?.partitions[partition];
        if (current === undefined) return null;
        if (type === 'preferred') {
          const preferred = current.replicas[0];
          if (current.leader === preferred || !live.has(preferred) || !current.isr.includes(preferred)) return null;
          return { ...current, leader: preferred, leaderEpoch: current.leaderEpoch + 1 };
        }
        if (current.leader >= 0 && live.has(current.leader)) return null;
        const anyLive = current.replicas.find((id) => live.has(id));
        return anyLive === undefined ? null : { ...current, leader: anyLive, leaderEpoch: current.leaderEpoch + 1, isr: [anyLive] };
      };
      const current = store.topic(topic)?.partitions[partition];
      if (current === undefined) {
        results.set(key, 3);
        continue;
      }
      if (type === 'preferred' && current.leader === current.replicas[0]) {
        results.set(key, 84);
        continue;
      }
      if (type === 'unclean' && current.leader >= 0 && live.has(current.leader)) {
        results.set(key, 84);
        continue;
      }
      const written = await this.write(topic, partition, decide);
      results.set(key, written ? 0 : type === 'preferred' ? 80 : 83);
    }
    return results;
  }

  /**
   * AlterPartitionReassignments for one partition: the replica list becomes target ∪ current
   * (Kafka's order: target first), the new replicas catch up and join the ISR, and then
   * completeReassignments() shrinks the list to the target (moving leadership when needed).
   * A null target cancels an ongoing reassignment (back to the original replicas). Returns a
   * Kafka error code: NONE, NO_REASSIGNMENT_IN_PROGRESS (85), UNKNOWN_TOPIC_OR_PARTITION (3),
   * INVALID_REPLICA_ASSIGNMENT (39).
   */
  async reassign(topicName: string, partition: number, target: number[] | null): Promise<number> {
    const { store } = this.options;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS_MAX; attempt++) {
      const topic = store.topic(topicName);
      const state = topic?.partitions[partition];
      if (topic === undefined || state === undefined) return 3;
      const { adding, removing } = store.reassignments(topicName);
      const key = String(partition);
      const replicas = topic.partitions.map((p) => p.replicas);
      if (target === null) {
        if (adding[key] === undefined && removing[key] === undefined) return 85;
        replicas[partition] = state.replicas.filter((id) => !(adding[key] ?? []).includes(id));
        delete adding[key];
        delete removing[key];
      } else {
        const live = new Set(store.brokers().map((broker) => broker.id));
        if (target.length === 0 || new Set(target).size !== target.length || target.some((id) => !live.has(id))) return 39;
        const original = state.replicas.filter((id) => !(adding[key] ?? []).includes(id));
        const full = [...target, ...original.filter((id) => !target.includes(id))];
        replicas[partition] = full;
        const toAdd = target.filter((id) => !original.includes(id));
        const toRemove = original.filter((id) => !target.includes(id));
        if (toAdd.length === 0 && toRemove.length === 0) {
          delete adding[key];
          delete removing[key];
        } else {
          adding[key] = toAdd;
          removing[key] = toRemove;
        }
      }
      try {
        await store.setAssignment(topicName, replicas, adding, removing);
        await this.completeReassignments(topicName);
        return 0;
      } catch (error) {
        if (!(error instanceof StaleStateError)) throw error;
      }
    }
    return 15; // COORDINATOR_NOT_AVAILABLE: retriable
  }

  /** Finishes reassignments whose new replicas are all in the ISR. */
  private async completeReassignments(topicName: string): Promise<void> {
    const { store } = this.options;
    const { adding, removing } = store.reassignments(topicName);
    const topic = store.topic(topicName);
    if (topic === undefined) return;
    const done = Object.keys({ ...adding, ...removing }).filter((key) => {
      const state = topic.partitions[Number(key)];
      return state !== undefined && (adding[key] ?? []).every((id) => state.isr.includes(id));
    });
    for (const key of done) {
      const index = Number(key);
      const removed = removing[key] ?? [];
      // Leadership first: a leader that is being removed hands over to the first target replica in the ISR.
      const moved = await this.write(topicName, index, () => {
        const current = store.topic(topicName)?.partitions[index];
        if (current === undefined) return null;
        const isr = current.isr.filter((id) => !removed.includes(id));
        if (!removed.includes(current.leader) && isr.length === current.isr.length) return null;
        const leader = removed.includes(current.leader) ? (current.replicas.find((id) => isr.includes(id)) ?? -1) : current.leader;
        return { ...current, leader, leaderEpoch: leader === current.leader ? current.leaderEpoch : current.leaderEpoch + 1, isr: isr.length > 0 ? isr : current.isr };
      });
      void moved;
      const latest = store.topic(topicName);
      if (latest === undefined) return;
      const replicas = latest.partitions.map((p) => p.replicas);
      replicas[index] = replicas[index].filter((id) => !removed.includes(id));
      const nextAdding = store.reassignments(topicName).adding;
      const nextRemoving = store.reassignments(topicName).removing;
      delete nextAdding[key];
      delete nextRemoving[key];
      try {
        await store.setAssignment(topicName, replicas, nextAdding, nextRemoving);
      } catch (error) {
        if (!(error instanceof StaleStateError)) throw error;
      }
    }
  }

  /** Runs `task` on the controller's chain (serialised with its reactions). */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.chain.then(() => task());
    this.chain = result.then(() => undefined, () => undefined);
    return result;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribeSession?.();
    if (this.rebalanceTimer !== null) clearInterval(this.rebalanceTimer);
    await this.chain;
    this.activeValue = false;
  }
}
