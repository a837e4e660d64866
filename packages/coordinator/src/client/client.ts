/**
 * A ZooKeeper client (works against this coordinator and against Apache ZooKeeper). It keeps
 * one session across connections: when a connection drops it tries the next server with its
 * session id and password, re-registers its watches (setWatches), and keeps going until the
 * session expires. Requests issued while reconnecting wait (bounded) and go out once connected.
 *
 * Watches are one-shot callbacks passed with a read, as in ZooKeeper; every event is also
 * emitted as 'watch'. Session state changes are emitted as 'session' ('connected',
 * 'disconnected', 'expired', 'closed').
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import {
  Reader,
  Writer,
  ZK_OPEN_ACL_UNSAFE,
  ZkConnectRequest,
  ZkConnectResponse,
  ZkCreate2Response,
  ZkCreateMode,
  ZkCreateRequest,
  ZkErrorCode,
  ZkEventType,
  ZkFrameDecoder,
  ZkGetChildren2Response,
  ZkGetChildrenResponse,
  ZkGetDataResponse,
  ZkMultiRequest,
  ZkMultiResponse,
  ZkOpCode,
  ZkPathRecord,
  ZkPathVersionRequest,
  ZkPathWatchRequest,
  ZkReplyHeader,
  ZkRequestHeader,
  ZkSetDataRequest,
  ZkSetWatches,
  ZkStatResponse,
  ZkWatcherEvent,
  ZkXid,
  encodeZkFrame,
  type JuteCodec,
  type ZkAcl,
  type ZkMultiOp,
  type ZkMultiResult,
  type ZkStat,
} from '@kafkaesque/protocol/jute';
import { CoordinatorError } from './errors.ts';

export type CreateMode = 'persistent' | 'ephemeral' | 'persistentSequential' | 'ephemeralSequential';

export interface WatchEvent {
  type: 'created' | 'deleted' | 'changed' | 'children';
  path: string;
}
export type Watcher = (event: WatchEvent) => void;

export type SessionState = 'connected' | 'disconnected' | 'expired' | 'closed';

export interface CoordinatorClientOptions {
  /** "host:port,host:port" */
  connectString: string;
  sessionTimeoutMs?: number;
  /** Per connection attempt. */
  connectTimeoutMs?: number;
  /** Requests waiting for a connection at once; beyond this, calls fail with CONNECTIONLOSS. */
  queuedRequestsMax?: number;
}

export type MultiOp =
  | { op: 'create'; path: string; data?: Buffer | null; mode?: CreateMode; acl?: ZkAcl[] }
  | { op: 'delete'; path: string; version?: number }
  | { op: 'setData'; path: string; data: Buffer | null; version?: number }
  | { op: 'check'; path: string; version: number };

interface Outstanding {
  xid: number;
  type: number;
  frame: Buffer;
  path: string | undefined;
  decode: (reader: Reader | null, err: number) => unknown;
  resolve: (value: any) => void;
  reject: (error: Error) => void;
}

const EVENT_NAMES: Record<number, WatchEvent['type']> = {
  [ZkEventType.NodeCreated]: 'created',
  [ZkEventType.NodeDeleted]: 'deleted',
  [ZkEventType.NodeDataChanged]: 'changed',
  [ZkEventType.NodeChildrenChanged]: 'children',
};

const MODE_FLAGS: Record<CreateMode, number> = {
  persistent: ZkCreateMode.persistent,
  ephemeral: ZkCreateMode.ephemeral,
  persistentSequential: ZkCreateMode.persistentSequential,
  ephemeralSequential: ZkCreateMode.ephemeralSequential,
};

const RECONNECT_DELAY_MS = 50;

export class CoordinatorClient extends EventEmitter {
  private readonly hosts: Array<{ host: string; port: number }>;
  readonly sessionTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly queuedRequestsMax: number;
  private hostIndex: number;
  private socket: net.Socket | null = null;
  private connected = false;
  private closing = false;
  private expired = false;
  sessionId = 0n;
  private passwd: Buffer = Buffer.alloc(16);
  negotiatedTimeoutMs = 0;
  private lastZxid = 0n;
  private nextXid = 1;
  /** Sent, awaiting replies, in order. */
  private readonly inFlight: Outstanding[] = [];
  /** Waiting for a connection. */
  private readonly queued: Outstanding[] = [];
  private readonly dataWatches = new Map<string, Set<Watcher>>();
  private readonly existWatches = new Map<string, Set<Watcher>>();
  private readonly childWatches = new Map<string, Set<Watcher>>();
  private pingTimer: NodeJS.Timeout | null = null;
  private lastReceivedAtMs = 0;
  private lastSentAtMs = 0;
  private connectWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private disconnectedAtMs = 0;
  /** Address of the server this client is connected to, "host:port". */
  currentServer = '';

