/**
 * Replication by Raft (see the README for why Raft rather than Zab). One RaftNode per member;
 * an ensemble of 1 is the same code with a quorum of one. The leader stamps each txn with a
 * ZooKeeper-style zxid (term << 32 | counter within the term) and its clock, appends it to its
 * log, replicates it, and commits once a majority has it on disk; every member then applies the
 * committed txns in log order to its tree.
 *
 * Additions to textbook Raft that ZooKeeper semantics need:
 * - followers forward client writes to the leader (`forward`), and the member that received a
 *   write answers its client when it applies the entry tagged with its own request id;
 * - `sync` asks the leader for its commit index and waits until this member has applied it;
 * - a leader that has not heard from a majority for an election timeout steps down (check
 *   quorum), so a cut-off minority stops accepting writes and drops its clients;
 * - followers report which sessions their clients kept alive (`touch`) so the leader alone
 *   expires sessions.
 */
import { ZkErrorCode, type ZkId } from '@kafkaesque/protocol/jute';
import type { ApplyResult, DataTree } from '../tree/data-tree.ts';
import { deserializeTree, serializeTree } from '../tree/snapshot.ts';
import { txnFromBytes, txnToBytes, type Txn, type TxnOp, TXN_NOOP } from '../tree/txn.ts';
import type { LoadedState, LogEntry, TxnLog } from '../persistence/txn-log.ts';
import { PeerLinks, type PeerAddress, type PeerMessage } from './peer-links.ts';

export type Role = 'leader' | 'follower' | 'candidate';

const DEBUG = process.env.KAFKAESQUE_COORDINATOR_DEBUG === '1';
/** Diagnostics on stderr, with KAFKAESQUE_COORDINATOR_DEBUG=1. */
export function debug(message: string): void {
  if (DEBUG) process.stderr.write(`[coordinator ${new Date().toISOString()}] ${message}\n`);
}

/** What the member gives Raft: the state machine it applies committed txns to. */
export interface StateMachine {
  currentTree(): DataTree;
  apply(txn: Txn): ApplyResult;
  replaceTree(tree: DataTree): void;
  onRoleChange(role: Role, leaderId: number | null): void;
  onSessionsTouched(sessionIds: bigint[]): void;
}

export interface RaftOptions {
  id: number;
  peers: Map<number, PeerAddress>;
  peerHost: string;
  peerPort: number;
  log: TxnLog;
  loaded: LoadedState;
  machine: StateMachine;
  electionTimeoutMs: number;
  heartbeatMs: number;
  /** Applied entries between snapshots (ZooKeeper's snapCount). */
  snapCount: number;
}

/** An error a client request fails with when the ensemble cannot take it now. */
export class NotServingError extends Error {
  readonly code: number = ZkErrorCode.CONNECTIONLOSS;
  constructor(message: string) {
    super(message);
    this.name = 'NotServingError';
  }
}

interface MemoryEntry extends LogEntry {
  origin: number;
  requestId: number;
}

interface Pending {
  resolve(result: ApplyResult): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Entries per AppendEntries message. */
const APPEND_ENTRIES_MAX = 512;
/** A forwarded write or sync not answered in this long fails with CONNECTIONLOSS. */
const FORWARD_TIMEOUT_MS = 15_000;
/** Request ids start below this (well inside a JSON-safe integer, room left to count up). */
const REQUEST_ID_START_MAX = 2 ** 48;
/** Requests waiting on this member at once; beyond this, new ones are refused. */
const PENDING_REQUESTS_MAX = 100_000;

export class RaftNode {
  readonly id: number;
  role: Role = 'follower';
  leaderId: number | null = null;
  term: number;
  private votedFor: number;
  private readonly log: TxnLog;
  private readonly machine: StateMachine;
  private readonly links: PeerLinks;
  private readonly peerIds: number[];
  private readonly options: RaftOptions;

  private entries: MemoryEntry[] = [];
  private snapshotIndex: number;
  private snapshotTerm: number;
  private commitIndex: number;
  private lastApplied: number;
  private durableIndex: number;
  private termCounter = 0;

