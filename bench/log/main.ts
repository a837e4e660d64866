/**
 * Log benchmark: append throughput of 1 KiB records in 16 KiB and 1 MiB batches beside a raw
 * sequential write of the same bytes to the same disk with the same file API (node:fs/promises
 * FileHandle.write, one write per batch), then sequential read throughput through the log.
 *
 *   pnpm exec node bench/log/main.ts [--mib 256] [--dir /tmp]
 *
 * The log does everything a leader append does (framing and CRC32C check, record walk, offset
 * assignment, leader epoch, producer state, index entries, one write per append); no fsync (as
 * Kafka by default: page cache plus replication). Goal: append ≥ 0.8 × raw write.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { encodeRecordBatch } from '../../packages/protocol/src/index.ts';
import { openLogManager } from '../../packages/broker/src/log/index.ts';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}

const TOTAL_BYTES = Number(argument('mib', '256')) * 1024 * 1024;
const BASE_DIR = argument('dir', tmpdir());
const RECORD_BYTES = 1024;
const DISTINCT_BATCHES = 8;
const ROUNDS = 4; // even: raw and log each go first in half the rounds

function makeBatches(batchBytes: number): Buffer[] {
  const recordsPerBatch = Math.max(1, Math.floor(batchBytes / (RECORD_BYTES + 20)));
  return Array.from({ length: DISTINCT_BATCHES }, (_, batchIndex) => {
    const records = Array.from({ length: recordsPerBatch }, (_, index) => {
      const value = Buffer.alloc(RECORD_BYTES);
      for (let at = 0; at < value.length; at += 4) value.writeUInt32LE((batchIndex * 7919 + index * 104729 + at) >>> 0, at);
      return { key: null, value, timestamp: Date.now() };
    });
    return encodeRecordBatch({ records });
  });
}

async function rawWrite(dir: string, batches: Buffer[], count: number): Promise<number> {
  const handle = await open(path.join(dir, 'raw.bin'), 'w');
  const started = performance.now();
  let position = 0;
  for (let index = 0; index < count; index++) {
    const batch = batches[index % batches.length];
    await handle.write(batch, 0, batch.length, position);
    position += batch.length;
  }
  const elapsedMs = performance.now() - started;
  await handle.close();
  await rm(path.join(dir, 'raw.bin'));
  return position / (elapsedMs / 1000);
}

/**
 * Appends `count` batches with up to `inFlight` appends outstanding (1: strictly sequential like
 * the raw write). The CRC check of each append overlaps its own write (LogSegment.append).
 */
async function logAppendAndRead(dir: string, batches: Buffer[], count: number, inFlight: number): Promise<{ appendBytesPerSecond: number; readBytesPerSecond: number }> {
  const manager = await openLogManager({ logDirs: [dir], brokerId: 1, backgroundTasks: false });
  const log = await manager.getOrCreateLog({ topic: 'bench', partition: 0 });
  let bytes = 0;
  // Each in-flight append owns its buffer (appends rewrite offsets in place).
  const pool = batches.map((batch) => Buffer.from(batch));
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let index = 0; index < count; index++) {
    const batch = pool[index % pool.length];
    pending.push(log.appendAsLeader(batch, { leaderEpoch: 0 }).then((result) => {
      if (!result.ok) throw new Error(result.errorMessage);
    }));
    bytes += batch.length;
    if (pending.length >= inFlight) await pending.shift();
  }
  await Promise.all(pending);
  const appendMs = performance.now() - started;
  log.setHighWatermark(log.logEndOffset);
  const readStarted = performance.now();
  let readBytes = 0;
  let offset = 0;
  while (offset < log.logEndOffset) {
    const read = await log.read(offset, 1024 * 1024);
    readBytes += read.records.length;
    let at = 0;
    let last = offset;
    while (at < read.records.length) {
      last = Number(read.records.readBigInt64BE(at)) + read.records.readInt32BE(at + 23);
      at += 12 + read.records.readInt32BE(at + 8);
    }
    offset = last + 1;
  }
  const readMs = performance.now() - readStarted;
  await manager.close();
  return { appendBytesPerSecond: bytes / (appendMs / 1000), readBytesPerSecond: readBytes / (readMs / 1000) };
}

function mib(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1024 / 1024).toFixed(0)} MiB/s`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

console.log(`log bench: ${TOTAL_BYTES / 1024 / 1024} MiB per run, 1 KiB records, ${ROUNDS} rounds (median), dir ${BASE_DIR}`);
for (const [label, batchBytes] of [['16 KiB batches', 16 * 1024], ['1 MiB batches', 1024 * 1024]] as const) {
  const batches = makeBatches(batchBytes);
  const count = Math.ceil(TOTAL_BYTES / batches[0].length);
  const raw: number[] = [];
  const append: number[] = [];
  const read: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dir = await mkdtemp(path.join(BASE_DIR, 'kafkaesque-log-bench-'));
    try {
      // Rotate the order every round: later runs meet more dirty page cache (writeback throttling).
      const runs: (() => Promise<void>)[] = [
        async () => {
          raw.push(await rawWrite(dir, batches, count));
        },
        async () => {
          const result = await logAppendAndRead(path.join(dir, 'sequential'), batches, count, 1);
          append.push(result.appendBytesPerSecond);
          read.push(result.readBytesPerSecond);
          await rm(path.join(dir, 'sequential'), { recursive: true, force: true });
        },
      ];
      for (let run = 0; run < runs.length; run++) await runs[(run + round) % runs.length]();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const ratio = median(append) / median(raw);
  console.log(
    `${label.padEnd(15)} raw write ${mib(median(raw)).padStart(10)} | log append ${mib(median(append)).padStart(10)}` +
      ` | ratio ${ratio.toFixed(2)} (goal ≥ 0.80) | log read ${mib(median(read)).padStart(10)}` +
      ` | append samples ${append.map((value) => (value / 1024 / 1024).toFixed(0)).join('/')} raw samples ${raw.map((value) => (value / 1024 / 1024).toFixed(0)).join('/')}`,
  );
}
