/**
 * Model-based property test: random sequences of append / read / roll / DeleteRecords /
 * retention / truncate / clean restart / crash restart against a simple in-memory model of the
 * log (batches with offsets, a log start offset). After every step the log's offsets and
 * contents must agree with the model, and the files must pass the segment verifier.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { LogManager, PartitionLog } from './api.ts';
import { FaultInjectingFs } from './fault-fs.ts';
import { openLogManager } from './log-manager.ts';
import { FakeClock, batch, recordsOf, removeDir, tempDir } from './test-helpers.ts';

interface ModelBatch {
  base: number;
  values: string[];
}

type Op =
  | { kind: 'append'; values: string[]; epoch: number }
  | { kind: 'read'; at: number; maxBytes: number }
  | { kind: 'roll' }
  | { kind: 'deleteRecords'; at: number }
  | { kind: 'retentionBytes'; bytes: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'restart'; crash: boolean; checkpoint: boolean };

const value = fc.string({ minLength: 0, maxLength: 30 });
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), values: fc.array(value, { minLength: 1, maxLength: 6 }), epoch: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), maxBytes: fc.integer({ min: 1, max: 2000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retentionBytes' as const), bytes: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), crash: fc.boolean(), checkpoint: fc.boolean() }) },
);

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

class Harness {
  model: ModelBatch[] = [];
  logStart = 0;
  logEnd = 0;
  epoch = 0;
  fs = new FaultInjectingFs();
  manager!: LogManager;
  log!: PartitionLog;
  readonly clock = new FakeClock();
  readonly dir: string;

  constructor(directory: string) {
    this.dir = directory;
  }

  async open(): Promise<void> {
    this.manager = await openLogManager({ logDirs: [this.dir], brokerId: 1, fs: this.fs, clockMs: this.clock.now, backgroundTasks: false, defaultConfig: { segmentBytes: 700, indexIntervalBytes: 150, fileDeleteDelayMs: 0, retentionMs: -1 } });
    this.log = await this.manager.getOrCreateLog({ topic: 'model', partition: 0 });
  }

  at(fraction: number): number {
    return this.logStart + Math.floor(fraction * (this.logEnd - this.logStart + 0.999));
  }

  expected(from: number): { offset: number; value: string }[] {
    return this.model.flatMap((b) => b.values.map((v, i) => ({ offset: b.base + i, value: v }))).filter((r) => r.offset >= from);
  }

  async apply(op: Op): Promise<void> {
    const log = this.log;
    switch (op.kind) {
      case 'append': {
        this.epoch = Math.max(this.epoch, op.epoch);
        const result = await log.appendAsLeader(batch({ values: op.values }), { leaderEpoch: this.epoch });
        expect(result).toMatchObject({ ok: true, firstOffset: this.logEnd });
        this.model.push({ base: this.logEnd, values: op.values });
        this.logEnd += op.values.length;
        log.setHighWatermark(log.logEndOffset);
        break;
      }
      case 'read': {
        const at = this.at(op.at);
        const read = await log.read(at, op.maxBytes);
        const got = recordsOf(read.records).filter((r) => r.offset >= at);
        const expected = this.expected(at);
        if (at < this.logEnd) expect(got.length).toBeGreaterThan(0);
        expect(got.map((r) => [r.offset, r.value])).toEqual(expected.slice(0, got.length).map((r) => [r.offset, r.value]));
        break;
      }
      case 'roll':
        await log.roll();
        break;
      case 'deleteRecords': {
        const at = this.at(op.at);
        expect(await log.deleteRecordsBefore(at)).toBe(Math.max(at, this.logStart));
        this.logStart = Math.max(at, this.logStart);
        break;
      }
      case 'retentionBytes': {
        this.manager.updateTopicConfig('model', { retentionBytes: op.bytes, retentionMs: -1 });
        await this.manager.runMaintenance(this.clock.nowMs);
        this.manager.updateTopicConfig('model', { retentionMs: -1 });
        expect(log.logStartOffset).toBeGreaterThanOrEqual(this.logStart);
        this.logStart = log.logStartOffset;
        break;
      }
      case 'truncate': {
        const at = this.at(op.at);
        await log.truncateTo(at);
        if (at < this.logEnd) {
          const removed = this.model.findIndex((b) => b.base + b.values.length - 1 >= at);
          const removedBase = removed >= 0 ? this.model[removed].base : at;
          if (removed >= 0) this.model.splice(removed);
          this.logEnd = Math.max(this.logStart, Math.min(at, removedBase));
          if (this.logEnd === this.logStart && at <= this.logStart) this.model = this.model.filter((b) => b.base < this.logStart);
        }
        break;
      }
      case 'restart': {
        if (op.checkpoint) await this.manager.checkpoint();
        if (op.crash) {
          await this.fs.crash();
          this.fs = new FaultInjectingFs();
        } else {
          await this.manager.close();
        }
        await this.open();
        expect(this.log.logEndOffset).toBe(this.logEnd);
        // Without a checkpoint a crash forgets a log start offset inside a segment (as Kafka).
        expect(this.log.logStartOffset).toBeLessThanOrEqual(this.logStart);
        if (!op.crash || op.checkpoint) expect(this.log.logStartOffset).toBe(this.logStart);
        this.logStart = this.log.logStartOffset;
        this.log.setHighWatermark(this.log.logEndOffset);
        break;
      }
    }
    expect(this.log.logEndOffset).toBe(this.logEnd);
    expect(this.log.logStartOffset).toBe(this.logStart);
  }

  /** Everything from the log start, read batch by batch, equals the model. */
  async checkAll(): Promise<void> {
    const got: { offset: number; value: string | null }[] = [];
    let at = this.logStart;
    while (at < this.logEnd) {
      const read = await this.log.read(at, 1 << 20);
      const records = recordsOf(read.records).filter((r) => r.offset >= at);
      expect(records.length).toBeGreaterThan(0);
      got.push(...records);
      at = records[records.length - 1].offset + 1;
    }
    expect(got.map((r) => [r.offset, r.value])).toEqual(this.expected(this.logStart).map((r) => [r.offset, r.value]));
  }
}

it('agrees with an in-memory model under random operations and restarts', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArbitrary, { minLength: 5, maxLength: 35 }), async (ops) => {
      const runDir = await tempDir();
      const harness = new Harness(runDir);
      try {
        await harness.open();
        for (const op of ops) await harness.apply(op);
        await harness.checkAll();
        await harness.manager.close();
        const { verifyPartitionDir } = await import('../../../../tests/log/verify-segments.ts');
        await verifyPartitionDir(`${runDir}/model-0`);
      } finally {
        await harness.manager?.close().catch(() => {});
        await removeDir(runDir);
      }
    }),
    { numRuns: Number(process.env.LOG_PROPERTY_RUNS ?? 40) },
  );
}, 120_000);
