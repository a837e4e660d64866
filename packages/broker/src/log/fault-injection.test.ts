/**
 * Injected file-system faults never corrupt data written before them: for each kind of fault
 * (failed / short / ENOSPC writes of segments and indexes, failed fsyncs, failed checkpoint
 * writes, failed renames during a roll), appends run until the fault takes the log dir offline;
 * everything acknowledged before stays readable after a restart, as an exact prefix, and the
 * segment files verify.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { LogManager } from './api.ts';
import { LogErrorCode } from './errors.ts';
import { FaultInjectingFs, type FaultRule } from './fault-fs.ts';
import { openLogManager } from './log-manager.ts';
import { FakeClock, batch, recordsOf, removeDir, tempDir } from './test-helpers.ts';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

const config = { segmentBytes: 2_000, indexIntervalBytes: 200, fileDeleteDelayMs: 0 };

const ruleArbitrary: fc.Arbitrary<FaultRule> = fc.record({
  operation: fc.constantFrom('write', 'sync', 'truncate', 'rename', 'open', 'syncDir') as fc.Arbitrary<FaultRule['operation']>,
  kind: fc.constantFrom('EIO', 'ENOSPC', 'short') as fc.Arbitrary<FaultRule['kind']>,
  pathIncludes: fc.constantFrom('.log', '.index', '.timeindex', 'checkpoint', '.snapshot', '') as fc.Arbitrary<string>,
  afterCalls: fc.integer({ min: 0, max: 40 }),
  persistent: fc.boolean(),
});

it('faults take the dir offline without corrupting acknowledged data', async () => {
  await fc.assert(
    fc.asyncProperty(ruleArbitrary, fc.integer({ min: 1, max: 3 }), fc.boolean(), async (rule, flushEvery, flushMessagesOne) => {
      const runDir = await tempDir();
      const clock = new FakeClock();
      const fs = new FaultInjectingFs();
      let manager: LogManager | undefined;
      const failures: string[] = [];
      try {
        manager = await openLogManager({ logDirs: [runDir], brokerId: 1, fs, clockMs: clock.now, backgroundTasks: false, defaultConfig: { ...config, flushMessages: flushMessagesOne ? 1 : Number.MAX_SAFE_INTEGER }, onLogDirFailure: (logDir) => failures.push(logDir) });
        const log = await manager.getOrCreateLog({ topic: 'faulty', partition: 0 });
        fs.inject(rule);
        const acknowledged: string[] = [];
        let offline = false;
        for (let index = 0; index < 120 && !offline; index++) {
          const value = `value-${index}`.padEnd(30, '.');
          try {
            const result = await log.appendAsLeader(batch({ values: [value] }), { leaderEpoch: 0 });
            expect(result).toMatchObject({ ok: true, firstOffset: acknowledged.length });
            acknowledged.push(value);
            if (index % flushEvery === 0) await log.flush();
            if (index % 10 === 0) await manager.checkpoint();
          } catch (error) {
            expect(error).toMatchObject({ code: LogErrorCode.KAFKA_STORAGE_ERROR });
            offline = true;
          }
        }
        if (fs.fired.length > 0 || offline) {
          // Once a fault fired on the log's own files the dir is offline and says so.
          if (offline) {
            expect(log.isOffline).toBe(true);
            expect(manager.logDirs[0].online).toBe(false);
            expect(failures).toEqual([manager.logDirs[0].path]);
            await expect(log.read(0, 100)).rejects.toMatchObject({ code: LogErrorCode.KAFKA_STORAGE_ERROR });
          }
        }
        await fs.crash();
        // Restart with a healthy disk: an exact prefix holding everything acknowledged.
        const reopened = await openLogManager({ logDirs: [runDir], brokerId: 1, clockMs: clock.now, backgroundTasks: false, defaultConfig: config });
        manager = reopened;
        const recovered = reopened.getLog({ topic: 'faulty', partition: 0 })!;
        expect(recovered.logEndOffset).toBeGreaterThanOrEqual(acknowledged.length);
        const values: string[] = [];
        let at = 0;
        while (at < recovered.logEndOffset) {
          const records = recordsOf((await recovered.read(at, 1 << 20)).records).filter((record) => record.offset >= at);
          expect(records.length).toBeGreaterThan(0);
          values.push(...records.map((record) => record.value!));
          at = records[records.length - 1].offset + 1;
        }
        expect(values.slice(0, acknowledged.length)).toEqual(acknowledged);
        // At most the one batch being written when the fault hit may have landed unacknowledged.
        expect(values.length - acknowledged.length).toBeLessThanOrEqual(1);
        await reopened.close();
        const { verifyPartitionDir } = await import('../../../../tests/log/verify-segments.ts');
        await verifyPartitionDir(`${runDir}/faulty-0`);
      } finally {
        await manager?.close().catch(() => {});
        await removeDir(runDir);
      }
    }),
    { numRuns: Number(process.env.LOG_FAULT_RUNS ?? 15) },
  );
}, 120_000);
