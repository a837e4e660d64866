/**
 * One coordinator member: the tree, its Raft node, the client listener, the local watches and
 * the session bookkeeping. Sessions are part of the replicated state (createSession and
 * closeSession are txns), so a client may reconnect to any member with its id and password;
 * only the leader decides expiry, from the activity that members report to it.
 */
import { createHmac } from 'node:crypto';
import * as net from 'node:net';
import { ZkErrorCode, ZkOpCode, type ZkConnectRequest, type ZkId, type ZkSetWatches, ZkEventType } from '@kafkaesque/protocol/jute';
import { RaftNode, NotServingError, type Role, type StateMachine } from '../ensemble/raft.ts';
import type { PeerAddress } from '../ensemble/peer-links.ts';
import { nodeFs, type CoordinatorFs } from '../persistence/fs.ts';
import { TxnLog } from '../persistence/txn-log.ts';
import { DataTree, type ApplyResult } from '../tree/data-tree.ts';
import type { Txn, TxnOp } from '../tree/txn.ts';
import { WatchManager } from '../tree/watches.ts';
import { SessionTracker } from '../sessions/session-tracker.ts';
import { ClientConnection } from './connection.ts';
import { renderFourLetterWord, type ServerStats } from './four-letter-words.ts';

export interface MemberOptions {
  id: number;
  host: string;
  /** Client port (0 = any free port). */
  port: number;
  peerHost?: string;
  peerPort: number;
  /** The other members' peer addresses, by id (as this member should reach them). */
  peers: Map<number, PeerAddress>;
  dataDir: string;
  /** fsync the log before acknowledging a write (ZooKeeper's forceSync); default true. */
  forceSync?: boolean;
  /** ZooKeeper's tickTime; session timeouts are negotiated into [2, 20] ticks. Default 2000. */
  tickTimeMs?: number;
  electionTimeoutMs?: number;
  heartbeatMs?: number;
  snapCount?: number;
  fs?: CoordinatorFs;
  /** Secret mixed into session passwords; every member of an ensemble must share it. */
  sessionSecret?: string;
}

/** Live connections one member accepts; beyond this, new ones are closed at once. */
const CONNECTIONS_MAX = 10_000;
const SESSION_PASSWORD_BYTES = 16;
const DEFAULT_SESSION_SECRET = 'kafkaesque-coordinator-session';

export class CoordinatorMember implements StateMachine {
  readonly options: MemberOptions;
  tree: DataTree = new DataTree();
  readonly watches = new WatchManager<ClientConnection>();
  private raft!: RaftNode;
  private log!: TxnLog;
  private server: net.Server | null = null;
  readonly connections = new Set<ClientConnection>();
  /** Leader only (the others keep it warm): when each session expires unless its client is heard from. */
  private readonly sessionTracker = new SessionTracker();
  /** Sessions heard from since the last report to the leader. */
  private touched = new Set<bigint>();
  private nextSessionId: bigint;
  private expiryTimer: NodeJS.Timeout | null = null;
  private touchTimer: NodeJS.Timeout | null = null;
  readonly tickTimeMs: number;
  clientPort = 0;
  peerPort = 0;
  private latencyTotalMs = 0;
  private latencyCount = 0;
  private latencyMinMs = 0;
  private latencyMaxMs = 0;
  private closedPacketsReceived = 0;
  private closedPacketsSent = 0;

  constructor(options: MemberOptions) {
    this.options = options;
    this.tickTimeMs = options.tickTimeMs ?? 2000;
    // ZooKeeper's scheme: member id in the top byte, then a clock-derived start
    this.nextSessionId = (BigInt(options.id) << 56n) | ((BigInt(Date.now()) << 24n) & 0x00ff_ffff_ffff_ffffn);
  }

  async start(): Promise<void> {
    const opened = await TxnLog.open(this.options.fs ?? nodeFs, this.options.dataDir, this.options.forceSync ?? true);
    this.log = opened.log;
    this.tree = opened.state.tree;
    this.raft = new RaftNode({
      id: this.options.id,
      peers: this.options.peers,
      peerHost: this.options.peerHost ?? this.options.host,
      peerPort: this.options.peerPort,
      log: this.log,
      loaded: opened.state,
      machine: this,
      electionTimeoutMs: this.options.electionTimeoutMs ?? 1000,
      heartbeatMs: this.options.heartbeatMs ?? 100,
      snapCount: this.options.snapCount ?? 10_000,
    });
    // a restarted member replays its logged entries once they are known committed (the leader
    // tells it); a lone member commits them itself when it becomes leader
    this.peerPort = await this.raft.start();
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.clientPort = (server.address() as net.AddressInfo).port;
    this.expiryTimer = setInterval(() => this.expireSessions(), Math.max(10, Math.floor(this.tickTimeMs / 2)));
    this.touchTimer = setInterval(() => this.reportTouched(), Math.max(10, Math.floor(this.tickTimeMs / 4)));
  }