  private readonly nextIndex = new Map<number, number>();
  private readonly matchIndex = new Map<number, number>();
  private readonly lastAckAtMs = new Map<number, number>();
  private readonly snapshotSentAtMs = new Map<number, number>();
  private votes = new Set<number>();

  /**
   * Request ids tag this member's writes in the log (origin + requestId) so that it answers its
   * own client when it applies them. They start at a random point per process: a restarted
   * member gets entries its previous incarnation forwarded, and counting from 1 again would let
   * such an old entry answer a new request with another write's result.
   */
  private nextRequestId = 1 + Math.floor(Math.random() * REQUEST_ID_START_MAX);
  private readonly pending = new Map<number, Pending>();
  private readonly syncWaiters: Array<{ index: number; resolve: () => void }> = [];
  private readonly pendingSyncs = new Map<number, { resolve: () => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();

  private electionTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private replicateScheduled = false;
  private queue: Promise<void> = Promise.resolve();
  private snapshotting = false;
  private closed = false;
  /** When this follower last heard from a current leader (AppendEntries or snapshot). */
  private lastLeaderContactMs = 0;

  constructor(options: RaftOptions) {
    this.options = options;
    this.id = options.id;
    this.log = options.log;
    this.machine = options.machine;
    this.peerIds = [...options.peers.keys()];
    this.term = options.loaded.meta.term;
    this.votedFor = options.loaded.meta.votedFor;
    this.snapshotIndex = options.loaded.snapshotIndex;
    this.snapshotTerm = options.loaded.snapshotTerm;
    this.entries = options.loaded.entries.map((entry) => ({ ...entry, origin: 0, requestId: 0 }));
    this.commitIndex = this.snapshotIndex;
    this.lastApplied = this.snapshotIndex;
    this.durableIndex = this.lastIndex;
    this.links = new PeerLinks(
      this.id,
      options.peers,
      (message) => this.enqueue(() => this.onMessage(message)),
      (peerId) => {
        // what was forwarded to the leader over a link that just broke may never be answered
        if (peerId === this.leaderId && this.role !== 'leader') this.failPending('lost the link to the leader');
      },
    );
  }

  get quorum(): number {
    return Math.floor((this.peerIds.length + 1) / 2) + 1;
  }

  get lastIndex(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].index : this.snapshotIndex;
  }

  get lastLogTerm(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].term : this.snapshotTerm;
  }

  get appliedIndex(): number {
    return this.lastApplied;
  }

  get committedIndex(): number {
    return this.commitIndex;
  }

  /** Followers in sync with the leader (matchIndex at the leader's commit point), for mntr. */
  get syncedFollowers(): number {
    return this.peerIds.filter((id) => (this.matchIndex.get(id) ?? 0) >= this.commitIndex).length;
  }

