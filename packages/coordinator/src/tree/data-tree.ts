/**
 * The znode tree and its sessions: ZooKeeper 3.8's data model. Pure and deterministic — it
 * only changes through `apply(txn)`, so every ensemble member that applies the same txns in the
 * same order holds the same tree. Reads never change it.
 *
 * Error precedence follows ZooKeeper's PrepRequestProcessor (e.g. create: BADARGUMENTS,
 * INVALIDACL, NONODE (parent), NODEEXISTS, NOCHILDRENFOREPHEMERALS).
 */
import {
  JUTE_MAX_BUFFER_BYTES,
  ZkErrorCode,
  ZkEventType,
  ZkOpCode,
  ZkPerm,
  type ZkAcl,
  type ZkCreateRequest,
  type ZkMultiOp,
  type ZkMultiResult,
  type ZkPathVersionRequest,
  type ZkSetAclRequest,
  type ZkSetDataRequest,
  type ZkStat,
} from '@kafkaesque/protocol/jute';
import { aclAllows, fixupAcl } from './acl.ts';
import { childPath, isValidPath, nameOf, parentOf } from './paths.ts';
import { TXN_NOOP, type Txn } from './txn.ts';

export interface Znode {
  data: Buffer | null;
  acl: ZkAcl[];
  czxid: number;
  mzxid: number;
  pzxid: number;
  ctimeMs: number;
  mtimeMs: number;
  version: number;
  /**
   * Children ever created under this node. ZooKeeper keeps this count internally, names
   * sequential children after it, and reports `2 * cversion - numChildren` (= creates +
   * deletes) as the Stat's cversion.
   */
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  children: Set<string>;
  /**
   * The table size of the java.util.HashSet ZooKeeper would hold these children in (0: none
   * yet). It only grows, like Java's; with it `childrenInZooKeeperOrder` lists children in the
   * order ZooKeeper does, which clients such as kazoo's recursive delete act on.
   */
  childCapacity: number;
}

export interface SessionRecord {
  sessionId: bigint;
  timeoutMs: number;
  ephemerals: Set<string>;
}

/** A change that fires watches: ZooKeeper's event type and the path it happened on. */
export interface WatchTrigger {
  type: typeof ZkEventType.NodeCreated | typeof ZkEventType.NodeDeleted | typeof ZkEventType.NodeDataChanged | typeof ZkEventType.NodeChildrenChanged;
  path: string;
}

export type ApplyResponse =
  | { type: 'none' }
  | { type: 'create'; path: string; stat: ZkStat }
  | { type: 'stat'; stat: ZkStat }
  | { type: 'multi'; results: ZkMultiResult[] }
  | { type: 'closed'; deleted: string[] };

export interface ApplyResult {
  zxid: number;
  err: number;
  response: ApplyResponse;
  triggers: WatchTrigger[];
}

/** Thrown inside apply to abort an op with a ZooKeeper error code. */
class OpError extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`op failed with ${code}`);
    this.code = code;
  }
}

type Undo = () => void;

/** Nodes ZooKeeper creates in every tree (DataTree's constructor), with zeroed stats. */
const SYSTEM_NODES = ['/zookeeper', '/zookeeper/quota', '/zookeeper/config'];
/** /zookeeper/config is read-only for everyone, with aversion -1, as in ZooKeeper. */
const CONFIG_NODE = '/zookeeper/config';

export class DataTree {
  readonly nodes = new Map<string, Znode>();
  readonly sessions = new Map<bigint, SessionRecord>();
  /** The zxid of the last txn applied. */
  lastZxid = 0;

  constructor() {
    this.nodes.set('/', emptyNode());
    for (const path of SYSTEM_NODES) {
      this.nodes.set(path, emptyNode());
      addChild(this.nodes.get(parentOf(path))!, nameOf(path));
    }
    const config = this.nodes.get(CONFIG_NODE)!;
    config.acl = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];
    config.aversion = -1;
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  getNode(path: string): Znode | undefined {
    return this.nodes.get(path);
  }

  statOf(node: Znode): ZkStat {
    return {
      czxid: BigInt(node.czxid),
      mzxid: BigInt(node.mzxid),
      ctime: BigInt(node.ctimeMs),
      mtime: BigInt(node.mtimeMs),
      version: node.version,
      cversion: 2 * node.cversion - node.children.size,
      aversion: node.aversion,
      ephemeralOwner: node.ephemeralOwner,
      dataLength: node.data === null ? 0 : node.data.length,
      numChildren: node.children.size,
      pzxid: BigInt(node.pzxid),
    };
  }

