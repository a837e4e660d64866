import { describe, expect, it } from 'vitest';
import { ZkErrorCode, ZkOpCode, type ZkAcl, type ZkId } from '@kafkaesque/protocol/jute';
import { aclAllows, digestId, fixupAcl } from './acl.ts';
import { DataTree } from './data-tree.ts';
import type { Txn, TxnOp } from './txn.ts';

const open: ZkAcl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const alice: ZkId = { scheme: 'digest', id: digestId('alice:secret') };
const ip: ZkId = { scheme: 'ip', id: '127.0.0.1' };

describe('ACLs', () => {
  it('computes digest ids as ZooKeeper (and kazoo) do', () => {
    // the value kazoo's make_digest_acl_credential('user', 'pw') gives
    expect(digestId('user:pw')).toBe('user:2Om+GBbT2q/tS6pdvACZbbm7/1A=');
  });

  it('allows by world, digest and ip (exact or CIDR)', () => {
    expect(aclAllows(open, 2, [])).toBe(true);
    const aliceOnly: ZkAcl[] = [{ perms: 1 | 2, id: alice }];
    expect(aclAllows(aliceOnly, 2, [ip])).toBe(false);
    expect(aclAllows(aliceOnly, 2, [ip, alice])).toBe(true);
    expect(aclAllows(aliceOnly, 8, [alice])).toBe(false);
    expect(aclAllows([{ perms: 31, id: { scheme: 'ip', id: '127.0.0.0/8' } }], 1, [ip])).toBe(true);
    expect(aclAllows([{ perms: 31, id: { scheme: 'ip', id: '10.0.0.0/8' } }], 1, [ip])).toBe(false);
  });

  it('fixes up ACLs as fixupACL does', () => {
    expect(fixupAcl([], [])).toBeNull();
    expect(fixupAcl([{ perms: 31, id: { scheme: 'world', id: 'someone' } }], [])).toBeNull();
    expect(fixupAcl([{ perms: 31, id: { scheme: 'auth', id: '' } }], [ip])).toBeNull();
    expect(fixupAcl([{ perms: 31, id: { scheme: 'auth', id: '' } }], [ip, alice])).toEqual([{ perms: 31, id: alice }]);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'sasl', id: 'x' } }], [])).toBeNull();
    expect(fixupAcl([...open, ...open], [])).toEqual(open);
  });

  it('enforces CREATE/DELETE on the parent, WRITE/ADMIN/READ on the node, in ZooKeeper\'s error order', () => {
    const tree = new DataTree();
    let zxid = 0;
    const run = (op: TxnOp, auth: ZkId[] = [ip]): number => tree.apply({ zxid: ++zxid, timeMs: 0, sessionId: 1n, auth, op } as Txn).err;
    const create = (path: string, acl: ZkAcl[], auth?: ZkId[]) => run({ type: ZkOpCode.create, request: { path, data: null, acl, flags: 0 } }, auth);
    expect(create('/locked', [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }])).toBe(0);
    expect(create('/locked/child', open)).toBe(ZkErrorCode.NOAUTH);
    expect(create('/missing/child', open)).toBe(ZkErrorCode.NONODE);
    expect(run({ type: ZkOpCode.setData, request: { path: '/locked', data: null, version: 5 } })).toBe(ZkErrorCode.NOAUTH);
    expect(run({ type: ZkOpCode.setACL, request: { path: '/locked', acl: open, version: -1 } })).toBe(ZkErrorCode.NOAUTH);

    expect(create('/mine', [{ perms: 31, id: { scheme: 'auth', id: '' } }], [ip, alice])).toBe(0);
    expect(tree.getNode('/mine')!.acl).toEqual([{ perms: 31, id: alice }]);
    expect(run({ type: ZkOpCode.setData, request: { path: '/mine', data: null, version: -1 } })).toBe(ZkErrorCode.NOAUTH);
    expect(run({ type: ZkOpCode.setData, request: { path: '/mine', data: null, version: 3 } }, [alice])).toBe(ZkErrorCode.BADVERSION);
    expect(run({ type: ZkOpCode.setData, request: { path: '/mine', data: null, version: 0 } }, [alice])).toBe(0);
    expect(create('/mine/kid', open, [alice])).toBe(0);
    expect(run({ type: ZkOpCode.delete, request: { path: '/mine/kid', version: -1 } })).toBe(ZkErrorCode.NOAUTH);
    const multi = tree.apply({
      zxid: ++zxid, timeMs: 0, sessionId: 1n, auth: [ip],
      op: { type: ZkOpCode.multi, ops: [{ type: ZkOpCode.check, request: { path: '/mine', version: -1 } }] },
    });
    expect(multi.response).toEqual({ type: 'multi', results: [{ type: ZkOpCode.error, err: ZkErrorCode.NOAUTH }] });
  });
});
