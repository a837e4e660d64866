/**
 * Compaction against a model: random puts and deletes over a few keys, rolls and cleaner runs at
 * random times. After every run the log holds, for every key, at least its latest record at its
 * original offset (a tombstone only until the delete horizon a pass stamped into its batch);
 * nothing older than a later record of the same key survives below the cleaned point;
 * offsets only increase; the active segment is untouched.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { decodeRecordBatches } from '@kafkaesque/protocol';
import { cleanLog } from './cleaner.ts';
import type { PartitionLogImpl } from './partition-log.ts';
import { FakeClock, batch, openTestManager, removeDir, tempDir } from './test-helpers.ts';

type Op = { kind: 'put'; key: number; value: number } | { kind: 'delete'; key: number } | { kind: 'roll' } | { kind: 'clean'; advanceMs: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.integer({ min: 0, max: 5 }), value: fc.integer({ min: 0, max: 999 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'roll' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clean' as const), advanceMs: fc.constantFrom(0, 500, 5_000) }) },
);

interface Written {
  offset: number;
  key: string;
  value: string | null;
}

it('keeps the latest record of every key at its offset', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArbitrary, { minLength: 3, maxLength: 40 }), async (ops) => {
      const dir = await tempDir();
      const clock = new FakeClock(50_000_000);
      const manager = await openTestManager(dir, clock, { cleanupPolicy: 'compact', deleteRetentionMs: 1_000, segmentBytes: 1_000 });
      try {
        const log = (await manager.getOrCreateLog({ topic: 'c', partition: 0 })) as PartitionLogImpl;
        const written: Written[] = [];
        for (const op of ops) {
          if (op.kind === 'put' || op.kind === 'delete') {
            const key = `k${op.key}`;
            const value = op.kind === 'put' ? `v${op.value}` : null;
            const result = await log.appendAsLeader(batch({ keys: [key], values: [value], timestamp: clock.nowMs }), { leaderEpoch: 0 });
            expect(result.ok).toBe(true);
            if (result.ok) written.push({ offset: result.firstOffset, key, value });
            log.setHighWatermark(log.logEndOffset);
          } else if (op.kind === 'roll') {
            await log.roll();
          } else {
            clock.nowMs += op.advanceMs;
            await cleanLog(log, clock.nowMs, { force: true });
          }
        }
        const present = new Map<number, Written>();
        let at = log.logStartOffset;
        while (at < log.logEndOffset) {
          const { records } = await log.read(at, 1 << 20);
          const { batches } = decodeRecordBatches(records);
          if (batches.length === 0) break;
          for (const decoded of batches) {
            for (const record of decoded.records) present.set(record.offset, { offset: record.offset, key: record.key!.toString(), value: record.value?.toString() ?? null });
            at = decoded.baseOffset + decoded.lastOffsetDelta + 1;
          }
        }
        expect(log.logEndOffset).toBe(written.length);
        const byOffset = new Map(written.map((record) => [record.offset, record]));
        for (const [offset, record] of present) expect(record).toEqual(byOffset.get(offset));
        const latest = new Map<string, Written>();
        for (const record of written) latest.set(record.key, record);
        for (const record of latest.values()) {
          // The latest record of a key survives, except a tombstone the cleaner may drop.
          if (record.value !== null) expect(present.get(record.offset)).toEqual(record);
        }
        // Below the cleaned point, no record is shadowed by a later one of its key.
        for (const record of present.values()) {
          if (record.offset >= log.cleanerCheckpoint) continue;
          const shadowing = written.find((other) => other.key === record.key && other.offset > record.offset && other.offset < log.cleanerCheckpoint);
          expect(shadowing).toBeUndefined();
        }
        // The active segment is never rewritten.
        const active = log.segments().at(-1)!;
        for (const record of written) if (record.offset >= active.baseOffset) expect(present.get(record.offset)).toEqual(record);
      } finally {
        await manager.close();
        await removeDir(dir);
      }
    }),
    { numRuns: Number(process.env.LOG_CLEANER_RUNS ?? 40) },
  );
}, 120_000);
