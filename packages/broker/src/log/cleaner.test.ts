import { readdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogManager, PartitionLog } from './api.ts';
import { cleanLog } from './cleaner.ts';
import { FaultInjectingFs } from './fault-fs.ts';
import { PRODUCER_ID_EXPIRATION_MS, type PartitionLogImpl } from './partition-log.ts';
import { FakeClock, batch, marker, openTestManager, removeDir, tempDir } from './test-helpers.ts';
import { decodeRecordBatches, type DecodedRecordBatch } from '@kafkaesque/protocol';

const tp = { topic: 'compacted', partition: 0 };
let dir: string;
let clock: FakeClock;
let manager: LogManager;

beforeEach(async () => {
  dir = await tempDir();
  clock = new FakeClock(10_000_000);
});
afterEach(async () => {
  await manager?.close().catch(() => {});
  await removeDir(dir);
});

const config = { cleanupPolicy: 'compact' as const, deleteRetentionMs: 1_000, segmentBytes: 100_000 };

async function open(fs?: FaultInjectingFs): Promise<PartitionLogImpl> {
  manager = await openTestManager(dir, clock, config, fs ? { fs } : {});
  return (await manager.getOrCreateLog(tp)) as PartitionLogImpl;
}

async function put(log: PartitionLog, key: string, value: string | null): Promise<number> {
  const result = await log.appendAsLeader(batch({ keys: [key], values: [value], timestamp: clock.nowMs }), { leaderEpoch: 0 });
  if (!result.ok) throw new Error(result.errorMessage);
  log.setHighWatermark(log.logEndOffset);
  return result.firstOffset;
}

interface Seen {
  offset: number;
  key: string | null;
  value: string | null;
  control: boolean;
}

async function contents(log: PartitionLog): Promise<Seen[]> {
  const seen: Seen[] = [];
  let at = log.logStartOffset;
  while (at < log.logEndOffset) {
    const { records } = await log.read(at, 1 << 20);
    const { batches } = decodeRecordBatches(records);
    if (batches.length === 0) break;
    for (const decoded of batches) {
      for (const record of decoded.records) {
        if (record.offset >= at) seen.push({ offset: record.offset, key: decoded.isControl ? null : record.key?.toString() ?? null, value: decoded.isControl ? null : record.value?.toString() ?? null, control: decoded.isControl });
      }
      at = decoded.baseOffset + decoded.lastOffsetDelta + 1;
    }
  }
  return seen;
}

/** Every batch of the log, segment after segment. */
async function allBatches(log: PartitionLog): Promise<DecodedRecordBatch[]> {
  const all: DecodedRecordBatch[] = [];
  let at = log.logStartOffset;
  while (at < log.logEndOffset) {
    const { batches } = decodeRecordBatches((await log.read(at, 1 << 20)).records);
    if (batches.length === 0) break;
    all.push(...batches);
    at = batches[batches.length - 1].baseOffset + batches[batches.length - 1].lastOffsetDelta + 1;
  }
  return all;
}

let fillers = 0;

/** A cleaning pass needs a dirty section (as Kafka's): one new record, rolled, then a clean at `nowMs`. */
async function nextPass(log: PartitionLogImpl, nowMs: number): Promise<void> {
  await put(log, `filler-${fillers++}`, 'f');
  await log.roll();
  await cleanLog(log, nowMs, { force: true });
}