  private termAt(index: number): number {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex) return -1;
    return this.entries[index - this.snapshotIndex - 1].term;
  }

  private entryAt(index: number): MemoryEntry {
    return this.entries[index - this.snapshotIndex - 1];
  }

  async start(): Promise<number> {
    const port = await this.links.listen(this.options.peerHost, this.options.peerPort);
    this.resetElectionTimer(this.peerIds.length === 0 ? 0 : undefined);
    return port;
  }

  private enqueue(task: () => void | Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      if (!this.closed) process.emitWarning(`coordinator ${this.id}: ${String(error)}`);
    });
  }

  // ---- elections -------------------------------------------------------------------------

  private resetElectionTimer(delayMs?: number): void {
    if (this.electionTimer !== null) clearTimeout(this.electionTimer);
    if (this.closed) return;
    const base = this.options.electionTimeoutMs;
    const timeout = delayMs ?? base + Math.floor(Math.random() * base);
    this.electionTimer = setTimeout(() => this.enqueue(() => this.startElection()), timeout);
  }

  private async startElection(): Promise<void> {
    if (this.closed || this.role === 'leader') return;
    // the timer may have fired while a leader's message waited in the queue behind a slow fsync
    const sinceLeaderMs = Date.now() - this.lastLeaderContactMs;
    if (this.role === 'follower' && this.leaderId !== null && sinceLeaderMs < this.options.electionTimeoutMs) {
      this.resetElectionTimer();
      return;
    }
    debug(`member ${this.id}: starting an election for term ${this.term + 1}`);
    this.setRole('candidate', null);
    this.term++;
    this.votedFor = this.id;
    this.votes = new Set([this.id]);
    await this.log.saveMeta({ term: this.term, votedFor: this.votedFor });
    this.resetElectionTimer();
    if (this.votes.size >= this.quorum) {
      await this.becomeLeader();
      return;
    }
    for (const peer of this.peerIds) {
      this.links.send(peer, { kind: 'vote', term: this.term, lastLogIndex: this.lastIndex, lastLogTerm: this.lastLogTerm });
    }
  }

  private async onVoteRequest(message: PeerMessage): Promise<void> {
    const term = message.term as number;
    if (term > this.term) await this.stepDown(term);
    const upToDate =
      (message.lastLogTerm as number) > this.lastLogTerm ||
      ((message.lastLogTerm as number) === this.lastLogTerm && (message.lastLogIndex as number) >= this.lastIndex);
    const granted = term === this.term && (this.votedFor === -1 || this.votedFor === message.from) && upToDate;
    if (granted && this.votedFor !== message.from) {
      this.votedFor = message.from;
      await this.log.saveMeta({ term: this.term, votedFor: this.votedFor });
    }
    if (granted) this.resetElectionTimer();
    this.links.send(message.from, { kind: 'voteReply', term: this.term, granted });
  }

  private async onVoteReply(message: PeerMessage): Promise<void> {
    const term = message.term as number;
    if (term > this.term) {
      await this.stepDown(term);
      return;
    }
    if (this.role !== 'candidate' || term !== this.term || message.granted !== true) return;
    this.votes.add(message.from);
    if (this.votes.size >= this.quorum) await this.becomeLeader();
  }

  private async becomeLeader(): Promise<void> {
    this.setRole('leader', this.id);
    this.termCounter = 0;
    const now = Date.now();
    for (const peer of this.peerIds) {
      this.nextIndex.set(peer, this.lastIndex + 1);
      this.matchIndex.set(peer, 0);
      this.lastAckAtMs.set(peer, now);
    }
    if (this.electionTimer !== null) clearTimeout(this.electionTimer);
    this.heartbeatTimer = setInterval(() => this.enqueue(() => this.heartbeat()), this.options.heartbeatMs);
    // an entry of the new term lets the earlier terms' entries commit (Raft §5.4.2)
    this.appendAsLeader({ type: TXN_NOOP }, 0n, [], this.id, 0);
  }

  /** Adopts a newer term as a follower; a leader or candidate gives up its role. */
  private async stepDown(term: number, leaderId: number | null = null): Promise<void> {
    if (term > this.term) {
      this.term = term;
      this.votedFor = -1;
      await this.log.saveMeta({ term: this.term, votedFor: this.votedFor });
    }
    if (this.role !== 'follower' || this.leaderId !== leaderId) this.setRole('follower', leaderId);
    this.resetElectionTimer();
  }

  private setRole(role: Role, leaderId: number | null): void {
    const changed = role !== this.role || leaderId !== this.leaderId;
    if (this.role === 'leader' && role !== 'leader' && this.heartbeatTimer !== null) {
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = null;
    }
    this.role = role;
    this.leaderId = leaderId;
    if (changed) {
      debug(`member ${this.id}: ${role} in term ${this.term}, leader ${leaderId}`);
      this.failPending('leader changed');
      this.machine.onRoleChange(role, leaderId);
    }
  }

  private failPending(reason: string): void {
    for (const [requestId, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new NotServingError(reason));
      this.pending.delete(requestId);
    }
    for (const [requestId, sync] of this.pendingSyncs) {
      clearTimeout(sync.timer);
      sync.reject(new NotServingError(reason));
      this.pendingSyncs.delete(requestId);
    }
  }

  // ---- client writes ----------------------------------------------------------------------

  /** Proposes a write; resolves with its result once committed and applied here. */
  propose(sessionId: bigint, op: TxnOp, auth: ZkId[] = []): Promise<ApplyResult> {
    if (this.closed) return Promise.reject(new NotServingError('coordinator is closing'));
    if (this.leaderId === null) return Promise.reject(new NotServingError('no leader'));
    if (this.pending.size >= PENDING_REQUESTS_MAX) return Promise.reject(new NotServingError('too many requests in flight'));
    const requestId = this.nextRequestId++;
    const promise = new Promise<ApplyResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new NotServingError('request timed out waiting for a quorum'));
      }, FORWARD_TIMEOUT_MS);
      timer.unref();
      this.pending.set(requestId, { resolve, reject, timer });
    });
    if (this.role === 'leader') {
      this.appendAsLeader(op, sessionId, auth, this.id, requestId);
    } else {
      const prototype = txnToBytes({ zxid: 0, timeMs: 0, sessionId, auth, op });
      if (!this.links.send(this.leaderId, { kind: 'forward', requestId, txn: prototype.toString('base64') })) {
        const pending = this.pending.get(requestId)!;
        clearTimeout(pending.timer);
        this.pending.delete(requestId);
        pending.reject(new NotServingError('no link to the leader yet'));
      }
    }
    return promise;
  }

  private appendAsLeader(op: TxnOp, sessionId: bigint, auth: ZkId[], origin: number, requestId: number): void {
    this.termCounter++;
    const zxid = this.term * 2 ** 32 + this.termCounter;
    const txn = txnToBytes({ zxid, timeMs: Date.now(), sessionId, auth, op });
    const entry: MemoryEntry = { term: this.term, index: this.lastIndex + 1, txn, origin, requestId };
    this.entries.push(entry);
    const term = this.term;
    this.log.append([entry]).then(
      () => {
        // a newer leader may have replaced this entry meanwhile: then its own write counts, not ours
        if (this.entryAt(entry.index) !== entry) return;
        if (entry.index > this.durableIndex) this.durableIndex = entry.index;
        if (this.role === 'leader' && this.term === term) this.advanceCommit();
        // under load a majority of followers can acknowledge an entry before our own disk does:
        // it committed then, but we could not apply it before it was on our disk — do it now
        // (else a client waiting for it waits until some later write commits)
        this.applyCommitted();
      },
      (error: unknown) => {
        process.emitWarning(`coordinator ${this.id}: log append failed: ${String(error)}`);
        void this.stepDown(this.term);
      },
    );
    this.scheduleReplicate();
  }

  private onForward(message: PeerMessage): void {
    if (this.role !== 'leader') {
      this.links.send(message.from, { kind: 'forwardReject', requestId: message.requestId });
      return;
    }
    const prototype = txnFromBytes(Buffer.from(message.txn as string, 'base64'));
    this.appendAsLeader(prototype.op, prototype.sessionId, prototype.auth, message.from, message.requestId as number);
  }

  private onForwardReject(message: PeerMessage): void {
    const pending = this.pending.get(message.requestId as number);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.pending.delete(message.requestId as number);
    pending.reject(new NotServingError('leader refused the write'));
  }

  // ---- replication ------------------------------------------------------------------------

  private scheduleReplicate(): void {
    if (this.replicateScheduled) return;
    this.replicateScheduled = true;
    setImmediate(() => {
      this.replicateScheduled = false;
      if (this.role === 'leader') for (const peer of this.peerIds) this.replicateTo(peer);
    });
  }

  private heartbeat(): void {
    if (this.role !== 'leader') return;
    const now = Date.now();
    let heard = 1;
    // check quorum over two election timeouts: a follower stalled by one slow fsync is no reason
    // to depose a leader, a partition lasting that long is
    const windowMs = 2 * this.options.electionTimeoutMs;
    for (const peer of this.peerIds) if (now - (this.lastAckAtMs.get(peer) ?? 0) < windowMs) heard++;
    if (heard < this.quorum) {
      debug(`member ${this.id}: leader of term ${this.term} lost its quorum, stepping down`);
      void this.stepDown(this.term);
      return;
    }
    for (const peer of this.peerIds) this.replicateTo(peer);
  }

  private replicateTo(peer: number): void {
    const next = this.nextIndex.get(peer) ?? this.lastIndex + 1;
    if (next <= this.snapshotIndex) {
      this.sendSnapshot(peer);
      return;
    }
    const prevLogIndex = next - 1;
    const last = Math.min(this.lastIndex, prevLogIndex + APPEND_ENTRIES_MAX);
    const batch: Array<Record<string, unknown>> = [];
    for (let index = next; index <= last; index++) {
      const entry = this.entryAt(index);
      batch.push({ term: entry.term, index: entry.index, txn: entry.txn.toString('base64'), origin: entry.origin, requestId: entry.requestId });
    }
    this.links.send(peer, {
      kind: 'append',
      term: this.term,
      prevLogIndex,
      prevLogTerm: this.termAt(prevLogIndex),
      entries: batch,
      leaderCommit: this.commitIndex,
    });
    this.nextIndex.set(peer, last + 1);
  }

  private sendSnapshot(peer: number): void {
    const now = Date.now();
    if (now - (this.snapshotSentAtMs.get(peer) ?? 0) < this.options.electionTimeoutMs) return;
    this.snapshotSentAtMs.set(peer, now);
    const index = this.lastApplied;
    debug(`member ${this.id}: sending member ${peer} a snapshot at index ${index}`);
    this.links.send(peer, {
      kind: 'snapshot',
      term: this.term,
      lastIndex: index,
      lastTerm: this.termAt(index),
      data: serializeTree(this.machine.currentTree()).toString('base64'),
    });
    this.nextIndex.set(peer, index + 1);
  }

  private async onAppend(message: PeerMessage): Promise<void> {
    const term = message.term as number;
    if (term < this.term) {
      this.links.send(message.from, { kind: 'appendReply', term: this.term, success: false, conflictIndex: this.lastIndex + 1 });
      return;
    }
    await this.stepDown(term, message.from);
    this.lastLeaderContactMs = Date.now();
    const prevLogIndex = message.prevLogIndex as number;
    const prevLogTerm = message.prevLogTerm as number;
    if (prevLogIndex > this.lastIndex) {
      this.links.send(message.from, { kind: 'appendReply', term: this.term, success: false, conflictIndex: this.lastIndex + 1 });
      return;
    }
    if (prevLogIndex >= this.snapshotIndex && this.termAt(prevLogIndex) !== prevLogTerm) {
      // back up to the start of the conflicting term
      const badTerm = this.termAt(prevLogIndex);
      let conflictIndex = prevLogIndex;
      while (conflictIndex - 1 > this.snapshotIndex && this.termAt(conflictIndex - 1) === badTerm) conflictIndex--;
      this.links.send(message.from, { kind: 'appendReply', term: this.term, success: false, conflictIndex: Math.max(conflictIndex, this.commitIndex + 1) });
      return;
    }
    const incoming = message.entries as Array<{ term: number; index: number; txn: string; origin: number; requestId: number }>;
    const fresh: MemoryEntry[] = [];
    for (const raw of incoming) {
      if (raw.index <= this.snapshotIndex) continue;
      if (raw.index <= this.lastIndex) {
        if (this.termAt(raw.index) === raw.term) continue;
        // a conflicting suffix from an old term: drop it (never below the commit point)
        this.entries.length = raw.index - this.snapshotIndex - 1;
        this.durableIndex = Math.min(this.durableIndex, raw.index - 1);
        await this.log.truncateAfter(raw.index - 1);
      }
      const entry: MemoryEntry = { term: raw.term, index: raw.index, txn: Buffer.from(raw.txn, 'base64'), origin: raw.origin, requestId: raw.requestId };
      this.entries.push(entry);
      fresh.push(entry);
    }
    const matchIndex = prevLogIndex + incoming.length;
    const leaderCommit = message.leaderCommit as number;
    if (leaderCommit > this.commitIndex) this.commitIndex = Math.min(leaderCommit, matchIndex);
    const leader = message.from;
    const replyTerm = this.term;
    const acknowledge = (): void => {
      this.applyCommitted();
      this.links.send(leader, { kind: 'appendReply', term: replyTerm, success: true, matchIndex });
    };
    if (fresh.length === 0) {
      // nothing new to write; what we hold may still be on its way to disk: answer after it
      if (this.durableIndex >= matchIndex) acknowledge();
      else void this.log.flushed().then(acknowledge, () => {});
      return;
    }
    // Not awaited: the next AppendEntries is taken while this write is in flight, so the log
    // group-commits what arrives meanwhile (as the leader does). The log writes in order, so
    // the reply — sent once durable — also vouches for every earlier entry.
    const last = fresh[fresh.length - 1];
    this.log.append(fresh).then(
      () => {
        // a newer leader may have replaced these entries meanwhile: they are not ours to count
        if (this.entryAt(last.index) !== last) return;
        if (last.index > this.durableIndex) this.durableIndex = last.index;
        acknowledge();
      },
      (error: unknown) => {
        process.emitWarning(`coordinator ${this.id}: log append failed: ${String(error)}`);
        // forget them, so that no later reply vouches for them; the leader sends them again
        const first = fresh[0];
        if (this.entryAt(first.index) === first) this.entries.length = first.index - this.snapshotIndex - 1;
      },
    );
  }

  private async onAppendReply(message: PeerMessage): Promise<void> {
    const term = message.term as number;
    if (term > this.term) {
      await this.stepDown(term);
      return;
    }
    if (this.role !== 'leader' || term !== this.term) return;
    const peer = message.from;
    this.lastAckAtMs.set(peer, Date.now());
    if (message.success === true) {
      const matchIndex = message.matchIndex as number;
      if (matchIndex > (this.matchIndex.get(peer) ?? 0)) this.matchIndex.set(peer, matchIndex);
      if ((this.nextIndex.get(peer) ?? 0) < matchIndex + 1) this.nextIndex.set(peer, matchIndex + 1);
      this.advanceCommit();
    } else {
      this.nextIndex.set(peer, Math.max(1, Math.min(message.conflictIndex as number, this.lastIndex + 1)));
      this.replicateTo(peer);
    }
  }

  private async onSnapshot(message: PeerMessage): Promise<void> {
    const term = message.term as number;
    if (term < this.term) return;
    await this.stepDown(term, message.from);
    this.lastLeaderContactMs = Date.now();
    const lastIndex = message.lastIndex as number;
    if (lastIndex <= this.commitIndex) {
      this.links.send(message.from, { kind: 'appendReply', term: this.term, success: true, matchIndex: this.commitIndex });
      return;
    }
    const tree = deserializeTree(Buffer.from(message.data as string, 'base64'));
    this.machine.replaceTree(tree);
    this.entries = [];
    this.snapshotIndex = lastIndex;
    this.snapshotTerm = message.lastTerm as number;
    this.commitIndex = lastIndex;
    this.lastApplied = lastIndex;
    this.durableIndex = lastIndex;
    await this.log.snapshot(tree, lastIndex, this.snapshotTerm);
    this.releaseSyncWaiters();
    this.links.send(message.from, { kind: 'appendReply', term: this.term, success: true, matchIndex: lastIndex });
  }

  private advanceCommit(): void {
    const indexes = [this.durableIndex, ...this.peerIds.map((peer) => this.matchIndex.get(peer) ?? 0)].sort((a, b) => b - a);
    const candidate = indexes[this.quorum - 1];
    if (candidate > this.commitIndex && this.termAt(candidate) === this.term) {
      this.commitIndex = candidate;
      this.applyCommitted();
      this.scheduleReplicate();
    }
  }

  private applyCommitted(): void {
    while (this.lastApplied < this.commitIndex && this.lastApplied < this.durableIndex) {
      const entry = this.entryAt(this.lastApplied + 1);
      const result = this.machine.apply(txnFromBytes(entry.txn));
      this.lastApplied = entry.index;
      if (entry.origin === this.id && entry.requestId !== 0) {
        const pending = this.pending.get(entry.requestId);
        if (pending !== undefined) {
          clearTimeout(pending.timer);
          this.pending.delete(entry.requestId);
          pending.resolve(result);
        }
      }
    }
    this.releaseSyncWaiters();
    this.maybeSnapshot();
  }

  private maybeSnapshot(): void {
    if (this.snapshotting || this.lastApplied - this.snapshotIndex < this.options.snapCount) return;
    this.snapshotting = true;
    const index = this.lastApplied;
    const term = this.termAt(index);
    const tree = this.machine.currentTree();
    // serialize now, synchronously, so the bytes match the tree at exactly `index`
    const snapshotPromise = this.log.snapshot(tree, index, term);
    snapshotPromise.then(
      () => {
        const drop = index - this.snapshotIndex;
        if (drop > 0 && this.lastIndex >= index) {
          this.entries = this.entries.slice(drop);
          this.snapshotIndex = index;
          this.snapshotTerm = term;
        }
        this.snapshotting = false;
      },
      (error: unknown) => {
        this.snapshotting = false;
        process.emitWarning(`coordinator ${this.id}: snapshot failed: ${String(error)}`);
      },
    );
  }

  // ---- sync and sessions -----------------------------------------------------------------

  /** Resolves once this member has applied everything the leader had committed when asked. */
  sync(): Promise<void> {
    if (this.role === 'leader') return Promise.resolve();
    if (this.leaderId === null) return Promise.reject(new NotServingError('no leader'));
    const requestId = this.nextRequestId++;
    const leaderId = this.leaderId;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingSyncs.delete(requestId);
        reject(new NotServingError('sync timed out'));
      }, FORWARD_TIMEOUT_MS);
      timer.unref();
      this.pendingSyncs.set(requestId, { resolve, reject, timer });
      if (!this.links.send(leaderId, { kind: 'sync', requestId })) {
        clearTimeout(timer);
        this.pendingSyncs.delete(requestId);
        reject(new NotServingError('no link to the leader yet'));
      }
    });
  }

  private onSync(message: PeerMessage): void {
    if (this.role !== 'leader') return;
    this.links.send(message.from, { kind: 'syncReply', requestId: message.requestId, commitIndex: this.commitIndex });
  }

  private onSyncReply(message: PeerMessage): void {
    const sync = this.pendingSyncs.get(message.requestId as number);
    if (sync === undefined) return;
    this.pendingSyncs.delete(message.requestId as number);
    clearTimeout(sync.timer);
    this.syncWaiters.push({ index: message.commitIndex as number, resolve: sync.resolve });
    this.releaseSyncWaiters();
  }

  private releaseSyncWaiters(): void {
    for (let i = this.syncWaiters.length - 1; i >= 0; i--) {
      if (this.syncWaiters[i].index <= this.lastApplied) {
        this.syncWaiters[i].resolve();
        this.syncWaiters.splice(i, 1);
      }
    }
  }

  /** Reports sessions whose clients were heard from here to the leader (or to itself). */
  touchSessions(sessionIds: bigint[]): void {
    if (sessionIds.length === 0) return;
    if (this.role === 'leader') this.machine.onSessionsTouched(sessionIds);
    else if (this.leaderId !== null) this.links.send(this.leaderId, { kind: 'touch', sessions: sessionIds.map(String) });
  }

  // ---- dispatch --------------------------------------------------------------------------

  private async onMessage(message: PeerMessage): Promise<void> {
    if (this.closed) return;
    switch (message.kind) {
      case 'vote':
        return this.onVoteRequest(message);
      case 'voteReply':
        return this.onVoteReply(message);
      case 'append':
        return this.onAppend(message);
      case 'appendReply':
        return this.onAppendReply(message);
      case 'snapshot':
        return this.onSnapshot(message);
      case 'forward':
        return this.onForward(message);
      case 'forwardReject':
        return this.onForwardReject(message);
      case 'sync':
        return this.onSync(message);
      case 'syncReply':
        return this.onSyncReply(message);
      case 'touch':
        if (this.role === 'leader') this.machine.onSessionsTouched((message.sessions as string[]).map((id) => BigInt(id)));
        return;
      default:
        return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.electionTimer !== null) clearTimeout(this.electionTimer);
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.failPending('coordinator is closing');
    await this.links.close();
    await this.queue;
  }
}
