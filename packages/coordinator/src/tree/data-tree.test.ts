/**
 * The tree against a deliberately naive model (a flat map scanned by prefix), over random
 * sequences of creates, deletes, setData, checks, multis and session opens/closes on a small
 * path space, so collisions, versions, sequences and ephemerals all get exercised.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZkErrorCode, ZkEventType, ZkOpCode, type ZkMultiOp } from '@kafkaesque/protocol/jute';
import { addChild, childrenInZooKeeperOrder, DataTree, formatSequence, type Znode } from './data-tree.ts';
import { deserializeTree, serializeTree } from './snapshot.ts';
import { TXN_NOOP, txnFromBytes, txnToBytes, type Txn, type TxnOp } from './txn.ts';
import { WatchManager } from './watches.ts';

interface ModelNode {
  data: string | null;
  version: number;
  cversion: number;
  owner: bigint;
}

class Model {
  nodes = new Map<string, ModelNode>([['/', { data: '', version: 0, cversion: 0, owner: 0n }]]);
  sessions = new Set<bigint>();

  parent(path: string): string {
    const i = path.lastIndexOf('/');
    return i === 0 ? '/' : path.slice(0, i);
  }

  children(path: string): string[] {
    return [...this.nodes.keys()].filter((p) => p !== '/' && this.parent(p) === path);
  }

  /** Returns [err, created path]. */
  create(path: string, data: string | null, flags: number, session: bigint): [number, string?] {
    const parentPath = this.parent(path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) return [ZkErrorCode.NONODE];
    const full = flags & 2 ? path + formatSequence(parent.cversion) : path;
    if (this.nodes.has(full)) return [ZkErrorCode.NODEEXISTS];
    if (parent.owner !== 0n) return [ZkErrorCode.NOCHILDRENFOREPHEMERALS];
    if (flags & 1 && !this.sessions.has(session)) return [ZkErrorCode.SESSIONEXPIRED];
    this.nodes.set(full, { data, version: 0, cversion: 0, owner: flags & 1 ? session : 0n });
    parent.cversion++;
    return [0, full];
  }

  delete(path: string, version: number): number {
    const node = this.nodes.get(path);
    if (node === undefined) return ZkErrorCode.NONODE;
    if (version !== -1 && version !== node.version) return ZkErrorCode.BADVERSION;
    if (this.children(path).length > 0) return ZkErrorCode.NOTEMPTY;
    this.nodes.delete(path);
    return 0;
  }

  setData(path: string, data: string | null, version: number): number {
    const node = this.nodes.get(path);
    if (node === undefined) return ZkErrorCode.NONODE;
    if (version !== -1 && version !== node.version) return ZkErrorCode.BADVERSION;
    node.data = data;
    node.version++;
    return 0;
  }

  check(path: string, version: number): number {
    const node = this.nodes.get(path);
    if (node === undefined) return ZkErrorCode.NONODE;
    return version !== -1 && version !== node.version ? ZkErrorCode.BADVERSION : 0;
  }

  closeSession(session: bigint): void {
    for (const [path, node] of [...this.nodes]) {
      if (node.owner === session) this.nodes.delete(path);
    }
    this.sessions.delete(session);
  }

  clone(): Model {
    const copy = new Model();
    copy.nodes = new Map([...this.nodes].map(([path, node]) => [path, { ...node }]));
    copy.sessions = new Set(this.sessions);
    return copy;
  }
}

const paths = ['/a', '/b', '/a/x', '/a/y', '/b/z', '/a/x/q', '/c'];
const pathArbitrary = fc.constantFrom(...paths);
const dataArbitrary = fc.option(fc.constantFrom('', 'v1', 'v2', 'hello'), { nil: null });
const versionArbitrary = fc.constantFrom(-1, 0, 1, 2);
const sessionArbitrary = fc.constantFrom(1n, 2n);

type SimpleOp =
  | { kind: 'create'; path: string; data: string | null; flags: number }
  | { kind: 'delete'; path: string; version: number }
  | { kind: 'setData'; path: string; data: string | null; version: number }
  | { kind: 'check'; path: string; version: number };

const simpleOp: fc.Arbitrary<SimpleOp> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), path: pathArbitrary, data: dataArbitrary, flags: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('delete' as const), path: pathArbitrary, version: versionArbitrary }),
  fc.record({ kind: fc.constant('setData' as const), path: pathArbitrary, data: dataArbitrary, version: versionArbitrary }),
);

