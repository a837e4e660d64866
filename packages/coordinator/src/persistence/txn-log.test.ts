import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ZkOpCode } from '@kafkaesque/protocol/jute';
import { DataTree } from '../tree/data-tree.ts';
import { txnFromBytes, txnToBytes, type Txn } from '../tree/txn.ts';
import { LOG_PREALLOCATE_BYTES, nodeFs, type CoordinatorFs } from './fs.ts';
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
    const entries = [entry(1), entry(2), entry(3)];
    await log.append(entries);
    await log.close();
    const file = join(dir, readdirSync(dir).find((name) => name.startsWith('log.'))!);
    // records: length, CRC, kind, term, index, txn; the file is preallocated beyond them
    const intactBytes = entries.reduce((sum, e) => sum + 25 + e.txn.length, 0);
    expect(statSync(file).size).toBeGreaterThanOrEqual(LOG_PREALLOCATE_BYTES);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from([0, 0, 0, 40, 1, 2, 3]), 0, 7, intactBytes); // a record cut mid-write
    closeSync(fd);
    const { log: reopened, state } = await TxnLog.open(nodeFs, dir);
    await reopened.close();
    expect(state.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(statSync(file).size).toBe(intactBytes);
  });

  it('replays across preallocated files (zeros end a file, they are no torn tail) and grows a file past its preallocation', async () => {
    const dir = tempDir();
    const { log } = await TxnLog.open(nodeFs, dir);
    const big = (index: number): LogEntry => ({ term: 1, index, txn: Buffer.alloc(40_000, index % 251) });
    const first = Array.from({ length: 40 }, (_, i) => big(i + 1)); // 1.6 MB: more than one preallocation
    for (const e of first) await log.append([e]);
    await log.snapshot(new DataTree(), 10, 1); // rolls to a new file; the first keeps a zero tail
    await log.append([big(41), big(42)]);
    await log.close();
    const { log: reopened, state } = await TxnLog.open(nodeFs, dir);
    await reopened.close();
    expect(state.snapshotIndex).toBe(10);
    expect(state.entries.map((e) => e.index)).toEqual(Array.from({ length: 32 }, (_, i) => i + 11));
    expect(state.entries.every((e) => e.txn.equals(big(e.index).txn))).toBe(true);
    // the first file was not cut: its zeros were room, not damage
    const files = readdirSync(dir).filter((name) => name.startsWith('log.')).sort();
    expect(statSync(join(dir, files[0])).size).toBe(2 * LOG_PREALLOCATE_BYTES);
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