  /** Applies one committed txn. Txns at or below lastZxid are ignored (replay after a snapshot). */
  apply(txn: Txn): ApplyResult {
    if (txn.zxid <= this.lastZxid) {
      return { zxid: txn.zxid, err: ZkErrorCode.OK, response: { type: 'none' }, triggers: [] };
    }
    this.lastZxid = txn.zxid;
    const triggers: WatchTrigger[] = [];
    const op = txn.op;
    try {
      switch (op.type) {
        case TXN_NOOP:
          return ok(txn, { type: 'none' }, triggers);
        case ZkOpCode.createSession:
          this.sessions.set(txn.sessionId, { sessionId: txn.sessionId, timeoutMs: op.timeoutMs, ephemerals: new Set() });
          return ok(txn, { type: 'none' }, triggers);
        case ZkOpCode.closeSession:
          return ok(txn, { type: 'closed', deleted: this.closeSession(txn, triggers) }, triggers);
        case ZkOpCode.create:
        case ZkOpCode.create2: {
          const path = this.create(txn, op.request, triggers, []);
          return ok(txn, { type: 'create', path, stat: this.statOf(this.nodes.get(path)!) }, triggers);
        }
        case ZkOpCode.delete:
          this.delete(txn, op.request, triggers, []);
          return ok(txn, { type: 'none' }, triggers);
        case ZkOpCode.setData:
          return ok(txn, { type: 'stat', stat: this.setData(txn, op.request, triggers, []) }, triggers);
        case ZkOpCode.setACL:
          return ok(txn, { type: 'stat', stat: this.setAcl(txn, op.request) }, triggers);
        case ZkOpCode.multi:
          return this.multi(txn, op.ops);
      }
    } catch (error) {
      if (error instanceof OpError) return { zxid: txn.zxid, err: error.code, response: { type: 'none' }, triggers: [] };
      throw error;
    }
  }

  private requireSession(txn: Txn): SessionRecord | undefined {
    return this.sessions.get(txn.sessionId);
  }