type Step =
  | { kind: 'op'; op: SimpleOp; session: bigint }
  | { kind: 'multi'; ops: SimpleOp[]; session: bigint }
  | { kind: 'openSession'; session: bigint }
  | { kind: 'closeSession'; session: bigint };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('op' as const), op: simpleOp, session: sessionArbitrary }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('multi' as const),
      ops: fc.array(fc.oneof(simpleOp, fc.record({ kind: fc.constant('check' as const), path: pathArbitrary, version: versionArbitrary })), { minLength: 1, maxLength: 4 }),
      session: sessionArbitrary,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('openSession' as const), session: sessionArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('closeSession' as const), session: sessionArbitrary }) },
);

const buf = (data: string | null): Buffer | null => (data === null ? null : Buffer.from(data));
const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function toMultiOp(op: SimpleOp): ZkMultiOp {
  switch (op.kind) {
    case 'create':
      return { type: ZkOpCode.create, request: { path: op.path, data: buf(op.data), acl, flags: op.flags } };
    case 'delete':
      return { type: ZkOpCode.delete, request: { path: op.path, version: op.version } };
    case 'setData':
      return { type: ZkOpCode.setData, request: { path: op.path, data: buf(op.data), version: op.version } };
    case 'check':
      return { type: ZkOpCode.check, request: { path: op.path, version: op.version } };
  }
}

function modelApply(model: Model, op: SimpleOp, session: bigint): number {
  switch (op.kind) {
    case 'create':
      return model.create(op.path, op.data, op.flags, session)[0];
    case 'delete':
      return model.delete(op.path, op.version);
    case 'setData':
      return model.setData(op.path, op.data, op.version);
    case 'check':
      return model.check(op.path, op.version);
  }
}

function compareState(tree: DataTree, model: Model): void {
  const treePaths = [...tree.nodes.keys()].filter((p) => p !== '/zookeeper' && !p.startsWith('/zookeeper/')).sort();
  expect(treePaths).toEqual([...model.nodes.keys()].sort());
  for (const [path, expected] of model.nodes) {
    const node = tree.getNode(path)!;
    if (path !== '/') expect(node.data === null ? null : node.data.toString()).toEqual(expected.data);
    expect(node.version).toBe(expected.version);
    expect(node.cversion).toBe(expected.cversion);
    expect(tree.statOf(node).cversion).toBe(2 * expected.cversion - node.children.size);
    expect(node.ephemeralOwner).toBe(expected.owner);
    const modelChildren = model.children(path).map((p) => p.slice(p.lastIndexOf('/') + 1));
    if (path === '/') modelChildren.push('zookeeper');
    expect([...node.children].sort()).toEqual(modelChildren.sort());
    expect(tree.statOf(node).numChildren).toBe(node.children.size);
  }
  expect(new Set(tree.sessions.keys())).toEqual(model.sessions);
}

