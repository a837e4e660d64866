/**
 * One client connection speaking the ZooKeeper wire protocol: the connect handshake, then
 * framed requests answered in the order they arrived (ZooKeeper's FIFO client order). Writes
 * are proposed as soon as they arrive, so a client's pipelined writes commit together; every
 * reply waits for the replies before it, and a read waits for the writes before it, so a client
 * always reads its own writes. Four-letter words are recognised on the first bytes.
 */
import type * as net from 'node:net';
import {
  ProtocolDecodeError,
  Reader,
  Writer,
  ZkAuthPacket,
  ZkConnectRequest,
  ZkConnectResponse,
  ZkCreate2Response,
  ZkCreateRequest,
  ZkErrorCode,
  ZkEventType,
  ZkFrameDecoder,
  ZkGetAclResponse,
  ZkGetChildren2Response,
  ZkGetChildrenResponse,
  ZkGetDataResponse,
  ZkKeeperState,
  ZkMultiRequest,
  ZkMultiResponse,
  ZkOpCode,
  ZkPathRecord,
  ZkPathVersionRequest,
  ZkPathWatchRequest,
  ZkReplyHeader,
  ZkRequestHeader,
  ZkSetAclRequest,
  ZkSetDataRequest,
  ZkSetWatches,
  ZkSetWatches2,
  ZkStatResponse,
  ZkWatcherEvent,
  ZkXid,
  ZkPerm,
  encodeZkFrame,
  juteInt,
  juteString,
  juteVector,
  type JuteCodec,
  type ZkId,
} from '@kafkaesque/protocol/jute';
import { childrenInZooKeeperOrder, type ApplyResult } from '../tree/data-tree.ts';
import type { TxnOp } from '../tree/txn.ts';
import { childPath } from '../tree/paths.ts';
import { aclAllows, digestId } from '../tree/acl.ts';
import type { CoordinatorMember } from './member.ts';
import { FOUR_LETTER_WORDS } from './four-letter-words.ts';
import { debug } from '../ensemble/raft.ts';

/** Requests read from one connection and not yet answered; beyond this, reading pauses. */
const REQUESTS_IN_FLIGHT_MAX = 1000;
/** Unsent reply bytes beyond which reading pauses until the socket drains. */
const SEND_BUFFER_BYTES_MAX = 4 * 1024 * 1024;

type Reply = { err: number; zxid?: number; codec?: JuteCodec<any>; body?: unknown };

let nextConnectionId = 1;

export class ClientConnection {
  readonly id = nextConnectionId++;
  readonly socket: net.Socket;
  private readonly member: CoordinatorMember;
  private readonly decoder = new ZkFrameDecoder();
  private state: 'new' | 'connecting' | 'open' | 'closing' | 'closed' = 'new';
  sessionId = 0n;
  sessionTimeoutMs = 0;
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private pausedForRequests = false;
  packetsReceived = 0;
  packetsSent = 0;
  private corked = false;
  readonly remote: string;
  /** Who this connection is, for ACL checks: its IP, plus the digest ids it authenticated as. */
  readonly authIds: ZkId[] = [];