  constructor(options: CoordinatorClientOptions) {
    super();
    this.hosts = options.connectString.split(',').map((entry) => {
      const [host, port] = entry.trim().split(':');
      return { host, port: Number(port ?? 2181) };
    });
    if (this.hosts.length === 0) throw new Error('connectString names no server');
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? Math.max(1000, Math.floor(this.sessionTimeoutMs / this.hosts.length));
    this.queuedRequestsMax = options.queuedRequestsMax ?? 10_000;
    this.hostIndex = Math.floor(Math.random() * this.hosts.length);
  }

  /** Connects and establishes a session; resolves once connected. */
  connect(): Promise<void> {
    const promise = this.whenConnected();
    if (this.socket === null && !this.connected) this.openNext();
    return promise;
  }

  private whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.expired) return Promise.reject(new CoordinatorError(ZkErrorCode.SESSIONEXPIRED));
    if (this.closing) return Promise.reject(new CoordinatorError(ZkErrorCode.CONNECTIONLOSS));
    return new Promise((resolve, reject) => this.connectWaiters.push({ resolve, reject }));
  }

  get state(): 'connecting' | SessionState {
    if (this.closing) return 'closed';
    if (this.expired) return 'expired';
    return this.connected ? 'connected' : 'connecting';
  }

  // ---- connection lifecycle --------------------------------------------------------------

  private openNext(): void {
    if (this.closing || this.expired) return;
    const target = this.hosts[this.hostIndex % this.hosts.length];
    this.hostIndex++;
    const socket = net.connect(target.port, target.host);
    this.socket = socket;
    socket.setNoDelay(true);
    const decoder = new ZkFrameDecoder();
    let handshakeDone = false;
    const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), this.connectTimeoutMs);
    socket.once('connect', () => {
      socket.write(
        encodeZkFrame(ZkConnectRequest, {
          protocolVersion: 0,
          lastZxidSeen: this.lastZxid,
          timeOut: this.sessionTimeoutMs,
          sessionId: this.sessionId,
          passwd: this.passwd,
          readOnly: false,
        }),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        socket.destroy(error as Error);
        return;
      }
      this.lastReceivedAtMs = Date.now();
      for (const frame of frames) {
        if (!handshakeDone) {
          handshakeDone = true;
          clearTimeout(timer);
          this.onHandshake(socket, ZkConnectResponse.decode(new Reader(frame)), target);
        } else {
          this.onFrame(frame);
        }
        if (this.socket !== socket) return;
      }
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      this.onSocketClosed(socket);
    });
  }

  private onHandshake(socket: net.Socket, response: ZkConnectResponse, target: { host: string; port: number }): void {
    if (response.timeOut <= 0) {
      this.expire();
      socket.destroy();
      return;
    }
    const isNewSession = this.sessionId !== response.sessionId;
    this.sessionId = response.sessionId;
    this.passwd = Buffer.from(response.passwd ?? Buffer.alloc(16));
    this.negotiatedTimeoutMs = response.timeOut;
    this.connected = true;
    this.currentServer = `${target.host}:${target.port}`;
    this.disconnectedAtMs = 0;
    if (!isNewSession) this.sendSetWatches();
    this.startPinging();
    for (const waiter of this.connectWaiters.splice(0)) waiter.resolve();
    this.emit('session', 'connected' satisfies SessionState);
    for (const request of this.queued.splice(0)) this.transmit(request);
  }

  private onSocketClosed(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.stopPinging();
    const wasConnected = this.connected;
    this.connected = false;
    for (const request of this.inFlight.splice(0)) request.reject(new CoordinatorError(ZkErrorCode.CONNECTIONLOSS, request.path));
    if (this.closing || this.expired) return;
    if (wasConnected) {
      this.disconnectedAtMs = Date.now();
      this.emit('session', 'disconnected' satisfies SessionState);
    } else if (this.disconnectedAtMs === 0) {
      this.disconnectedAtMs = Date.now();
    }
    // a session cannot outlive its timeout without us: past it, tell waiters, keep trying
    // (the server will say whether it expired)
    if (Date.now() - this.disconnectedAtMs > (this.negotiatedTimeoutMs || this.sessionTimeoutMs)) {
      for (const request of this.queued.splice(0)) request.reject(new CoordinatorError(ZkErrorCode.CONNECTIONLOSS, request.path));
    }
    const delayMs = this.hostIndex % this.hosts.length === 0 ? RECONNECT_DELAY_MS * 4 : RECONNECT_DELAY_MS;
    setTimeout(() => this.openNext(), delayMs).unref();
  }

  private expire(): void {
    this.expired = true;
    this.connected = false;
    this.stopPinging();
    const error = new CoordinatorError(ZkErrorCode.SESSIONEXPIRED);
    for (const request of [...this.inFlight.splice(0), ...this.queued.splice(0)]) request.reject(error);
    for (const waiter of this.connectWaiters.splice(0)) waiter.reject(error);
    this.dataWatches.clear();
    this.existWatches.clear();
    this.childWatches.clear();
    this.emit('session', 'expired' satisfies SessionState);
  }

  private startPinging(): void {
    this.stopPinging();
    const timeoutMs = this.negotiatedTimeoutMs;
    const intervalMs = Math.max(10, Math.floor(timeoutMs / 6));
    this.lastSentAtMs = Date.now();
    this.pingTimer = setInterval(() => {
      const now = Date.now();
      // nothing heard for 2/3 of the timeout: this server is gone, move on before the session is
      if (now - this.lastReceivedAtMs > (timeoutMs * 2) / 3) {
        this.socket?.destroy();
        return;
      }
      if (now - this.lastSentAtMs >= timeoutMs / 3) this.sendRaw(encodePing());
    }, intervalMs);
    this.pingTimer.unref();
  }

  private stopPinging(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private sendRaw(frame: Buffer): void {
    this.lastSentAtMs = Date.now();
    this.socket?.write(frame);
  }

  private sendSetWatches(): void {
    const dataWatches = [...this.dataWatches.keys()];
    const existWatches = [...this.existWatches.keys()];
    const childWatches = [...this.childWatches.keys()];
    if (dataWatches.length + existWatches.length + childWatches.length === 0) return;
    const writer = new Writer(256);
    writer.reserve(4);
    ZkRequestHeader.encode(writer, { xid: ZkXid.setWatches, type: ZkOpCode.setWatches });
    ZkSetWatches.encode(writer, { relativeZxid: this.lastZxid, dataWatches, existWatches, childWatches });
    writer.patchInt32(0, writer.offset - 4);
    this.sendRaw(Buffer.from(writer.finish()));
  }

  // ---- replies and events -------------------------------------------------------------------

  private onFrame(frame: Buffer): void {
    const reader = new Reader(frame);
    const header = ZkReplyHeader.decode(reader);
    if (header.zxid > this.lastZxid) this.lastZxid = header.zxid;
    if (header.xid === ZkXid.notification) {
      const event = ZkWatcherEvent.decode(reader);
      this.onWatchEvent(event.type, event.path);
      return;
    }
    if (header.xid === ZkXid.ping || header.xid === ZkXid.setWatches || header.xid === ZkXid.auth) return;
    const request = this.inFlight.shift();
    if (request === undefined || request.xid !== header.xid) {
      // out-of-order reply: the connection cannot be trusted any more
      if (request !== undefined) this.inFlight.unshift(request);
      this.socket?.destroy();
      return;
    }
    try {
      request.resolve(request.decode(header.err === 0 ? reader : null, header.err));
    } catch (error) {
      request.reject(error instanceof CoordinatorError ? error : new CoordinatorError(ZkErrorCode.MARSHALLINGERROR, request.path, undefined, { cause: error }));
    }
  }

  private onWatchEvent(type: number, path: string): void {
    const name = EVENT_NAMES[type];
    if (name === undefined) return;
    const fired = new Set<Watcher>();
    const take = (table: Map<string, Set<Watcher>>): void => {
      const watchers = table.get(path);
      if (watchers === undefined) return;
      table.delete(path);
      for (const watcher of watchers) fired.add(watcher);
    };
    if (type === ZkEventType.NodeCreated || type === ZkEventType.NodeDataChanged) {
      take(this.dataWatches);
      take(this.existWatches);
    } else if (type === ZkEventType.NodeDeleted) {
      take(this.dataWatches);
      take(this.existWatches);
      take(this.childWatches);
    } else {
      take(this.childWatches);
    }
    const event: WatchEvent = { type: name, path };
    for (const watcher of fired) watcher(event);
    this.emit('watch', event);
  }

  // ---- requests ----------------------------------------------------------------------------

  private request<T>(
    type: number,
    codec: JuteCodec<any> | null,
    body: unknown,
    path: string | undefined,
    decode: (reader: Reader | null, err: number) => T,
  ): Promise<T> {
    if (this.closing) return Promise.reject(new CoordinatorError(ZkErrorCode.CONNECTIONLOSS, path));
    if (this.expired) return Promise.reject(new CoordinatorError(ZkErrorCode.SESSIONEXPIRED, path));
    const xid = this.nextXid;
    this.nextXid = this.nextXid >= 0x7fffffff ? 1 : this.nextXid + 1;
    const writer = new Writer(128);
    writer.reserve(4);
    ZkRequestHeader.encode(writer, { xid, type });
    if (codec !== null) codec.encode(writer, body);
    writer.patchInt32(0, writer.offset - 4);
    return new Promise<T>((resolve, reject) => {
      const request: Outstanding = { xid, type, frame: Buffer.from(writer.finish()), path, decode, resolve, reject };
      if (this.connected) this.transmit(request);
      else if (this.queued.length >= this.queuedRequestsMax) reject(new CoordinatorError(ZkErrorCode.CONNECTIONLOSS, path));
      else this.queued.push(request);
    });
  }

  private transmit(request: Outstanding): void {
    this.inFlight.push(request);
    this.sendRaw(request.frame);
  }

  private static fail(err: number, path: string | undefined): never {
    throw new CoordinatorError(err, path);
  }

  async create(path: string, data: Buffer | null = null, options: { mode?: CreateMode; acl?: ZkAcl[] } = {}): Promise<string> {
    const { path: created } = await this.create2(path, data, options);
    return created;
  }

  /** create with the new node's Stat (ZooKeeper's create2). */
  create2(path: string, data: Buffer | null = null, options: { mode?: CreateMode; acl?: ZkAcl[] } = {}): Promise<{ path: string; stat: ZkStat }> {
    const body = { path, data, acl: options.acl ?? [...ZK_OPEN_ACL_UNSAFE], flags: MODE_FLAGS[options.mode ?? 'persistent'] };
    return this.request(ZkOpCode.create2, ZkCreateRequest, body, path, (reader, err) =>
      reader === null ? CoordinatorClient.fail(err, path) : ZkCreate2Response.decode(reader),
    );
  }

  getData(path: string, watch?: Watcher): Promise<{ data: Buffer | null; stat: ZkStat }> {
    return this.request(ZkOpCode.getData, ZkPathWatchRequest, { path, watch: watch !== undefined }, path, (reader, err) => {
      if (reader === null) CoordinatorClient.fail(err, path);
      if (watch) addWatch(this.dataWatches, path, watch);
      const { data, stat } = ZkGetDataResponse.decode(reader);
      return { data: data === null ? null : Buffer.from(data), stat };
    });
  }

  setData(path: string, data: Buffer | null, version = -1): Promise<ZkStat> {
    return this.request(ZkOpCode.setData, ZkSetDataRequest, { path, data, version }, path, (reader, err) =>
      reader === null ? CoordinatorClient.fail(err, path) : ZkStatResponse.decode(reader).stat,
    );
  }

  delete(path: string, version = -1): Promise<void> {
    return this.request(ZkOpCode.delete, ZkPathVersionRequest, { path, version }, path, (reader, err) => {
      if (reader === null) CoordinatorClient.fail(err, path);
    });
  }

  /** The node's Stat, or null if it does not exist (a watch is set either way). */
  exists(path: string, watch?: Watcher): Promise<ZkStat | null> {
    return this.request(ZkOpCode.exists, ZkPathWatchRequest, { path, watch: watch !== undefined }, path, (reader, err) => {
      if (reader === null) {
        if (err !== ZkErrorCode.NONODE) CoordinatorClient.fail(err, path);
        if (watch) addWatch(this.existWatches, path, watch);
        return null;
      }
      if (watch) addWatch(this.dataWatches, path, watch);
      return ZkStatResponse.decode(reader).stat;
    });
  }

  getChildren(path: string, watch?: Watcher): Promise<string[]> {
    return this.request(ZkOpCode.getChildren, ZkPathWatchRequest, { path, watch: watch !== undefined }, path, (reader, err) => {
      if (reader === null) CoordinatorClient.fail(err, path);
      if (watch) addWatch(this.childWatches, path, watch);
      return ZkGetChildrenResponse.decode(reader).children;
    });
  }

  getChildren2(path: string, watch?: Watcher): Promise<{ children: string[]; stat: ZkStat }> {
    return this.request(ZkOpCode.getChildren2, ZkPathWatchRequest, { path, watch: watch !== undefined }, path, (reader, err) => {
      if (reader === null) CoordinatorClient.fail(err, path);
      if (watch) addWatch(this.childWatches, path, watch);
      return ZkGetChildren2Response.decode(reader);
    });
  }

  /** Makes this server catch up with the leader, so the next read here is fresh. */
  sync(path = '/'): Promise<void> {
    return this.request(ZkOpCode.sync, ZkPathRecord, { path }, path, (reader, err) => {
      if (reader === null) CoordinatorClient.fail(err, path);
    });
  }

  /** All or nothing; on failure throws a CoordinatorError whose `results` say which op failed. */
  multi(ops: MultiOp[]): Promise<ZkMultiResult[]> {
    const wire: ZkMultiOp[] = ops.map((op) => {
      switch (op.op) {
        case 'create':
          return {
            type: ZkOpCode.create2,
            request: { path: op.path, data: op.data ?? null, acl: op.acl ?? [...ZK_OPEN_ACL_UNSAFE], flags: MODE_FLAGS[op.mode ?? 'persistent'] },
          };
        case 'delete':
          return { type: ZkOpCode.delete, request: { path: op.path, version: op.version ?? -1 } };
        case 'setData':
          return { type: ZkOpCode.setData, request: { path: op.path, data: op.data, version: op.version ?? -1 } };
        case 'check':
          return { type: ZkOpCode.check, request: { path: op.path, version: op.version } };
      }
    });
    return this.request(ZkOpCode.multi, ZkMultiRequest, wire, undefined, (reader, err) => {
      if (reader === null) CoordinatorClient.fail(err, undefined);
      const results = ZkMultiResponse.decode(reader);
      const failed = results.find((result) => result.type === ZkOpCode.error && result.err !== 0 && result.err !== ZkErrorCode.RUNTIMEINCONSISTENCY);
      if (failed !== undefined && failed.type === ZkOpCode.error) {
        const index = results.indexOf(failed);
        throw new CoordinatorError(failed.err, ops[index]?.path, results);
      }
      return results;
    });
  }

  /** Ends the session (its ephemerals go at once) and the connection. */
  async close(): Promise<void> {
    if (this.closing) return;
    if (this.connected && !this.expired) {
      await this.request(ZkOpCode.closeSession, null, undefined, undefined, () => undefined).catch(() => {});
    }
    this.closing = true;
    this.stopPinging();
    for (const request of this.queued.splice(0)) request.reject(new CoordinatorError(ZkErrorCode.CONNECTIONLOSS, request.path));
    for (const waiter of this.connectWaiters.splice(0)) waiter.reject(new CoordinatorError(ZkErrorCode.CONNECTIONLOSS));
    this.socket?.destroy();
    this.socket = null;
    this.connected = false;
    this.emit('session', 'closed' satisfies SessionState);
  }

  /** Drops the connection without ending the session (tests; simulates a network blip). */
  dropConnection(): void {
    this.socket?.destroy();
  }
}

function addWatch(table: Map<string, Set<Watcher>>, path: string, watcher: Watcher): void {
  let watchers = table.get(path);
  if (watchers === undefined) {
    watchers = new Set();
    table.set(path, watchers);
  }
  watchers.add(watcher);
}

function encodePing(): Buffer {
  const frame = Buffer.alloc(12);
  frame.writeInt32BE(8, 0);
  frame.writeInt32BE(ZkXid.ping, 4);
  frame.writeInt32BE(ZkOpCode.ping, 8);
  return frame;
}