describe('DataTree against a model', () => {
  it('agrees on results and state for random op sequences', () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary, { maxLength: 40 }), (steps) => {
        const tree = new DataTree();
        const model = new Model();
        let zxid = 0;
        const next = (sessionId: bigint, op: TxnOp): Txn => ({ zxid: ++zxid, timeMs: 1000 + zxid, sessionId, auth: [], op });
        for (const step of steps) {
          if (step.kind === 'openSession') {
            tree.apply(next(step.session, { type: ZkOpCode.createSession, timeoutMs: 4000 }));
            model.sessions.add(step.session);
          } else if (step.kind === 'closeSession') {
            const result = tree.apply(next(step.session, { type: ZkOpCode.closeSession }));
            const owned = [...model.nodes].filter(([, node]) => node.owner === step.session).map(([path]) => path).sort();
            if (result.response.type === 'closed') expect(result.response.deleted).toEqual(owned);
            model.closeSession(step.session);
          } else if (step.kind === 'op') {
            const multiOp = toMultiOp(step.op);
            const result = tree.apply(next(step.session, multiOp as TxnOp));
            const expectedErr = modelApply(model, step.op, step.session);
            expect(result.err).toBe(expectedErr);
          } else {
            const result = tree.apply(next(step.session, { type: ZkOpCode.multi, ops: step.ops.map(toMultiOp) }));
            const scratch = model.clone();
            const errs = step.ops.map((op) => 0 as number);
            let failedAt = -1;
            for (let i = 0; i < step.ops.length; i++) {
              errs[i] = modelApply(scratch, step.ops[i], step.session);
              if (errs[i] !== 0) {
                failedAt = i;
                break;
              }
            }
            expect(result.response.type).toBe('multi');
            if (result.response.type !== 'multi') return;
            if (failedAt === -1) {
              Object.assign(model, { nodes: scratch.nodes, sessions: scratch.sessions });
              expect(result.response.results.map((r) => r.type)).toEqual(step.ops.map((op) => ZkOpCode[op.kind]));
            } else {
              expect(result.response.results).toEqual(
                step.ops.map((_, i) => ({
                  type: ZkOpCode.error,
                  err: i < failedAt ? 0 : i === failedAt ? errs[failedAt] : ZkErrorCode.RUNTIMEINCONSISTENCY,
                })),
              );
              expect(result.triggers).toEqual([]);
            }
          }
          compareState(tree, model);
        }
        // a snapshot restores the same tree
        const restored = deserializeTree(serializeTree(tree));
        compareState(restored, model);
        expect(restored.lastZxid).toBe(tree.lastZxid);
        for (const [path, node] of tree.nodes) expect(restored.statOf(restored.getNode(path)!)).toEqual(tree.statOf(node));
      }),
      { numRuns: 150 },
    );
  });

  it('stamps stats: czxid/mzxid/pzxid, times, versions, dataLength', () => {
    const tree = new DataTree();
    tree.apply({ zxid: 10, timeMs: 500, sessionId: 7n, auth: [], op: { type: ZkOpCode.createSession, timeoutMs: 4000 } });
    tree.apply({ zxid: 11, timeMs: 1000, sessionId: 7n, auth: [], op: { type: ZkOpCode.create, request: { path: '/p', data: Buffer.from('abc'), acl, flags: 0 } } });
    tree.apply({ zxid: 12, timeMs: 2000, sessionId: 7n, auth: [], op: { type: ZkOpCode.create, request: { path: '/p/e', data: null, acl, flags: 1 } } });
    tree.apply({ zxid: 13, timeMs: 3000, sessionId: 7n, auth: [], op: { type: ZkOpCode.setData, request: { path: '/p', data: Buffer.from('abcd'), version: 0 } } });
    const stat = tree.statOf(tree.getNode('/p')!);
    expect(stat).toMatchObject({ czxid: 11n, mzxid: 13n, pzxid: 12n, ctime: 1000n, mtime: 3000n, version: 1, cversion: 1, dataLength: 4, numChildren: 1 });
    expect(tree.statOf(tree.getNode('/p/e')!)).toMatchObject({ ephemeralOwner: 7n, dataLength: 0 });
    const closed = tree.apply({ zxid: 14, timeMs: 4000, sessionId: 7n, auth: [], op: { type: ZkOpCode.closeSession } });
    expect(closed.triggers).toEqual([
      { type: ZkEventType.NodeDeleted, path: '/p/e' },
      { type: ZkEventType.NodeChildrenChanged, path: '/p' },
    ]);
    expect(tree.statOf(tree.getNode('/p')!)).toMatchObject({ pzxid: 14n, cversion: 2, numChildren: 0 });
    // sequence numbers count creates only (deletes do not advance them), as in ZooKeeper
    tree.apply({ zxid: 15, timeMs: 5000, sessionId: 7n, auth: [], op: { type: ZkOpCode.create, request: { path: '/p/s', data: null, acl, flags: 2 } } });
    expect([...tree.getNode('/p')!.children]).toEqual(['s0000000001']);
    expect(tree.statOf(tree.getNode('/zookeeper')!).cversion).toBe(-2);
  });

  it('rejects bad paths, empty ACLs and oversized data', () => {
    const tree = new DataTree();
    let zxid = 0;
    const create = (path: string, data: Buffer | null = null, acls = acl, flags = 0) =>
      tree.apply({ zxid: ++zxid, timeMs: 0, sessionId: 1n, auth: [], op: { type: ZkOpCode.create, request: { path, data, acl: acls, flags } } }).err;
    expect(create('a')).toBe(ZkErrorCode.BADARGUMENTS);
    expect(create('/a/')).toBe(ZkErrorCode.BADARGUMENTS);
    expect(create('/a//b')).toBe(ZkErrorCode.BADARGUMENTS);
    expect(create('/.')).toBe(ZkErrorCode.BADARGUMENTS);
    expect(create('/a', null, [])).toBe(ZkErrorCode.INVALIDACL);
    expect(create('/a', Buffer.alloc(0x100000))).toBe(ZkErrorCode.BADARGUMENTS);
    expect(create('/a', Buffer.alloc(0xfffff))).toBe(0);
    expect(create('/a/', null, acl, 2)).toBe(0);
    expect([...tree.getNode('/a')!.children]).toEqual(['0000000000']);
    expect(create('/')).toBe(ZkErrorCode.NODEEXISTS);
  });

  it('ignores a txn it has already applied (replay after a snapshot)', () => {
    const tree = new DataTree();
    const txn: Txn = { zxid: 5, timeMs: 0, sessionId: 1n, auth: [], op: { type: ZkOpCode.create, request: { path: '/a', data: null, acl, flags: 0 } } };
    expect(tree.apply(txn).err).toBe(0);
    expect(tree.apply(txn).err).toBe(0);
    expect(tree.getNode('/')!.cversion).toBe(1);
  });
});