  get role(): Role {
    return this.raft.role;
  }

  get leaderId(): number | null {
    return this.raft.leaderId;
  }

  get isServing(): boolean {
    return this.raft.leaderId !== null;
  }

  private accept(socket: net.Socket): void {
    if (this.connections.size >= CONNECTIONS_MAX) {
      socket.destroy();
      return;
    }
    this.connections.add(new ClientConnection(socket, this));
  }

  // ---- sessions ----------------------------------------------------------------------------

  sessionPassword(sessionId: bigint): Buffer {
    const id = Buffer.alloc(8);
    id.writeBigInt64BE(sessionId);
    return createHmac('sha256', this.options.sessionSecret ?? DEFAULT_SESSION_SECRET).update(id).digest().subarray(0, SESSION_PASSWORD_BYTES);
  }

  negotiateTimeout(requestedMs: number): number {
    return Math.min(Math.max(requestedMs, 2 * this.tickTimeMs), 20 * this.tickTimeMs);
  }

  /** Accepts a connect request: a new session, a valid reconnect, or null (expired / bad password). */
  async acceptSession(
    connection: ClientConnection,
    request: ZkConnectRequest,
  ): Promise<{ sessionId: bigint; timeoutMs: number; passwd: Buffer } | null> {
    if (!this.isServing) throw new NotServingError('not serving: no leader');
    if (request.lastZxidSeen > BigInt(this.tree.lastZxid)) {
      // the client saw a newer state elsewhere: catch up first, or refuse (it tries another member)
      await this.raft.sync();
      if (request.lastZxidSeen > BigInt(this.tree.lastZxid)) throw new NotServingError('client is ahead of this member');
    }
    if (request.sessionId === 0n) {
      const timeoutMs = this.negotiateTimeout(request.timeOut);
      const sessionId = this.nextSessionId++;
      const result = await this.raft.propose(sessionId, { type: ZkOpCode.createSession, timeoutMs });
      if (result.err !== 0) return null;
      return { sessionId, timeoutMs, passwd: this.sessionPassword(sessionId) };
    }
    let session = this.tree.sessions.get(request.sessionId);
    if (session === undefined && this.raft.role !== 'leader') {
      // the session may have been created through another member moments ago: catch up first
      await this.raft.sync();
      session = this.tree.sessions.get(request.sessionId);
    }
    const passwd = this.sessionPassword(request.sessionId);
    if (session === undefined || request.passwd === null || !passwd.equals(request.passwd)) return null;
    for (const other of this.connections) {
      if (other !== connection && other.sessionId === request.sessionId) other.closeForSessionEnd();
    }
    this.noteSessionActivity(request.sessionId);
    return { sessionId: request.sessionId, timeoutMs: session.timeoutMs, passwd };
  }

  noteSessionActivity(sessionId: bigint): void {
    if (sessionId !== 0n) this.touched.add(sessionId);
  }

  private reportTouched(): void {
    if (this.touched.size === 0 || !this.isServing) return;
    const ids = [...this.touched];
    this.touched = new Set();
    this.raft.touchSessions(ids);
  }

  onSessionsTouched(sessionIds: bigint[]): void {
    const now = Date.now();
    for (const sessionId of sessionIds) this.sessionTracker.touch(sessionId, now);
  }

  /** Leader only: closes sessions whose deadline passed (deleting their ephemerals). */
  private expireSessions(): void {
    if (this.raft.role !== 'leader') return;
    for (const sessionId of this.sessionTracker.due(Date.now())) {
      // on success the applied closeSession removes it from the tracker
      this.raft.propose(sessionId, { type: ZkOpCode.closeSession }).catch(() => this.sessionTracker.expiryFailed(sessionId));
    }
  }

  // ---- the state machine -------------------------------------------------------------------

  propose(sessionId: bigint, op: TxnOp, auth: ZkId[] = []): Promise<ApplyResult> {
    const startedMs = performance.now();
    return this.raft.propose(sessionId, op, auth).then((result) => {
      this.recordLatency(performance.now() - startedMs);
      return result;
    });
  }

  sync(): Promise<void> {
    return this.raft.sync();
  }

  apply(txn: Txn): ApplyResult {
    const result = this.tree.apply(txn);
    for (const delivery of this.watches.trigger(result.triggers)) delivery.watcher.sendEvent(delivery.type, delivery.path);
    if (txn.op.type === ZkOpCode.createSession) {
      this.sessionTracker.add(txn.sessionId, txn.op.timeoutMs, Date.now());
    } else if (txn.op.type === ZkOpCode.closeSession) {
      this.sessionTracker.remove(txn.sessionId);
      for (const connection of this.connections) {
        if (connection.sessionId === txn.sessionId) connection.closeForSessionEnd();
      }
    }
    return result;
  }

