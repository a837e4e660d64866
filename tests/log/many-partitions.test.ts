/**
 * Memory and descriptors stay bounded with thousands of partitions: with 2,000 partitions of
 * several segments each, the log manager keeps at most `openFilesMax` segment files open and at
 * most `loadedIndexesMax` inactive segments' indexes in memory, across appends, reads spread
 * over every partition, and a restart. (fsync is a no-op here: durability is not under test.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nodeLogFs, openLogManager, type LogFile, type LogFs, type LogManager } from '@kafkaesque/broker';
import { batch, recordsOf, removeDir, tempDir } from '../../packages/broker/src/log/test-helpers.ts';

const PARTITIONS = 2_000;
const OPEN_FILES_MAX = 300;
const LOADED_INDEXES_MAX = 200;
/** Appends per partition: the second rolls, so every partition has an inactive segment. */
const ROUNDS = 2;
const CONCURRENCY = 16;

async function inParallel(count: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await work(next++);
  }));
}

const noSyncFs: LogFs = {
  ...nodeLogFs,
  async open(path, mode): Promise<LogFile> {
    const file = await nodeLogFs.open(path, mode);
    return {
      read: (...args) => file.read(...args),
      write: (...args) => file.write(...args),
      writev: (...args) => file.writev(...args),
      truncate: (length) => file.truncate(length),
      sync: async () => {},
      sizeBytes: () => file.sizeBytes(),
      close: () => file.close(),
    };
  },
  syncDir: async () => {},
};

let dir: string;
beforeAll(async () => {
  dir = await tempDir('kafkaesque-many-');
});
afterAll(async () => {
  await removeDir(dir);
});

function open(): Promise<LogManager> {
  return openLogManager({
    logDirs: [dir],
    brokerId: 1,
    fs: noSyncFs,
    backgroundTasks: false,
    openFilesMax: OPEN_FILES_MAX,
    loadedIndexesMax: LOADED_INDEXES_MAX,
    defaultConfig: { segmentBytes: 250, indexIntervalBytes: 100, segmentIndexBytes: 4096 },
  });
}

it(`keeps files and indexes bounded with ${PARTITIONS} partitions`, async () => {
  let manager = await open();
  await inParallel(PARTITIONS, async (partition) => {
    const log = await manager.getOrCreateLog({ topic: 'wide', partition });
    for (let round = 0; round < ROUNDS; round++) {
      const result = await log.appendAsLeader(batch({ values: [`p${partition}-r${round}`.padEnd(120, '.')] }), { leaderEpoch: 0 });
      expect(result.ok).toBe(true);
    }
    log.setHighWatermark(log.logEndOffset);
  });
  const written = manager.stats();
  expect(written.partitions).toBe(PARTITIONS);
  expect(written.segments).toBe(PARTITIONS * ROUNDS);
  expect(written.openFiles).toBeLessThanOrEqual(OPEN_FILES_MAX);
  expect(written.loadedIndexes).toBeLessThanOrEqual(LOADED_INDEXES_MAX);
  await manager.close();

  manager = await open();
  expect(manager.stats().openFiles).toBeLessThanOrEqual(OPEN_FILES_MAX);
  await inParallel(PARTITIONS, async (step) => {
    const partition = (step * 7919) % PARTITIONS;
    const log = manager.getLog({ topic: 'wide', partition })!;
    const offset = step % ROUNDS;
    const read = await log.read(offset, 1 << 16);
    expect(recordsOf(read.records).find((record) => record.offset === offset)?.value?.startsWith(`p${partition}-r${offset}`)).toBe(true);
  });
  const after = manager.stats();
  expect(after.openFiles).toBeLessThanOrEqual(OPEN_FILES_MAX);
  expect(after.loadedIndexes).toBeLessThanOrEqual(LOADED_INDEXES_MAX);
  await manager.close();
}, 180_000);