  private create(txn: Txn, request: ZkCreateRequest, triggers: WatchTrigger[], undo: Undo[]): string {
    const flags = request.flags;
    if (flags < 0 || flags > 3) throw new OpError(flags <= 6 ? ZkErrorCode.UNIMPLEMENTED : ZkErrorCode.BADARGUMENTS);
    const ephemeral = (flags & 1) !== 0;
    const sequential = (flags & 2) !== 0;
    let path = request.path;
    if (!isValidPath(sequential ? path + '1' : path)) throw new OpError(ZkErrorCode.BADARGUMENTS);
    if (path === '/') throw new OpError(ZkErrorCode.NODEEXISTS);
    const acl = fixupAcl(request.acl, txn.auth);
    if (acl === null) throw new OpError(ZkErrorCode.INVALIDACL);
    if (request.data !== null && request.data.length > JUTE_MAX_BUFFER_BYTES) throw new OpError(ZkErrorCode.BADARGUMENTS);
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) throw new OpError(ZkErrorCode.NONODE);
    if (!aclAllows(parent.acl, ZkPerm.CREATE, txn.auth)) throw new OpError(ZkErrorCode.NOAUTH);
    if (sequential) path += formatSequence(parent.cversion);
    if (!isValidPath(path)) throw new OpError(ZkErrorCode.BADARGUMENTS);
    if (this.nodes.has(path)) throw new OpError(ZkErrorCode.NODEEXISTS);
    if (parent.ephemeralOwner !== 0n) throw new OpError(ZkErrorCode.NOCHILDRENFOREPHEMERALS);
    let session: SessionRecord | undefined;
    if (ephemeral) {
      session = this.requireSession(txn);
      if (session === undefined) throw new OpError(ZkErrorCode.SESSIONEXPIRED);
    }
    const node: Znode = {
      data: request.data,
      acl,
      czxid: txn.zxid,
      mzxid: txn.zxid,
      pzxid: txn.zxid,
      ctimeMs: txn.timeMs,
      mtimeMs: txn.timeMs,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: ephemeral ? txn.sessionId : 0n,
      children: new Set(),
      childCapacity: 0,
    };
    const name = nameOf(path);
    const { cversion, pzxid, childCapacity } = parent;
    this.nodes.set(path, node);
    addChild(parent, name);
    parent.cversion++;
    parent.pzxid = txn.zxid;
    session?.ephemerals.add(path);
    undo.push(() => {
      this.nodes.delete(path);
      parent.children.delete(name);
      parent.cversion = cversion;
      parent.pzxid = pzxid;
      parent.childCapacity = childCapacity;
      session?.ephemerals.delete(path);
    });
    triggers.push({ type: ZkEventType.NodeCreated, path }, { type: ZkEventType.NodeChildrenChanged, path: parentPath });
    return path;
  }

  private delete(txn: Txn, request: ZkPathVersionRequest, triggers: WatchTrigger[], undo: Undo[]): void {
    const path = request.path;
    if (!isValidPath(path)) throw new OpError(ZkErrorCode.BADARGUMENTS);
    if (path === '/') throw new OpError(ZkErrorCode.BADARGUMENTS);
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    const node = this.nodes.get(path);
    // ZooKeeper checks the parent's DELETE permission before looking the node up
    if (parent === undefined) throw new OpError(ZkErrorCode.NONODE);
    if (!aclAllows(parent.acl, ZkPerm.DELETE, txn.auth)) throw new OpError(ZkErrorCode.NOAUTH);
    if (node === undefined) throw new OpError(ZkErrorCode.NONODE);
    checkVersion(node.version, request.version);
    if (node.children.size > 0) throw new OpError(ZkErrorCode.NOTEMPTY);
    this.removeNode(txn, path, node, parent, triggers, undo);
  }

  private removeNode(txn: Txn, path: string, node: Znode, parent: Znode, triggers: WatchTrigger[], undo: Undo[]): void {
    const name = nameOf(path);
    const { pzxid } = parent;
    this.nodes.delete(path);
    parent.children.delete(name);
    parent.pzxid = txn.zxid;
    const owner = node.ephemeralOwner === 0n ? undefined : this.sessions.get(node.ephemeralOwner);
    owner?.ephemerals.delete(path);
    undo.push(() => {
      this.nodes.set(path, node);
      parent.children.add(name);
      parent.pzxid = pzxid;
      owner?.ephemerals.add(path);
    });
    triggers.push({ type: ZkEventType.NodeDeleted, path }, { type: ZkEventType.NodeChildrenChanged, path: parentOf(path) });
  }

  private setData(txn: Txn, request: ZkSetDataRequest, triggers: WatchTrigger[], undo: Undo[]): ZkStat {
    const path = request.path;
    if (!isValidPath(path)) throw new OpError(ZkErrorCode.BADARGUMENTS);
    if (request.data !== null && request.data.length > JUTE_MAX_BUFFER_BYTES) throw new OpError(ZkErrorCode.BADARGUMENTS);
    const node = this.nodes.get(path);
    if (node === undefined) throw new OpError(ZkErrorCode.NONODE);
    if (!aclAllows(node.acl, ZkPerm.WRITE, txn.auth)) throw new OpError(ZkErrorCode.NOAUTH);
    checkVersion(node.version, request.version);
    const { data, mzxid, mtimeMs, version } = node;
    node.data = request.data;
    node.mzxid = txn.zxid;
    node.mtimeMs = txn.timeMs;
    node.version = (node.version + 1) | 0;
    undo.push(() => {
      node.data = data;
      node.mzxid = mzxid;
      node.mtimeMs = mtimeMs;
      node.version = version;
    });
    triggers.push({ type: ZkEventType.NodeDataChanged, path });
    return this.statOf(node);
  }

  private setAcl(txn: Txn, request: ZkSetAclRequest): ZkStat {
    if (!isValidPath(request.path)) throw new OpError(ZkErrorCode.BADARGUMENTS);
    const acl = fixupAcl(request.acl, txn.auth);
    if (acl === null) throw new OpError(ZkErrorCode.INVALIDACL);
    const node = this.nodes.get(request.path);
    if (node === undefined) throw new OpError(ZkErrorCode.NONODE);
    if (!aclAllows(node.acl, ZkPerm.ADMIN, txn.auth)) throw new OpError(ZkErrorCode.NOAUTH);
    if (request.version !== -1 && request.version !== node.aversion) throw new OpError(ZkErrorCode.BADVERSION);
    node.acl = acl;
    node.aversion = (node.aversion + 1) | 0;
    return this.statOf(node);
  }

  private check(txn: Txn, request: ZkPathVersionRequest): void {
    if (!isValidPath(request.path)) throw new OpError(ZkErrorCode.BADARGUMENTS);
    const node = this.nodes.get(request.path);
    if (node === undefined) throw new OpError(ZkErrorCode.NONODE);
    if (!aclAllows(node.acl, ZkPerm.READ, txn.auth)) throw new OpError(ZkErrorCode.NOAUTH);
    checkVersion(node.version, request.version);
  }

  /**
   * All ops or none. On the first failure the earlier ops are undone, and the results are
   * ZooKeeper's: OK for the ops before, the error for the failing one, RUNTIMEINCONSISTENCY after.
   */
  private multi(txn: Txn, ops: ZkMultiOp[]): ApplyResult {
    const undo: Undo[] = [];
    const triggers: WatchTrigger[] = [];
    const results: ZkMultiResult[] = [];
    for (let index = 0; index < ops.length; index++) {
      try {
        results.push(this.multiOp(txn, ops[index], triggers, undo));
      } catch (error) {
        if (!(error instanceof OpError)) throw error;
        for (let i = undo.length - 1; i >= 0; i--) undo[i]();
        const failed: ZkMultiResult[] = ops.map((_, i) => ({
          type: ZkOpCode.error,
          err: i < index ? ZkErrorCode.OK : i === index ? error.code : ZkErrorCode.RUNTIMEINCONSISTENCY,
        }));
        return { zxid: txn.zxid, err: ZkErrorCode.OK, response: { type: 'multi', results: failed }, triggers: [] };
      }
    }
    return { zxid: txn.zxid, err: ZkErrorCode.OK, response: { type: 'multi', results }, triggers };
  }

  private multiOp(txn: Txn, op: ZkMultiOp, triggers: WatchTrigger[], undo: Undo[]): ZkMultiResult {
    switch (op.type) {
      case ZkOpCode.create: {
        return { type: op.type, path: this.create(txn, op.request, triggers, undo) };
      }
      case ZkOpCode.create2:
        // ZooKeeper 3.8 answers a create2 inside a multi as a plain create (path, no Stat)
        return { type: ZkOpCode.create, path: this.create(txn, op.request, triggers, undo) };
      case ZkOpCode.delete:
        this.delete(txn, op.request, triggers, undo);
        return { type: op.type };
      case ZkOpCode.setData:
        return { type: op.type, stat: this.setData(txn, op.request, triggers, undo) };
      case ZkOpCode.check:
        this.check(txn, op.request);
        return { type: op.type };
    }
  }

  /** Ends a session: its ephemerals go (in path order, so every replica fires the same events). */
  private closeSession(txn: Txn, triggers: WatchTrigger[]): string[] {
    const session = this.sessions.get(txn.sessionId);
    if (session === undefined) return [];
    const deleted = [...session.ephemerals].sort();
    for (const path of deleted) {
      const node = this.nodes.get(path);
      const parent = this.nodes.get(parentOf(path));
      if (node !== undefined && parent !== undefined) this.removeNode(txn, path, node, parent, triggers, []);
    }
    this.sessions.delete(txn.sessionId);
    return deleted;
  }

  /** Ephemeral paths owned by a session (for the 4lw and tests). */
  ephemeralsOf(sessionId: bigint): string[] {
    return [...(this.sessions.get(sessionId)?.ephemerals ?? [])].sort();
  }
}