describe('txn encoding', () => {
  it('round-trips every txn kind', () => {
    const ops: TxnOp[] = [
      { type: ZkOpCode.createSession, timeoutMs: 6000 },
      { type: ZkOpCode.closeSession },
      { type: TXN_NOOP },
      { type: ZkOpCode.create2, request: { path: '/x', data: Buffer.from('d'), acl, flags: 3 } },
      { type: ZkOpCode.delete, request: { path: '/x', version: 4 } },
      { type: ZkOpCode.setData, request: { path: '/x', data: null, version: -1 } },
      { type: ZkOpCode.setACL, request: { path: '/x', acl, version: 0 } },
      { type: ZkOpCode.multi, ops: [{ type: ZkOpCode.check, request: { path: '/x', version: 1 } }] },
    ];
    for (const op of ops) {
      const txn: Txn = { zxid: 2 ** 33 + 5, timeMs: Date.now(), sessionId: -(2n ** 60n), auth: [], op };
      expect(txnFromBytes(txnToBytes(txn))).toEqual(txn);
    }
  });
});

describe('WatchManager', () => {
  it('fires one-shot watches once per watcher, in trigger order', () => {
    const watches = new WatchManager<string>();
    watches.addDataWatch('/a', 'c1');
    watches.addChildWatch('/a', 'c1');
    watches.addChildWatch('/', 'c2');
    const deliveries = watches.trigger([
      { type: ZkEventType.NodeDeleted, path: '/a' },
      { type: ZkEventType.NodeChildrenChanged, path: '/' },
    ]);
    expect(deliveries).toEqual([
      { watcher: 'c1', type: ZkEventType.NodeDeleted, path: '/a' },
      { watcher: 'c2', type: ZkEventType.NodeChildrenChanged, path: '/' },
    ]);
    expect(watches.trigger([{ type: ZkEventType.NodeDeleted, path: '/a' }])).toEqual([]);
    expect(watches.watchCount).toBe(0);
  });

  it('data changes do not fire child watches and vice versa', () => {
    const watches = new WatchManager<string>();
    watches.addChildWatch('/a', 'c');
    expect(watches.trigger([{ type: ZkEventType.NodeDataChanged, path: '/a' }])).toEqual([]);
    watches.addDataWatch('/a', 'd');
    expect(watches.trigger([{ type: ZkEventType.NodeChildrenChanged, path: '/a' }]).map((d) => d.watcher)).toEqual(['c']);
    watches.removeWatcher('d');
    expect(watches.watchCount).toBe(0);
  });
});

describe('children order', () => {
  // expected orders printed by java.util.HashSet<String>(8) on OpenJDK 17
  function node(): Znode {
    return new DataTree().getNode('/zookeeper/quota')!;
  }

  it('lists children as ZooKeeper (a java.util.HashSet) does', () => {
    const kafka = node();
    for (const name of ['zookeeper', 'brokers', 'controller', 'config', 'admin', 'isr_change_notification', 'latest_producer_id_block',
      'log_dir_event_notification', 'cluster', 'consumers', 'feature', 'controller_epoch']) addChild(kafka, name);
    expect(childrenInZooKeeperOrder(kafka).join(',')).toBe(
      'cluster,controller,controller_epoch,brokers,zookeeper,feature,admin,isr_change_notification,consumers,log_dir_event_notification,latest_producer_id_block,config',
    );

    const sequential = node();
    for (let i = 0; i < 20; i++) addChild(sequential, `n-${String(i).padStart(10, '0')}`);
    sequential.children.delete('n-0000000003');
    addChild(sequential, 'n-0000000003');
    sequential.children.delete('n-0000000007');
    expect(childrenInZooKeeperOrder(sequential).join(',')).toBe(
      'n-0000000009,n-0000000002,n-0000000013,n-0000000001,n-0000000012,n-0000000004,n-0000000015,n-0000000014,n-0000000003,n-0000000006,n-0000000017,n-0000000005,n-0000000016,n-0000000008,n-0000000019,n-0000000018,n-0000000000,n-0000000011,n-0000000010',
    );

    const small = node();
    for (const name of ['a', 'b', 'c', 'x', 'y', 'q', 's-0000000000', 's-0000000001']) addChild(small, name);
    expect(childrenInZooKeeperOrder(small).join(',')).toBe('a,q,b,c,x,y,s-0000000001,s-0000000000');
  });
});