  constructor(socket: net.Socket, member: CoordinatorMember) {
    this.socket = socket;
    this.member = member;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.authIds.push({ scheme: 'ip', id: normalizeAddress(socket.remoteAddress ?? '') });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.maybeResume());
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'new' && chunk.length >= 4) {
      const word = chunk.toString('latin1', 0, 4);
      if (FOUR_LETTER_WORDS.has(word)) {
        this.state = 'closing';
        this.socket.end(this.member.fourLetterWord(word));
        return;
      }
    }
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      if (this.state === 'closed' || this.state === 'closing') return;
      try {
        if (this.state === 'new') void this.onConnect(frame);
        else if (this.state === 'open') this.onRequest(frame);
        else this.socket.destroy(); // a request before the handshake finished
      } catch (error) {
        if (!(error instanceof ProtocolDecodeError)) process.emitWarning(`coordinator: ${String(error)}`);
        debug(`closing client ${this.remote} after a bad request: ${String(error)}`);
        this.socket.destroy();
        return;
      }
    }
  }

  // ---- handshake ---------------------------------------------------------------------------

  private async onConnect(frame: Buffer): Promise<void> {
    this.state = 'connecting';
    const request = ZkConnectRequest.decode(new Reader(frame));
    try {
      const accepted = await this.member.acceptSession(this, request);
      if (this.state !== 'connecting') return;
      if (accepted === null) {
        this.writeFrame(encodeZkFrame(ZkConnectResponse, { protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: Buffer.alloc(16), readOnly: false }));
        this.state = 'closing';
        this.socket.end();
        return;
      }
      this.sessionId = accepted.sessionId;
      this.sessionTimeoutMs = accepted.timeoutMs;
      this.state = 'open';
      this.writeFrame(
        encodeZkFrame(ZkConnectResponse, {
          protocolVersion: 0,
          timeOut: accepted.timeoutMs,
          sessionId: accepted.sessionId,
          passwd: accepted.passwd,
          readOnly: false,
        }),
      );
    } catch (error) {
      // not serving (no quorum) or the client is ahead of us: it will try another member
      debug(`refusing client ${this.remote}: ${String(error)}`);
      this.socket.destroy();
    }
  }

  // ---- requests ----------------------------------------------------------------------------

  private onRequest(frame: Buffer): void {
    const reader = new Reader(frame);
    const header = ZkRequestHeader.decode(reader);
    this.packetsReceived++;
    this.member.noteSessionActivity(this.sessionId);
    const { xid, type } = header;
    switch (type) {
      case ZkOpCode.ping:
        this.chain(xid, () => ({ err: 0 }));
        return;
      case ZkOpCode.auth: {
        const auth = ZkAuthPacket.decode(reader);
        // only digest credentials are known; anything else fails as ZooKeeper does
        this.chain(xid, () => {
          if (auth.scheme !== 'digest' || auth.auth === null) return { err: ZkErrorCode.AUTHFAILED };
          const id = digestId(auth.auth.toString('utf8'));
          if (!this.authIds.some((known) => known.scheme === 'digest' && known.id === id)) this.authIds.push({ scheme: 'digest', id });
          return { err: 0 };
        });
        return;
      }
      case ZkOpCode.setWatches:
      case ZkOpCode.setWatches2: {
        const watches = type === ZkOpCode.setWatches ? ZkSetWatches.decode(reader) : ZkSetWatches2.decode(reader);
        this.chain(xid, () => {
          this.member.restoreWatches(this, watches);
          return { err: 0 };
        });
        return;
      }
      case ZkOpCode.closeSession:
        this.state = 'closing';
        this.write(xid, { type: ZkOpCode.closeSession }, () => ({ err: 0 }), true);
        return;
      case ZkOpCode.create:
      case ZkOpCode.create2: {
        const request = ZkCreateRequest.decode(reader);
        this.write(xid, { type, request }, (result) =>
          type === ZkOpCode.create2
            ? createReply(result, ZkCreate2Response, (r) => r)
            : createReply(result, ZkPathRecord, (r) => ({ path: r.path })),
        );
        return;
      }
      case ZkOpCode.delete:
        this.write(xid, { type, request: ZkPathVersionRequest.decode(reader) }, (result) => ({ err: result.err }));
        return;
      case ZkOpCode.setData:
        this.write(xid, { type, request: ZkSetDataRequest.decode(reader) }, statReply);
        return;
      case ZkOpCode.setACL:
        this.write(xid, { type, request: ZkSetAclRequest.decode(reader) }, statReply);
        return;
      case ZkOpCode.multi:
        this.write(xid, { type, ops: ZkMultiRequest.decode(reader) }, (result) =>
          result.response.type === 'multi'
            ? { err: result.err, codec: ZkMultiResponse, body: result.response.results }
            : { err: result.err },
        );
        return;
      case ZkOpCode.sync: {
        const { path } = ZkPathRecord.decode(reader);
        const synced = this.member.sync();
        this.chainAsync(xid, synced.then(() => ({ err: 0, codec: ZkPathRecord, body: { path } })));
        return;
      }
      default:
        this.chain(xid, () => this.read(type, reader));
    }
  }

  /** Local reads, computed when their turn comes (after this client's earlier writes). */
  private read(type: number, reader: Reader): Reply {
    const tree = this.member.tree;
    switch (type) {
      case ZkOpCode.getData: {
        const { path, watch } = ZkPathWatchRequest.decode(reader);
        const node = tree.getNode(path);
        if (node === undefined) return { err: ZkErrorCode.NONODE };
        if (!aclAllows(node.acl, ZkPerm.READ, this.authIds)) return { err: ZkErrorCode.NOAUTH };
        if (watch) this.member.watches.addDataWatch(path, this);
        return { err: 0, codec: ZkGetDataResponse, body: { data: node.data, stat: tree.statOf(node) } };
      }
      case ZkOpCode.exists: {
        const { path, watch } = ZkPathWatchRequest.decode(reader);
        const node = tree.getNode(path);
        if (watch) this.member.watches.addDataWatch(path, this);
        if (node === undefined) return { err: ZkErrorCode.NONODE };
        return { err: 0, codec: ZkStatResponse, body: { stat: tree.statOf(node) } };
      }
      case ZkOpCode.getChildren:
      case ZkOpCode.getChildren2: {
        const { path, watch } = ZkPathWatchRequest.decode(reader);
        const node = tree.getNode(path);
        if (node === undefined) return { err: ZkErrorCode.NONODE };
        if (!aclAllows(node.acl, ZkPerm.READ, this.authIds)) return { err: ZkErrorCode.NOAUTH };
        if (watch) this.member.watches.addChildWatch(path, this);
        const children = childrenInZooKeeperOrder(node);
        return type === ZkOpCode.getChildren
          ? { err: 0, codec: ZkGetChildrenResponse, body: { children } }
          : { err: 0, codec: ZkGetChildren2Response, body: { children, stat: tree.statOf(node) } };
      }
      case ZkOpCode.getACL: {
        const { path } = ZkPathRecord.decode(reader);
        const node = tree.getNode(path);
        if (node === undefined) return { err: ZkErrorCode.NONODE };
        if (!aclAllows(node.acl, ZkPerm.READ | ZkPerm.ADMIN, this.authIds)) return { err: ZkErrorCode.NOAUTH };
        return { err: 0, codec: ZkGetAclResponse, body: { acl: node.acl, stat: tree.statOf(node) } };
      }
      case ZkOpCode.check: {
        const { path, version } = ZkPathVersionRequest.decode(reader);
        const node = tree.getNode(path);
        if (node === undefined) return { err: ZkErrorCode.NONODE };
        if (!aclAllows(node.acl, ZkPerm.READ, this.authIds)) return { err: ZkErrorCode.NOAUTH };
        return { err: version === -1 || version === node.version ? 0 : ZkErrorCode.BADVERSION };
      }
      case ZkOpCode.getAllChildrenNumber: {
        const { path } = ZkPathRecord.decode(reader);
        if (tree.getNode(path) === undefined) return { err: ZkErrorCode.NONODE };
        return { err: 0, codec: juteInt, body: countDescendants(tree, path) };
      }
      case ZkOpCode.getEphemerals: {
        const { path: prefix } = ZkPathRecord.decode(reader);
        const paths = tree.ephemeralsOf(this.sessionId).filter((path) => path.startsWith(prefix));
        return { err: 0, codec: juteVector(juteString), body: paths };
      }
      default:
        return { err: ZkErrorCode.UNIMPLEMENTED };
    }
  }

  private write(xid: number, op: TxnOp, toReply: (result: ApplyResult) => Reply, thenClose = false): void {
    const proposed = this.member.propose(this.sessionId, op, [...this.authIds]);
    this.chainAsync(
      xid,
      proposed.then((result) => ({ ...toReply(result), zxid: result.zxid })),
      thenClose,
    );
  }

  private chain(xid: number, compute: () => Reply): void {
    this.track(+1);
    this.tail = this.tail.then(() => {
      this.track(-1);
      if (this.state === 'closed') return;
      this.sendReply(xid, compute());
    });
  }

  private chainAsync(xid: number, reply: Promise<Reply>, thenClose = false): void {
    this.track(+1);
    reply.catch(() => {}); // handled in order below
    this.tail = this.tail.then(async () => {
      try {
        const value = await reply;
        this.track(-1);
        if (this.state === 'closed') return;
        this.sendReply(xid, value);
        if (thenClose) {
          this.state = 'closing';
          this.socket.end();
        }
      } catch (error) {
        // the ensemble lost its leader or quorum: drop the client so it reconnects elsewhere,
        // as a ZooKeeper server does when it stops serving
        debug(`dropping client ${this.remote}: ${String(error)}`);
        this.track(-1);
        this.socket.destroy();
      }
    });
  }

  private track(delta: number): void {
    this.inFlight += delta;
    if (this.inFlight >= REQUESTS_IN_FLIGHT_MAX && !this.pausedForRequests) {
      this.pausedForRequests = true;
      this.socket.pause();
    } else if (delta < 0) {
      this.maybeResume();
    }
  }

  private maybeResume(): void {
    if (this.pausedForRequests && this.inFlight < REQUESTS_IN_FLIGHT_MAX / 2 && this.socket.writableLength < SEND_BUFFER_BYTES_MAX) {
      this.pausedForRequests = false;
      this.socket.resume();
    }
  }

  private sendReply(xid: number, reply: Reply): void {
    const writer = new Writer(reply.codec === undefined ? 20 : 128);
    writer.reserve(4);
    const zxid = reply.zxid ?? this.member.tree.lastZxid;
    ZkReplyHeader.encode(writer, { xid, zxid: BigInt(zxid), err: reply.err });
    if (reply.err === 0 && reply.codec !== undefined) reply.codec.encode(writer, reply.body);
    writer.patchInt32(0, writer.offset - 4);
    this.writeFrame(Buffer.from(writer.finish()));
  }

  /** A watch notification: xid -1, zxid -1, then the WatcherEvent. */
  sendEvent(type: number, path: string): void {
    if (this.state !== 'open' && this.state !== 'closing') return;
    const writer = new Writer(64);
    writer.reserve(4);
    ZkReplyHeader.encode(writer, { xid: ZkXid.notification, zxid: -1n, err: 0 });
    ZkWatcherEvent.encode(writer, { type, state: ZkKeeperState.SyncConnected, path });
    writer.patchInt32(0, writer.offset - 4);
    this.writeFrame(Buffer.from(writer.finish()));
  }

  /** Writes, batching everything written in one tick into one segment (cork until next tick). */
  private writeFrame(frame: Buffer): void {
    if (this.socket.destroyed) return;
    this.packetsSent++;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    if (!this.socket.write(frame) && !this.pausedForRequests) {
      this.pausedForRequests = true;
      this.socket.pause();
    }
  }

  /** The session ended elsewhere (expired, or closed from another connection): hang up. */
  closeForSessionEnd(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    setImmediate(() => this.socket.destroy());
  }

  close(): void {
    this.socket.destroy();
  }

  private onClose(): void {
    this.state = 'closed';
    this.member.connectionClosed(this);
  }
}

function createReply<T>(result: ApplyResult, codec: JuteCodec<T>, shape: (response: { path: string; stat: unknown }) => T): Reply {
  if (result.err !== 0 || result.response.type !== 'create') return { err: result.err };
  return { err: 0, codec, body: shape(result.response) };
}

/** "::ffff:127.0.0.1" (an IPv4 client on a dual-stack socket) is 127.0.0.1, as Java reports it. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function statReply(result: ApplyResult): Reply {
  if (result.err !== 0 || result.response.type !== 'stat') return { err: result.err };
  return { err: 0, codec: ZkStatResponse, body: { stat: result.response.stat } };
}

function countDescendants(tree: CoordinatorMember['tree'], path: string): number {
  let count = 0;
  const stack = [path];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const child of tree.getNode(current)?.children ?? []) {
      count++;
      stack.push(childPath(current, child));
    }
  }
  return count;
}

export const WATCH_EVENT_TYPES = ZkEventType;