function ok(txn: Txn, response: ApplyResponse, triggers: WatchTrigger[]): ApplyResult {
  return { zxid: txn.zxid, err: ZkErrorCode.OK, response, triggers };
}

function checkVersion(current: number, expected: number): void {
  if (expected !== -1 && expected !== current) throw new OpError(ZkErrorCode.BADVERSION);
}

/** ZooKeeper's "%010d" of the parent's cversion. */
export function formatSequence(cversion: number): string {
  return cversion < 0 ? '-' + String(-cversion).padStart(9, '0') : String(cversion).padStart(10, '0');
}

function emptyNode(): Znode {
  return {
    data: Buffer.alloc(0),
    acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
    czxid: 0,
    mzxid: 0,
    pzxid: 0,
    ctimeMs: 0,
    mtimeMs: 0,
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: 0n,
    children: new Set(),
    childCapacity: 0,
  };
}

/** java.util.HashSet's first table size for a DataNode's children (`new HashSet<>(8)`). */
const JAVA_CHILD_SET_INITIAL_CAPACITY = 8;

/** Adds a child, growing the emulated HashSet table as Java would (load factor 0.75). */
export function addChild(node: Znode, name: string): void {
  if (node.childCapacity === 0) node.childCapacity = JAVA_CHILD_SET_INITIAL_CAPACITY;
  node.children.add(name);
  if (node.children.size > node.childCapacity * 0.75) node.childCapacity *= 2;
}

/** Java's String.hashCode, spread as HashMap.hash does. */
function javaHash(name: string): number {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (Math.imul(hash, 31) + name.charCodeAt(i)) | 0;
  return hash ^ (hash >>> 16);
}

/**
 * Children in ZooKeeper's order: java.util.HashSet iteration, i.e. by bucket, and within a
 * bucket by insertion (a JavaScript Set keeps insertion order, and re-adding puts a name last,
 * as Java's bucket lists do).
 */
export function childrenInZooKeeperOrder(node: Znode): string[] {
  const mask = Math.max(node.childCapacity, 1) - 1;
  return [...node.children]
    .map((name, insertion) => ({ name, bucket: javaHash(name) & mask, insertion }))
    .sort((a, b) => a.bucket - b.bucket || a.insertion - b.insertion)
    .map((entry) => entry.name);
}