  replaceTree(tree: DataTree): void {
    this.tree = tree;
    this.sessionTracker.reset(tree.sessions.values(), Date.now());
  }

  onRoleChange(role: Role, leaderId: number | null): void {
    if (role === 'leader') {
      // a new leader gives every session a full timeout to find a member and check in
      this.sessionTracker.reset(this.tree.sessions.values(), Date.now());
    }
    if (leaderId === null) {
      // no quorum: stop serving, so clients move to a member that can (ZooKeeper drops them too)
      for (const connection of this.connections) connection.close();
    }
  }

  currentTree(): DataTree {
    return this.tree;
  }

  // ---- watches -----------------------------------------------------------------------------

  /** setWatches after a reconnect: fire what changed since relativeZxid, re-register the rest. */
  restoreWatches(connection: ClientConnection, watches: ZkSetWatches): void {
    const relativeZxid = Number(watches.relativeZxid);
    for (const path of watches.dataWatches) {
      const node = this.tree.getNode(path);
      if (node === undefined) connection.sendEvent(ZkEventType.NodeDeleted, path);
      else if (node.mzxid > relativeZxid) connection.sendEvent(ZkEventType.NodeDataChanged, path);
      else this.watches.addDataWatch(path, connection);
    }
    for (const path of watches.existWatches) {
      if (this.tree.getNode(path) !== undefined) connection.sendEvent(ZkEventType.NodeCreated, path);
      else this.watches.addDataWatch(path, connection);
    }
    for (const path of watches.childWatches) {
      const node = this.tree.getNode(path);
      if (node === undefined) connection.sendEvent(ZkEventType.NodeDeleted, path);
      else if (node.pzxid > relativeZxid) connection.sendEvent(ZkEventType.NodeChildrenChanged, path);
      else this.watches.addChildWatch(path, connection);
    }
  }

  connectionClosed(connection: ClientConnection): void {
    this.connections.delete(connection);
    this.watches.removeWatcher(connection);
    this.closedPacketsReceived += connection.packetsReceived;
    this.closedPacketsSent += connection.packetsSent;
  }

  // ---- four-letter words ------------------------------------------------------------------

  private recordLatency(latencyMs: number): void {
    const rounded = Math.round(latencyMs);
    this.latencyMinMs = this.latencyCount === 0 ? rounded : Math.min(this.latencyMinMs, rounded);
    this.latencyMaxMs = Math.max(this.latencyMaxMs, rounded);
    this.latencyTotalMs += latencyMs;
    this.latencyCount++;
  }

  stats(): ServerStats {
    let ephemeralsCount = 0;
    for (const session of this.tree.sessions.values()) ephemeralsCount += session.ephemerals.size;
    let approximateDataBytes = 0;
    for (const [path, node] of this.tree.nodes) approximateDataBytes += path.length + (node.data?.length ?? 0);
    const open = [...this.connections];
    const single = this.options.peers.size === 0;
    return {
      mode: !this.isServing ? 'looking' : single ? 'standalone' : this.raft.role === 'leader' ? 'leader' : 'follower',
      zxid: this.tree.lastZxid,
      nodeCount: this.tree.nodeCount,
      watchCount: this.watches.watchCount,
      watchedPaths: this.watches.watchedPathCount,
      ephemeralsCount,
      approximateDataBytes,
      outstandingRequests: 0,
      packetsReceived: this.closedPacketsReceived + open.reduce((sum, c) => sum + c.packetsReceived, 0),
      packetsSent: this.closedPacketsSent + open.reduce((sum, c) => sum + c.packetsSent, 0),
      latencyMinMs: this.latencyMinMs,
      latencyAvgMs: this.latencyCount === 0 ? 0 : this.latencyTotalMs / this.latencyCount,
      latencyMaxMs: this.latencyMaxMs,
      connections: open.filter((c) => c.isOpen).map((c) => ({ remote: c.remote, packetsReceived: c.packetsReceived, packetsSent: c.packetsSent, sessionId: c.sessionId })),
      followers: this.options.peers.size,
      syncedFollowers: this.raft.role === 'leader' ? this.raft.syncedFollowers : 0,
      config: {
        clientPort: this.clientPort,
        dataDir: this.options.dataDir,
        tickTime: this.tickTimeMs,
        minSessionTimeout: 2 * this.tickTimeMs,
        maxSessionTimeout: 20 * this.tickTimeMs,
        serverId: this.options.id,
        forceSync: this.options.forceSync === false ? 'no' : 'yes',
      },
    };
  }

  fourLetterWord(word: string): string {
    return renderFourLetterWord(word, this.stats());
  }

  async close(): Promise<void> {
    if (this.expiryTimer !== null) clearInterval(this.expiryTimer);
    if (this.touchTimer !== null) clearInterval(this.touchTimer);
    for (const connection of this.connections) connection.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.raft?.close();
    await this.log?.close();
  }
}

export { NotServingError, ZkErrorCode };
