import { mkdtempSync, readdirSync, rmSync, statSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ZkOpCode } from '@kafkaesque/protocol/jute';
import { DataTree } from '../tree/data-tree.ts';
import { txnFromBytes, txnToBytes, type Txn } from '../tree/txn.ts';
import { nodeFs, type CoordinatorFs } from './fs.ts';
import { TxnLog, type LogEntry } from './txn-log.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coordinator-log-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
function createTxn(index: number): Txn {
  return { zxid: 2 ** 32 + index, timeMs: index, sessionId: 1n, auth: [], op: { type: ZkOpCode.create, request: { path: `/n${index}`, data: Buffer.from(`d${index}`), acl, flags: 0 } } };
}
function entry(index: number, term = 1): LogEntry {
  return { term, index, txn: txnToBytes(createTxn(index)) };
}

describe('TxnLog', () => {
  it('replays appended entries after a reopen, honouring truncations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.record({ append: fc.integer({ min: 1, max: 5 }) }), fc.record({ truncateBack: fc.integer({ min: 0, max: 3 }) })), { maxLength: 12 }),
        async (actions) => {
          const dir = tempDir();
          const { log } = await TxnLog.open(nodeFs, dir, false);
          const expected: LogEntry[] = [];
          let term = 1;
          for (const action of actions) {
            if ('append' in action) {
              const batch = Array.from({ length: action.append }, (_, i) => entry(expected.length + 1 + i, term));
              await log.append(batch);
              expected.push(...batch);
            } else {
              const keep = Math.max(0, expected.length - action.truncateBack);
              await log.truncateAfter(keep);
              expected.length = keep;
              term++;
            }
          }
          await log.close();
          const { log: reopened, state } = await TxnLog.open(nodeFs, dir, false);
          await reopened.close();
          expect(state.entries.map((e) => [e.index, e.term])).toEqual(expected.map((e) => [e.index, e.term]));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('cuts a torn tail and keeps the intact prefix', async () => {
    const dir = tempDir();
    const { log } = await TxnLog.open(nodeFs, dir);
    await log.append([entry(1), entry(2), entry(3)]);
    await log.close();
    const file = join(dir, readdirSync(dir).find((name) => name.startsWith('log.'))!);
    const intactBytes = statSync(file).size;
    appendFileSync(file, Buffer.from([0, 0, 0, 40, 1, 2, 3])); // a record cut mid-write
    const { log: reopened, state } = await TxnLog.open(nodeFs, dir);
    await reopened.close();
    expect(state.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(statSync(file).size).toBe(intactBytes);
  });

  it('loads the newest snapshot and only the entries after it', async () => {
    const dir = tempDir();
    const { log } = await TxnLog.open(nodeFs, dir);
    const tree = new DataTree();
    for (let i = 1; i <= 5; i++) {
      await log.append([entry(i)]);
      tree.apply(createTxn(i));
    }
    await log.snapshot(tree, 5, 1);
    await log.append([entry(6), entry(7)]);
    await log.saveMeta({ term: 3, votedFor: 2 });
    await log.close();
    const { log: reopened, state } = await TxnLog.open(nodeFs, dir);
    await reopened.close();
    expect(state.snapshotIndex).toBe(5);
    expect(state.tree.getNode('/n5')?.data?.toString()).toBe('d5');
    expect(state.entries.map((e) => e.index)).toEqual([6, 7]);
    expect(txnFromBytes(state.entries[0].txn)).toEqual(createTxn(6));
    expect(state.meta).toEqual({ term: 3, votedFor: 2 });
  });

  it('fails the append (not the process) when fsync fails', async () => {
    const dir = tempDir();
    const failing: CoordinatorFs = {
      ...nodeFs,
      async openAppend(path) {
        const handle = await nodeFs.openAppend(path);
        return { ...handle, sync: () => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) };
      },
    };
    const { log } = await TxnLog.open(failing, dir, true);
    await expect(log.append([entry(1)])).rejects.toThrow('EIO');
    await log.close();
  });

  it('group-commits concurrent appends', async () => {
    const dir = tempDir();
    let syncs = 0;
    const counting: CoordinatorFs = {
      ...nodeFs,
      async openAppend(path) {
        const handle = await nodeFs.openAppend(path);
        return { ...handle, sync: () => (syncs++, handle.sync()) };
      },
    };
    const { log } = await TxnLog.open(counting, dir, true);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append([entry(i + 1)])));
    await log.close();
    expect(syncs).toBeLessThan(50);
    const { log: reopened, state } = await TxnLog.open(nodeFs, dir);
    await reopened.close();
    expect(state.entries).toHaveLength(50);
  });
});
