import { readdir, readFile, writeFile, stat, truncate } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogManager, PartitionLog } from './api.ts';
import { LogErrorCode } from './errors.ts';
import { FakeClock, batch, marker, openTestManager, recordsOf, removeDir, tempDir } from './test-helpers.ts';

const tp = { topic: 'orders', partition: 0 };
let dir: string;
let clock: FakeClock;
let manager: LogManager;

beforeEach(async () => {
  dir = await tempDir();
  clock = new FakeClock();
});
afterEach(async () => {
  await manager?.close().catch(() => {});
  await removeDir(dir);
});

async function open(config = {}): Promise<PartitionLog> {
  manager = await openTestManager(dir, clock, config);
  return manager.getOrCreateLog(tp, { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' });
}

async function appendValues(log: PartitionLog, values: string[], epoch = 0): Promise<number> {
  const result = await log.appendAsLeader(batch({ values }), { leaderEpoch: epoch });
  if (!result.ok) throw new Error(result.errorMessage);
  return result.firstOffset;
}

describe('partition log', () => {
  it('assigns offsets, reads them back, and survives a clean restart', async () => {
    let log = await open();
    expect(await appendValues(log, ['a', 'b'])).toBe(0);
    expect(await appendValues(log, ['c'])).toBe(2);
    expect(log.logEndOffset).toBe(3);
    log.setHighWatermark(3);
    const read = await log.read(1, 1 << 20);
    expect(recordsOf(read.records).map((r) => r.value)).toEqual(['a', 'b', 'c']);
    expect(read.firstBatchOffset).toBe(0);
    await manager.close();
    expect((await readdir(dir)).sort()).toEqual(['.kafka_cleanshutdown', 'log-start-offset-checkpoint', 'meta.properties', 'orders-0', 'recovery-point-offset-checkpoint', 'replication-offset-checkpoint']);
    expect(await readFile(path.join(dir, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n1\norders 0 3\n');
    expect(await readFile(path.join(dir, 'orders-0', 'partition.metadata'), 'utf8')).toBe('version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n');
    manager = await openTestManager(dir, clock);
    log = manager.getLog(tp)!;
    expect(log.logEndOffset).toBe(3);
    expect(log.highWatermark).toBe(3);
    expect(recordsOf((await log.read(0, 1 << 20)).records).map((r) => r.value)).toEqual(['a', 'b', 'c']);
    expect(await appendValues(log, ['d'])).toBe(3);
  });

  it('rolls by segment.bytes, indexes sparsely, reads whole batches within maxBytes', async () => {
    const log = await open({ segmentBytes: 2000, indexIntervalBytes: 200 });
    for (let index = 0; index < 60; index++) await appendValues(log, [`value-${index}`.padEnd(60, 'x')]);
    expect(log.segments().length).toBeGreaterThan(3);
    for (const offset of [0, 1, 17, 33, 59]) {
      const read = await log.read(offset, 1);
      const records = recordsOf(read.records);
      expect(records).toHaveLength(1);
      expect(records[0].offset).toBe(offset);
    }
    const read = await log.read(10, 500);
    expect(read.records.length).toBeLessThanOrEqual(500);
    expect(recordsOf(read.records)[0].offset).toBe(10);
    await expect(log.read(61, 100)).rejects.toMatchObject({ code: LogErrorCode.OFFSET_OUT_OF_RANGE });
    expect((await log.read(60, 100)).records.length).toBe(0);
    const names = await readdir(log.dir);
    expect(names.filter((name) => name.endsWith('.log')).length).toBe(log.segments().length);
    expect(names).toContain('00000000000000000000.index');
  });

  it('bounds reads by maxOffset (high watermark)', async () => {
    const log = await open();
    await appendValues(log, ['a']);
    await appendValues(log, ['b']);
    await appendValues(log, ['c']);
    expect(recordsOf((await log.read(0, 1 << 20, { maxOffset: 2 })).records).map((r) => r.value)).toEqual(['a', 'b']);
    expect((await log.read(2, 1 << 20, { maxOffset: 2 })).records.length).toBe(0);
  });

  it('recovers after a crash: torn tail truncated, indexes rebuilt', async () => {
    let log = await open({ indexIntervalBytes: 100 });
    for (let index = 0; index < 20; index++) await appendValues(log, [`v${index}`.padEnd(50, '.')]);
    await log.flush();
    await manager.checkpoint();
    for (let index = 20; index < 30; index++) await appendValues(log, [`v${index}`.padEnd(50, '.')]);
    // Simulate a crash: no close; tear the last batch in half.
    const file = path.join(log.dir, '00000000000000000000.log');
    const size = (await stat(file)).size;
    await truncate(file, size - 20);
    manager = await openTestManager(dir, clock);
    log = manager.getLog(tp)!;
    expect(log.logEndOffset).toBe(29);
    const values = recordsOf((await log.read(0, 1 << 20)).records).map((r) => r.value!.trim());
    expect(values).toHaveLength(29);
    for (const offset of [0, 5, 28]) expect(recordsOf((await log.read(offset, 1)).records)[0].offset).toBe(offset);
    expect(await appendValues(log, ['after'])).toBe(29);
  });

  it('truncates at a corrupt batch (bad CRC) during recovery', async () => {
    let log = await open();
    for (let index = 0; index < 5; index++) await appendValues(log, [`v${index}`]);
    const file = path.join(log.dir, '00000000000000000000.log');
    const bytes = await readFile(file);
    const third = bytes.length / 5 * 2; // every batch has the same size
    bytes[third + 64] ^= 0xff;
    await writeFile(file, bytes);
    manager = await openTestManager(dir, clock);
    log = manager.getLog(tp)!;
    expect(log.logEndOffset).toBe(2);
  });

  it('validates batches: CRC, size, keys on compacted topics', async () => {
    const log = await open({ maxMessageBytes: 200 });
    const bad = batch({ values: ['x'] });
    bad[bad.length - 1] ^= 1;
    expect(await log.appendAsLeader(bad, { leaderEpoch: 0 })).toMatchObject({ ok: false, errorCode: LogErrorCode.CORRUPT_MESSAGE });
    // The CRC is checked while the write is in flight: the bytes were cut off again.
    expect((await stat(path.join(log.dir, '00000000000000000000.log'))).size).toBe(0);
    expect(log.logEndOffset).toBe(0);
    expect(await log.appendAsLeader(batch({ values: ['x'.repeat(300)] }), { leaderEpoch: 0 })).toMatchObject({ ok: false, errorCode: LogErrorCode.MESSAGE_TOO_LARGE });
    expect(await log.appendAsLeader(marker('commit', 1n, 0), { leaderEpoch: 0 })).toMatchObject({ ok: false, errorCode: LogErrorCode.INVALID_RECORD });
    log.updateConfig({ cleanupPolicy: 'compact' });
    expect(await log.appendAsLeader(batch({ values: ['x'] }), { leaderEpoch: 0 })).toMatchObject({ ok: false, errorCode: LogErrorCode.INVALID_RECORD });
    expect(await log.appendAsLeader(batch({ keys: ['k'], values: ['x'] }), { leaderEpoch: 0 })).toMatchObject({ ok: true, firstOffset: 0 });
    expect(log.logEndOffset).toBe(1);
  });

  it('stamps LogAppendTime and keeps the CRC valid', async () => {
    const log = await open({ messageTimestampType: 'LogAppendTime' });
    clock.nowMs = 5_000_000;
    const result = await log.appendAsLeader(batch({ values: ['a', 'b'], timestamp: 10 }), { leaderEpoch: 3 });
    expect(result).toMatchObject({ ok: true, logAppendTimeMs: 5_000_000 });
    const { records } = await log.read(0, 1000);
    const { decodeRecordBatch } = await import('@kafkaesque/protocol');
    const decoded = decodeRecordBatch(records);
    expect(decoded.timestampType).toBe('log-append');
    expect(decoded.partitionLeaderEpoch).toBe(3);
    expect(decoded.records.map((r) => r.timestamp)).toEqual([5_000_000, 5_000_000]);
  });

  it('idempotent producers: duplicates return original offsets, gaps and old epochs are rejected', async () => {
    const log = await open();
    const first = await log.appendAsLeader(batch({ values: ['a', 'b'], producerId: 7n, producerEpoch: 0, baseSequence: 0 }), { leaderEpoch: 0 });
    expect(first).toMatchObject({ ok: true, firstOffset: 0, lastOffset: 1, duplicate: false });
    await appendValues(log, ['other']);
    const retry = await log.appendAsLeader(batch({ values: ['a', 'b'], producerId: 7n, producerEpoch: 0, baseSequence: 0 }), { leaderEpoch: 0 });
    expect(retry).toMatchObject({ ok: true, duplicate: true, firstOffset: 0, lastOffset: 1 });
    expect(log.logEndOffset).toBe(3);
    const gap = await log.appendAsLeader(batch({ values: ['c'], producerId: 7n, producerEpoch: 0, baseSequence: 5 }), { leaderEpoch: 0 });
    expect(gap).toMatchObject({ ok: false, errorCode: LogErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    const next = await log.appendAsLeader(batch({ values: ['c'], producerId: 7n, producerEpoch: 0, baseSequence: 2 }), { leaderEpoch: 0 });
    expect(next).toMatchObject({ ok: true, firstOffset: 3 });
    const bumped = await log.appendAsLeader(batch({ values: ['d'], producerId: 7n, producerEpoch: 1, baseSequence: 0 }), { leaderEpoch: 0 });
    expect(bumped).toMatchObject({ ok: true, firstOffset: 4 });
    const fenced = await log.appendAsLeader(batch({ values: ['e'], producerId: 7n, producerEpoch: 0, baseSequence: 3 }), { leaderEpoch: 0 });
    expect(fenced).toMatchObject({ ok: false, errorCode: LogErrorCode.INVALID_PRODUCER_EPOCH });
    expect(log.producerState(7n)).toMatchObject({ producerEpoch: 1, lastSequence: 0 });
    // State survives a restart (snapshot at close).
    await manager.close();
    manager = await openTestManager(dir, clock);
    const reopened = manager.getLog(tp)!;
    expect(reopened.producerState(7n)).toMatchObject({ producerEpoch: 1, lastSequence: 0 });
    const retryAfterRestart = await reopened.appendAsLeader(batch({ values: ['d'], producerId: 7n, producerEpoch: 1, baseSequence: 0 }), { leaderEpoch: 0 });
    expect(retryAfterRestart).toMatchObject({ ok: true, duplicate: true, firstOffset: 4 });
  });

  it('keeps one producer snapshot per segment (as Kafka), dropping them with their segments', async () => {
    let log = await open({ segmentBytes: 1000 });
    const snapshotsOnDisk = async (): Promise<number[]> =>
      (await readdir(log.dir)).filter((name) => name.endsWith('.snapshot')).map((name) => Number(name.slice(0, 20))).sort((a, b) => a - b);
    for (let index = 0; index < 24; index++) {
      const result = await log.appendAsLeader(batch({ values: [`v${index}`.padEnd(100, 'x')], producerId: 3n, producerEpoch: 0, baseSequence: index }), { leaderEpoch: 0 });
      expect(result.ok).toBe(true);
    }
    const bases = log.segments().map((segment) => segment.baseOffset);
    expect(bases.length).toBeGreaterThan(3);
    expect(await snapshotsOnDisk()).toEqual(bases.slice(1));
    // Retention moves the log start: the snapshots below it go with the segments.
    log.setHighWatermark(log.logEndOffset);
    await log.deleteRecordsBefore(bases[2]);
    expect(await snapshotsOnDisk()).toEqual(bases.slice(2));
    // A clean close adds one at the log end; the next load keeps it (newest) and the segments'.
    await manager.close();
    manager = await openTestManager(dir, clock, { segmentBytes: 1000 });
    log = manager.getLog(tp)!;
    expect(await snapshotsOnDisk()).toEqual([...bases.slice(2), 24]);
    expect(log.producerState(3n)).toMatchObject({ producerEpoch: 0, lastSequence: 23 });
    // Once a roll supersedes it, the close snapshot is stray and the next load removes it.
    for (let index = 24; index < 34; index++) await log.appendAsLeader(batch({ values: [`v${index}`.padEnd(100, 'x')], producerId: 3n, producerEpoch: 0, baseSequence: index }), { leaderEpoch: 0 });
    await manager.close();
    manager = await openTestManager(dir, clock, { segmentBytes: 1000 });
    log = manager.getLog(tp)!;
    const basesAfter = log.segments().map((segment) => segment.baseOffset);
    expect(await snapshotsOnDisk()).toEqual([...basesAfter, 34]);
    expect(log.producerState(3n)).toMatchObject({ lastSequence: 33 });
  });

  it('transactions: LSO held by open transactions, aborted ranges reported, markers fenced', async () => {
    const log = await open();
    await log.appendAsLeader(batch({ values: ['t1', 't2'], producerId: 9n, producerEpoch: 0, baseSequence: 0, transactional: true }), { leaderEpoch: 0 });
    await appendValues(log, ['plain']);
    log.setHighWatermark(log.logEndOffset);
    expect(log.firstUnstableOffset).toBe(0);
    expect(log.lastStableOffset).toBe(0);
    const abort = await log.appendAsLeader(marker('abort', 9n, 0, 5), { leaderEpoch: 0, origin: 'coordinator' });
    expect(abort).toMatchObject({ ok: true, firstOffset: 3 });
    log.setHighWatermark(log.logEndOffset);
    expect(log.lastStableOffset).toBe(4);
    const read = await log.read(0, 1 << 20, { includeAbortedTransactions: true, maxOffset: log.lastStableOffset });
    expect(read.abortedTransactions).toEqual([{ producerId: 9n, firstOffset: 0 }]);
    const stale = await log.appendAsLeader(marker('commit', 9n, 0, 4), { leaderEpoch: 0, origin: 'coordinator' });
    expect(stale).toMatchObject({ ok: false, errorCode: LogErrorCode.TRANSACTION_COORDINATOR_FENCED });
    // The aborted-transaction index survives restart.
    await manager.close();
    manager = await openTestManager(dir, clock);
    const reopened = manager.getLog(tp)!;
    expect((await reopened.read(0, 1 << 20, { includeAbortedTransactions: true })).abortedTransactions).toEqual([{ producerId: 9n, firstOffset: 0 }]);
  });

  it('leader epochs: cache, checkpoint file and endOffsetForLeaderEpoch', async () => {
    const log = await open();
    await appendValues(log, ['a', 'b'], 1);
    await appendValues(log, ['c'], 3);
    await appendValues(log, ['d'], 3);
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 2 }]);
    expect(await readFile(path.join(log.dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n1 0\n3 2\n');
    expect(log.endOffsetForLeaderEpoch(1)).toEqual({ leaderEpoch: 1, endOffset: 2 });
    expect(log.endOffsetForLeaderEpoch(2)).toEqual({ leaderEpoch: 1, endOffset: 2 });
    expect(log.endOffsetForLeaderEpoch(3)).toEqual({ leaderEpoch: 3, endOffset: 4 });
    expect(log.endOffsetForLeaderEpoch(4)).toEqual({ leaderEpoch: -1, endOffset: -1 });
    await log.truncateTo(2);
    expect(log.logEndOffset).toBe(2);
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }]);
  });

  it('follower appends keep offsets; truncation and truncateFullyAndStartAt', async () => {
    const leader = await open();
    for (let index = 0; index < 10; index++) await appendValues(leader, [`v${index}`], 2);
    const fetched = (await leader.read(0, 1 << 20)).records;
    const follower = await manager.getOrCreateLog({ topic: 'orders', partition: 1 });
    expect(await follower.appendAsFollower(Buffer.from(fetched))).toMatchObject({ ok: true, firstOffset: 0, lastOffset: 9 });
    expect(follower.logEndOffset).toBe(10);
    expect(follower.latestEpoch).toBe(2);
    expect(await follower.appendAsFollower(Buffer.from(fetched))).toMatchObject({ ok: false, errorCode: LogErrorCode.INVALID_RECORD });
    // A corrupt batch from the leader (checked while its write is in flight) is cut off again.
    expect(await appendValues(leader, ['v10', 'v11'], 2)).toBe(10);
    const tail = Buffer.from((await leader.read(10, 1 << 20)).records);
    tail[tail.length - 1] ^= 1;
    const sizeBefore = follower.sizeBytes;
    expect(await follower.appendAsFollower(tail)).toMatchObject({ ok: false, errorCode: LogErrorCode.CORRUPT_MESSAGE });
    expect([follower.logEndOffset, follower.sizeBytes]).toEqual([10, sizeBefore]);
    expect((await stat(path.join(follower.dir, '00000000000000000000.log'))).size).toBe(sizeBefore);
    await follower.truncateTo(4);
    expect(follower.logEndOffset).toBe(4);
    expect(recordsOf((await follower.read(0, 1 << 20)).records).map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    await follower.truncateFullyAndStartAt(100);
    expect([follower.logStartOffset, follower.logEndOffset]).toEqual([100, 100]);
    await expect(follower.read(0, 10)).rejects.toMatchObject({ code: LogErrorCode.OFFSET_OUT_OF_RANGE });
  });

  it('retention by time and size, DeleteRecords', async () => {
    const log = await open({ segmentBytes: 500, retentionMs: 10_000 });
    for (let index = 0; index < 30; index++) await appendValues(log, [`v${index}`.padEnd(40)]);
    log.setHighWatermark(log.logEndOffset);
    const before = log.segments().length;
    expect(before).toBeGreaterThan(3);
    expect(await log.deleteRecordsBefore(7)).toBe(7);
    await expect(log.read(6, 100)).rejects.toMatchObject({ code: LogErrorCode.OFFSET_OUT_OF_RANGE });
    expect(recordsOf((await log.read(7, 1)).records)[0].offset).toBe(7);
    expect(log.segments()[0].baseOffset).toBeLessThanOrEqual(7);
    await expect(log.deleteRecordsBefore(31)).rejects.toMatchObject({ code: LogErrorCode.OFFSET_OUT_OF_RANGE });
    manager.updateTopicConfig('orders', { segmentBytes: 500, retentionMs: 10_000, retentionBytes: 1000 });
    await manager.runMaintenance(clock.nowMs);
    expect(log.sizeBytes).toBeLessThanOrEqual(1000 + 500);
    expect(log.logStartOffset).toBeGreaterThan(7);
    // Records have timestamps ~1000 ms; the clock is far later: everything but the active segment goes.
    manager.updateTopicConfig('orders', { segmentBytes: 500, retentionMs: 10_000 });
    await manager.runMaintenance(clock.nowMs);
    expect(log.segments().length).toBe(1);
    expect(log.logEndOffset).toBe(30);
    expect((await readdir(log.dir)).filter((name) => name.endsWith('.deleted'))).toEqual([]);
  });

  it('finds offsets by timestamp, earliest, latest and max timestamp', async () => {
    const log = await open({ indexIntervalBytes: 1 });
    await log.appendAsLeader(batch({ values: ['a', 'b', 'c'], timestamps: [100, 200, 300] }), { leaderEpoch: 0 });
    await log.appendAsLeader(batch({ values: ['d', 'e'], timestamps: [900, 400] }), { leaderEpoch: 1 });
    await log.appendAsLeader(batch({ values: ['f'], timestamps: [500] }), { leaderEpoch: 1 });
    expect(await log.offsetForTimestamp(150)).toEqual({ timestamp: 200, offset: 1, leaderEpoch: 0 });
    expect(await log.offsetForTimestamp(350)).toEqual({ timestamp: 900, offset: 3, leaderEpoch: 1 });
    expect(await log.offsetForTimestamp(450)).toEqual({ timestamp: 900, offset: 3, leaderEpoch: 1 });
    expect(await log.offsetForTimestamp(901)).toBeUndefined();
    expect(log.earliestOffset()).toMatchObject({ offset: 0 });
    expect(log.latestOffset()).toMatchObject({ offset: 6, leaderEpoch: 1 });
    expect(await log.maxTimestampOffset()).toEqual({ timestamp: 900, offset: 3, leaderEpoch: 1 });
  });
});

describe('time-based behaviour and live config', () => {
  it('rolls by segment.ms (from the first batch timestamp), flushes by flush.ms, deletes files after file.delete.delay.ms', async () => {
    const log = await open({ segmentMs: 60_000, flushMs: 5_000, fileDeleteDelayMs: 30_000, retentionMs: 100_000 });
    await log.appendAsLeader(batch({ values: ['a'], timestamp: clock.nowMs }), { leaderEpoch: 0 });
    clock.nowMs += 30_000;
    await log.appendAsLeader(batch({ values: ['b'], timestamp: clock.nowMs }), { leaderEpoch: 0 });
    expect(log.segments()).toHaveLength(1);
    clock.nowMs += 31_000;
    await log.appendAsLeader(batch({ values: ['c'], timestamp: clock.nowMs }), { leaderEpoch: 0 });
    expect(log.segments().map((segment) => segment.baseOffset)).toEqual([0, 2]);
    // The roll fsynced the old segment: the recovery point moved to its end.
    expect(log.recoveryPoint).toBe(2);
    await manager.runMaintenance(clock.nowMs + 1_000);
    expect(log.recoveryPoint).toBe(2);
    await manager.runMaintenance(clock.nowMs + 6_000);
    expect(log.recoveryPoint).toBe(3);
    // Retention: the first segment's newest record is older than retention.ms; its files linger
    // as .deleted until file.delete.delay.ms passes.
    log.setHighWatermark(log.logEndOffset);
    clock.nowMs += 80_000;
    await manager.runMaintenance(clock.nowMs);
    expect(log.logStartOffset).toBe(2);
    expect((await readdir(log.dir)).filter((name) => name.endsWith('.deleted')).length).toBeGreaterThan(0);
    manager.updateTopicConfig('orders', { segmentMs: 60_000, flushMs: 5_000, fileDeleteDelayMs: 30_000, retentionMs: -1 });
    clock.nowMs += 31_000;
    await manager.runMaintenance(clock.nowMs);
    expect((await readdir(log.dir)).filter((name) => name.endsWith('.deleted'))).toEqual([]);
  });

  it('applies topic config changes live and rejects bad values with INVALID_CONFIG', async () => {
    const log = await open();
    const { logConfigFromProperties } = await import('./config.ts');
    manager.updateTopicConfig('orders', logConfigFromProperties({ 'max.message.bytes': '100', 'cleanup.policy': 'compact,delete', 'retention.ms': '-1' }));
    expect(log.config).toMatchObject({ maxMessageBytes: 100, cleanupPolicy: 'compact,delete', retentionMs: -1 });
    expect(await log.appendAsLeader(batch({ keys: ['k'], values: ['x'.repeat(200)] }), { leaderEpoch: 0 })).toMatchObject({ ok: false, errorCode: LogErrorCode.MESSAGE_TOO_LARGE });
    expect(() => logConfigFromProperties({ 'segment.bytes': 'lots' })).toThrow(expect.objectContaining({ code: LogErrorCode.INVALID_CONFIG }));
    expect(() => logConfigFromProperties({ 'cleanup.policy': 'shred' })).toThrow(expect.objectContaining({ code: LogErrorCode.INVALID_CONFIG }));
    expect(logConfigFromProperties({ 'retention.ms': '9223372036854775807', 'unknown.key': 'x' })).toEqual({ retentionMs: Number.MAX_SAFE_INTEGER });
  });

  it('deletes a partition log (renamed *-delete, then removed) and reports stats', async () => {
    const log = await open();
    await appendValues(log, ['a']);
    expect(manager.stats()).toMatchObject({ partitions: 1, segments: 1 });
    await manager.deleteLog(tp);
    expect(manager.getLog(tp)).toBeUndefined();
    expect((await readdir(dir)).filter((name) => name.startsWith('orders-0'))).toEqual([]);
    await expect(log.appendAsLeader(batch({ values: ['b'] }), { leaderEpoch: 0 })).rejects.toMatchObject({ code: LogErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  });
});

describe('log manager', () => {
  it('shares concurrent creations of one partition', async () => {
    manager = await openTestManager(dir, clock);
    const logs = await Promise.all(Array.from({ length: 5 }, () => manager.getOrCreateLog(tp)));
    expect(new Set(logs).size).toBe(1);
    expect(await logs[0].appendAsLeader(batch({ values: ['a'] }), { leaderEpoch: 0 })).toMatchObject({ ok: true, firstOffset: 0 });
    expect(manager.partitions()).toEqual([tp]);
  });

  it('refuses a log dir that belongs to another broker', async () => {
    manager = await openTestManager(dir, clock);
    await manager.close();
    const { openLogManager } = await import('./log-manager.ts');
    await expect(openLogManager({ logDirs: [dir], brokerId: 2, backgroundTasks: false })).rejects.toMatchObject({ code: LogErrorCode.INVALID_CONFIG });
    expect(await readFile(path.join(dir, 'meta.properties'), 'utf8')).toMatch(/broker\.id=1\n/);
  });
});

describe('several log dirs', () => {
  it('an I/O error takes only its own dir offline', async () => {
    const { FaultInjectingFs } = await import('./fault-fs.ts');
    const { openLogManager } = await import('./log-manager.ts');
    const other = await tempDir();
    try {
      const fs = new FaultInjectingFs();
      const failed: string[] = [];
      manager = await openLogManager({ logDirs: [dir, other], brokerId: 1, fs, backgroundTasks: false, clockMs: clock.now, onLogDirFailure: (logDir) => failed.push(logDir) });
      const first = await manager.getOrCreateLog({ topic: 'a', partition: 0 }, { logDir: dir });
      const second = await manager.getOrCreateLog({ topic: 'b', partition: 0 }, { logDir: other });
      expect(first.logDir).toBe(path.resolve(dir));
      expect(second.logDir).toBe(path.resolve(other));
      fs.inject({ operation: 'write', kind: 'EIO', pathIncludes: `${dir}/a-0`, persistent: true });
      await expect(first.appendAsLeader(batch({ values: ['x'] }), { leaderEpoch: 0 })).rejects.toMatchObject({ code: LogErrorCode.KAFKA_STORAGE_ERROR });
      expect(await second.appendAsLeader(batch({ values: ['y'] }), { leaderEpoch: 0 })).toMatchObject({ ok: true });
      expect(failed).toEqual([path.resolve(dir)]);
      expect(manager.logDirs.map((state) => state.online)).toEqual([false, true]);
      expect(first.isOffline).toBe(true);
      // New partitions go to the online dir.
      expect((await manager.getOrCreateLog({ topic: 'c', partition: 0 })).logDir).toBe(path.resolve(other));
      await manager.close();
    } finally {
      await removeDir(other);
    }
  });
});