describe('log cleaner', () => {
  it('keeps the latest value per key at its original offset; tombstones live for delete.retention.ms', async () => {
    const log = await open();
    await put(log, 'a', 'a1'); // 0
    await put(log, 'b', 'b1'); // 1
    await put(log, 'a', 'a2'); // 2
    await put(log, 'c', 'c1'); // 3
    await log.roll();
    await put(log, 'c', null); // 4 tombstone
    await put(log, 'b', 'b2'); // 5
    await log.roll();
    await put(log, 'd', 'd1'); // 6, active segment: never cleaned
    const result = await cleanLog(log, clock.nowMs, { force: true });
    expect(result).toMatchObject({ recordsRemoved: 3, cleanedUpTo: 6 });
    expect(await contents(log)).toEqual([
      { offset: 2, key: 'a', value: 'a2', control: false },
      { offset: 4, key: 'c', value: null, control: false },
      { offset: 5, key: 'b', value: 'b2', control: false },
      { offset: 6, key: 'd', value: 'd1', control: false },
    ]);
    expect(log.logEndOffset).toBe(7);
    // The tombstone is in the clean section now; once delete.retention.ms passes it goes.
    clock.nowMs += 5_000;
    await put(log, 'e', 'e1'); // 7
    await log.roll();
    await cleanLog(log, clock.nowMs, { force: true });
    expect((await contents(log)).map((seen) => seen.key)).toEqual(['a', 'b', 'd', 'e']);
    expect((await readdir(log.dir)).filter((name) => /\.(cleaned|swap|deleted)$/.test(name))).toEqual([]);
    // Survives a restart.
    await manager.close();
    const reopened = await open();
    expect((await contents(reopened)).map((seen) => seen.offset)).toEqual([2, 5, 6, 7]);
  });

  it('removes aborted transactional data, keeps committed data and markers until they expire', async () => {
    const log = await open();
    const txn = (producerId: bigint, key: string, value: string, sequence: number) =>
      log.appendAsLeader(batch({ keys: [key], values: [value], producerId, producerEpoch: 0, baseSequence: sequence, transactional: true, timestamp: clock.nowMs }), { leaderEpoch: 0 });
    await txn(1n, 'x', 'aborted', 0); // 0
    await txn(2n, 'y', 'committed', 0); // 1
    await log.appendAsLeader(marker('abort', 1n, 0, 0, clock.nowMs), { leaderEpoch: 0, origin: 'coordinator' }); // 2
    await log.appendAsLeader(marker('commit', 2n, 0, 0, clock.nowMs), { leaderEpoch: 0, origin: 'coordinator' }); // 3
    await put(log, 'x', 'plain'); // 4
    await log.roll();
    await put(log, 'z', 'z'); // 5
    log.setHighWatermark(log.logEndOffset);
    await cleanLog(log, clock.nowMs, { force: true });
    expect(await contents(log)).toEqual([
      { offset: 1, key: 'y', value: 'committed', control: false },
      { offset: 2, key: null, value: null, control: true },
      { offset: 3, key: null, value: null, control: true },
      { offset: 4, key: 'x', value: 'plain', control: false },
      { offset: 5, key: 'z', value: 'z', control: false },
    ]);
    // The aborted batch was producer 1's last: it stays as an empty batch (Kafka's RETAIN_EMPTY),
    // so producer state is rebuilt from the log; every pass meets it, so its abort marker stays.
    const shape = async (): Promise<[number, number, boolean][]> =>
      (await allBatches(log)).filter((decoded) => decoded.baseOffset <= 5).map((decoded) => [decoded.baseOffset, decoded.records.length, decoded.hasDeleteHorizon]);
    expect((await shape())[0]).toEqual([0, 0, false]);
    await nextPass(log, clock.nowMs + 5_000);
    expect(await shape()).toEqual([[0, 0, false], [1, 1, false], [2, 1, false], [3, 1, false], [4, 1, false], [5, 1, false]]);
    expect((await log.read(0, 1 << 20, { includeAbortedTransactions: true })).abortedTransactions).toEqual([{ producerId: 1n, firstOffset: 0 }]);
    // Once the producers expire: the empty batch goes (this pass still met it, so the marker
    // stays), the next pass stamps the marker with a delete horizon and drops the .txnindex
    // entry, and the first pass after the horizon removes the marker. The commit marker's
    // transaction still has data ('y'): it stays.
    clock.nowMs += PRODUCER_ID_EXPIRATION_MS + 1;
    await log.runMaintenance(clock.nowMs);
    expect(log.activeProducers()).toEqual([]);
    await nextPass(log, clock.nowMs);
    expect(await shape()).toEqual([[1, 1, false], [2, 1, false], [3, 1, false], [4, 1, false], [5, 1, false]]);
    await nextPass(log, clock.nowMs);
    expect(await shape()).toEqual([[1, 1, false], [2, 1, true], [3, 1, false], [4, 1, false], [5, 1, false]]);
    expect((await log.read(0, 1 << 20, { includeAbortedTransactions: true })).abortedTransactions).toEqual([]);
    await nextPass(log, clock.nowMs + 999);
    expect((await shape()).map(([offset]) => offset)).toEqual([1, 2, 3, 4, 5]);
    await nextPass(log, clock.nowMs + 1_000);
    expect((await shape()).map(([offset]) => offset)).toEqual([1, 3, 4, 5]);
  });

  it('stamps a delete horizon into batches with tombstones (KIP-534) and drops them after it', async () => {
    const log = await open();
    await put(log, 'a', 'a1'); // 0
    await put(log, 'a', null); // 1 tombstone
    await put(log, 'b', 'b1'); // 2
    await log.roll();
    await put(log, 'c', 'c1'); // 3
    const firstPassMs = clock.nowMs;
    await cleanLog(log, firstPassMs, { force: true });
    const batches = await allBatches(log);
    const tombstone = batches.find((decoded) => decoded.baseOffset === 1)!;
    // Base timestamp = now + delete.retention.ms; the record keeps its own timestamp.
    expect([tombstone.hasDeleteHorizon, tombstone.baseTimestamp, tombstone.records[0].timestamp]).toEqual([true, firstPassMs + 1_000, firstPassMs]);
    expect(batches.find((decoded) => decoded.baseOffset === 2)!.hasDeleteHorizon).toBe(false);
    // Before the horizon the tombstone stays, however old the batch; from it on, it goes.
    await nextPass(log, firstPassMs + 999);
    expect((await contents(log)).map((seen) => seen.key).filter((key) => !key?.startsWith('filler'))).toEqual(['a', 'b', 'c']);
    await nextPass(log, firstPassMs + 1_000);
    expect((await contents(log)).map((seen) => seen.key).filter((key) => !key?.startsWith('filler'))).toEqual(['b', 'c']);
  });

  it('keeps an emptied batch that ends the cleaned range (its end offset survives), drops others', async () => {
    const log = await open();
    const aborted = (value: string, sequence: number) =>
      log.appendAsLeader(batch({ keys: ['k'], values: [value], producerId: 4n, producerEpoch: 0, baseSequence: sequence, transactional: true, timestamp: clock.nowMs }), { leaderEpoch: 0 });
    await aborted('first', 0); // 0
    await aborted('second', 1); // 1: ends the cleaned range
    await log.roll();
    await log.appendAsLeader(marker('abort', 4n, 0, 0, clock.nowMs), { leaderEpoch: 0, origin: 'coordinator' }); // 2 (active)
    log.setHighWatermark(log.logEndOffset);
    clock.nowMs += PRODUCER_ID_EXPIRATION_MS + 1;
    await log.runMaintenance(clock.nowMs);
    await cleanLog(log, clock.nowMs, { force: true });
    expect((await allBatches(log)).map((decoded) => [decoded.baseOffset, decoded.lastOffsetDelta, decoded.records.length])).toEqual([[1, 0, 0], [2, 0, 1]]);
    expect(log.segments().map((segment) => [segment.baseOffset, segment.nextOffset])).toEqual([[0, 2], [2, 3]]);
  });

  it('keeps an idempotent producer\'s last batch (empty) so its state is rebuilt from the log', async () => {
    let log = await open();
    const produce = (producerId: bigint, sequence: number, value: string) =>
      log.appendAsLeader(batch({ keys: ['k'], values: [value], producerId, producerEpoch: 0, baseSequence: sequence, timestamp: clock.nowMs }), { leaderEpoch: 0 });
    await produce(7n, 0, 'p0'); // 0
    await produce(7n, 1, 'p1'); // 1: producer 7's last batch
    await produce(8n, 0, 'q0'); // 2: shadows both
    await log.roll();
    await put(log, 'other', 'x'); // 3 (active)
    log.setHighWatermark(log.logEndOffset);
    await cleanLog(log, clock.nowMs, { force: true });
    expect((await allBatches(log)).map((decoded) => [decoded.baseOffset, decoded.records.length, decoded.producerId, decoded.baseSequence])).toEqual([
      [1, 0, 7n, 1],
      [2, 1, 8n, 0],
      [3, 1, -1n, -1],
    ]);
    // Without snapshots the state comes from the log alone: the empty batch still carries it.
    await manager.close();
    for (const name of await readdir(log.dir)) if (name.endsWith('.snapshot')) await rm(path.join(log.dir, name));
    log = await open();
    expect(log.producerState(7n)).toMatchObject({ producerEpoch: 0, lastSequence: 1 });
    expect(await produce(7n, 1, 'p1')).toMatchObject({ ok: true, duplicate: true, firstOffset: 1 });
    expect(await produce(7n, 2, 'p2')).toMatchObject({ ok: true, duplicate: false, firstOffset: 4 });
  });

  it('never cleans past the last stable offset or min.compaction.lag.ms', async () => {
    const log = await open();
    await put(log, 'k', 'old'); // 0
    await log.appendAsLeader(batch({ keys: ['t'], values: ['open'], producerId: 5n, producerEpoch: 0, baseSequence: 0, transactional: true, timestamp: clock.nowMs }), { leaderEpoch: 0 }); // 1
    await put(log, 'k', 'new'); // 2
    await log.roll();
    log.setHighWatermark(log.logEndOffset);
    expect(log.lastStableOffset).toBe(1);
    await cleanLog(log, clock.nowMs, { force: true });
    expect((await contents(log)).map((seen) => seen.value)).toEqual(['old', 'open', 'new']);
    await log.appendAsLeader(marker('commit', 5n, 0, 0, clock.nowMs), { leaderEpoch: 0, origin: 'coordinator' });
    await log.roll();
    log.setHighWatermark(log.logEndOffset);
    log.updateConfig({ ...config, minCompactionLagMs: 60_000 });
    await cleanLog(log, clock.nowMs, { force: true });
    expect((await contents(log)).map((seen) => seen.value)).toEqual(['old', 'open', 'new', null]);
    clock.nowMs += 120_000;
    await cleanLog(log, clock.nowMs, { force: true });
    expect((await contents(log)).map((seen) => seen.value)).toEqual(['open', 'new', null]);
  });

  it('recovers from a crash in the middle of swapping in a cleaned segment', async () => {
    const fs = new FaultInjectingFs();
    const log = await open(fs);
    for (let round = 0; round < 5; round++) for (const key of ['a', 'b', 'c']) await put(log, key, `${key}${round}`);
    await log.roll();
    await put(log, 'd', 'd');
    // The rename of the .swap file into place fails: the dir goes offline mid-swap.
    fs.inject({ operation: 'rename', kind: 'EIO', pathIncludes: '.swap' });
    await expect(cleanLog(log, clock.nowMs, { force: true })).rejects.toMatchObject({ code: 56 });
    expect(log.isOffline).toBe(true);
    await fs.crash();
    const reopened = await open();
    const seen = await contents(reopened);
    expect(seen.map((entry) => entry.value)).toEqual(['a4', 'b4', 'c4', 'd']);
    expect(seen.map((entry) => entry.offset)).toEqual([12, 13, 14, 15]);
    expect((await readdir(reopened.dir)).filter((name) => /\.(cleaned|swap|deleted)$/.test(name))).toEqual([]);
  });

  it('runs from the manager when the dirty ratio is reached', async () => {
    const log = await open();
    for (let round = 0; round < 10; round++) await put(log, 'same', `v${round}`);
    await log.roll();
    await put(log, 'other', 'x');
    await manager.runMaintenance(clock.nowMs);
    expect((await contents(log)).map((seen) => seen.offset)).toEqual([9, 10]);
  });
});
