/**
 * Log benchmark: append throughput of 1 KiB records in 16 KiB and 1 MiB batches beside a raw
 * sequential write of the same bytes to the same disk, then sequential read throughput.
 *
 *   pnpm exec node bench/log/main.ts [--mib 128] [--round-mib 16] [--warmup-mib 16] [--in-flight 1] [--dir /tmp]
 *
 * Fairness (a shared 2-core machine is noisy, so both sides must meet the same noise):
 * - same file API: the raw side writes through the log's own `nodeLogFs` LogFile (FileHandle.write
 *   on libuv's pool), one write per batch, exactly as the log issues one write per append;
 * - same bytes, same sizes, same fsync policy (none on either side: the log's defaults are Kafka's,
 *   page cache plus replication, and 1 GiB segments do not roll within a run);
 * - steady state: one raw file and one log live through the whole run, both first take
 *   `--warmup-mib` untimed (JIT, file extents), then `--mib` is timed in rounds of `--round-mib`
 *   that alternate raw and log (the order flips each round); the ratio is taken per round and
 *   its median and range are printed.
 * The log does everything a leader append does (framing, CRC32C check, record walk, offset
 * assignment, leader epoch, producer state, index entries). "in write" is the share of the log's
 * time with its write in flight. "cpu/MiB" is the process's CPU time (all threads, user +
 * system) per MiB on each side, which depends much less than throughput on what else the machine
 * runs; of the log's extra CPU, "crc" is CRC32C alone over the same bytes (its CPU time here,
 * one pass per round) and "rest" everything else the log does. When the CRC costs more than the write it is
 * the ceiling of the append (it overlaps the write but runs on the one JavaScript thread).
 * `--in-flight n` keeps n appends (and n raw writes) outstanding; the log still writes one append
 * at a time per partition (its lock, as Kafka's), so above 1 the raw side gets parallel writes
 * the log does not: the fair comparison is the default, 1.
 * Goal: append ≥ 0.8 × raw write.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { crc32c, encodeRecordBatch } from '../../packages/protocol/src/index.ts';
import { nodeLogFs, openLogManager, type LogFile, type LogFs, type PartitionLog } from '../../packages/broker/src/log/index.ts';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}

const MIB = 1024 * 1024;
const TOTAL_BYTES = Number(argument('mib', '128')) * MIB;
const ROUND_BYTES = Number(argument('round-mib', '16')) * MIB;
const WARMUP_BYTES = Number(argument('warmup-mib', '16')) * MIB;
const IN_FLIGHT = Math.max(1, Number(argument('in-flight', '1')));
const BASE_DIR = argument('dir', tmpdir());
const RECORD_BYTES = 1024;
const DISTINCT_BATCHES = 8;

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

/** Time with at least one write in flight, over the files opened through it. */
class WriteTimer {
  inFlight = 0;
  since = 0;
  totalMs = 0;
  wrap(fs: LogFs): LogFs {
    const timer = this;
    return {
      ...fs,
      async open(file, mode) {
        const inner = await fs.open(file, mode);
        return {
          ...bind(inner),
          async write(buffer, offset, length, position) {
            if (timer.inFlight++ === 0) timer.since = performance.now();
            try {
              return await inner.write(buffer, offset, length, position);
            } finally {
              if (--timer.inFlight === 0) timer.totalMs += performance.now() - timer.since;
            }
          },
        };
      },
    };
  }
}

function bind(file: LogFile): LogFile {
  return {
    read: file.read.bind(file),
    write: file.write.bind(file),
    writev: file.writev.bind(file),
    truncate: file.truncate.bind(file),
    sync: file.sync.bind(file),
    sizeBytes: file.sizeBytes.bind(file),
    close: file.close.bind(file),
  };
}

interface Side {
  /** Writes batches until `bytes` are written; returns elapsed ms. */
  run(bytes: number): Promise<number>;
}

function rawSide(file: LogFile, batches: Buffer[]): Side {
  let position = 0;
  let next = 0;
  return {
    async run(bytes) {
      const started = performance.now();
      const pending: Promise<unknown>[] = [];
      for (let written = 0; written < bytes;) {
        const batch = batches[next++ % batches.length];
        pending.push(file.write(batch, 0, batch.length, position));
        position += batch.length;
        written += batch.length;
        if (pending.length >= IN_FLIGHT) await pending.shift();
      }
      await Promise.all(pending);
      return performance.now() - started;
    },
  };
}

function logSide(log: PartitionLog, batches: Buffer[]): Side {
  // Each in-flight append owns its buffer (appends rewrite offsets in place).
  const pool = Array.from({ length: Math.max(batches.length, IN_FLIGHT + 1) }, (_, index) => Buffer.from(batches[index % batches.length]));
  let next = 0;
  return {
    async run(bytes) {
      const started = performance.now();
      const pending: Promise<void>[] = [];
      for (let written = 0; written < bytes;) {
        const batch = pool[next++ % pool.length];
        pending.push(log.appendAsLeader(batch, { leaderEpoch: 0 }).then((result) => {
          if (!result.ok) throw new Error(result.errorMessage);
        }));
        written += batch.length;
        if (pending.length >= IN_FLIGHT) await pending.shift();
      }
      await Promise.all(pending);
      return performance.now() - started;
    },
  };
}

async function readAll(log: PartitionLog): Promise<number> {
  log.setHighWatermark(log.logEndOffset);
  const started = performance.now();
  let bytes = 0;
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const read = await log.read(offset, MIB);
    bytes += read.records.length;
    let at = 0;
    let last = offset;
    while (at < read.records.length) {
      last = Number(read.records.readBigInt64BE(at)) + read.records.readInt32BE(at + 23);
      at += 12 + read.records.readInt32BE(at + 8);
    }
    offset = last + 1;
  }
  return bytes / MIB / ((performance.now() - started) / 1000);
}

/** CPU µs of CRC32C alone over `bytes` of these batches (this thread), as the append checks it. */
function crcCpuUs(batches: Buffer[], bytes: number): number {
  const before = process.cpuUsage();
  for (let done = 0, next = 0; done < bytes; next++) {
    const batch = batches[next % batches.length];
    crc32c(batch, 21);
    done += batch.length;
  }
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function range(values: number[], digits: number): string {
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
}

const rounds = Math.max(2, Math.round(TOTAL_BYTES / ROUND_BYTES));
console.log(
  `log bench: ${rounds} alternating rounds of ${ROUND_BYTES / MIB} MiB per side after ${WARMUP_BYTES / MIB} MiB warm-up, ` +
    `1 KiB records, ${IN_FLIGHT} in flight, no fsync on either side, dir ${BASE_DIR}`,
);
for (const [label, batchBytes] of [['16 KiB batches', 16 * 1024], ['1 MiB batches', MIB]] as const) {
  const batches = makeBatches(batchBytes);
  const dir = await mkdtemp(path.join(BASE_DIR, 'kafkaesque-log-bench-'));
  const timer = new WriteTimer();
  const manager = await openLogManager({ logDirs: [path.join(dir, 'log')], brokerId: 1, backgroundTasks: false, fs: timer.wrap(nodeLogFs) });
  const rawFile = await nodeLogFs.open(path.join(dir, 'raw.bin'), 'write');
  try {
    const log = await manager.getOrCreateLog({ topic: 'bench', partition: 0 });
    const raw = rawSide(rawFile, batches);
    const append = logSide(log, batches);
    await raw.run(WARMUP_BYTES);
    await append.run(WARMUP_BYTES);
    const rawMibPerSecond: number[] = [];
    const logMibPerSecond: number[] = [];
    const ratios: number[] = [];
    let logMs = 0;
    let rawCpuUs = 0;
    let logCpuUs = 0;
    let crcUs = 0;
    crcCpuUs(batches, WARMUP_BYTES);
    timer.totalMs = 0;
    // CPU time of the whole process (all threads, user + system) per side: the load-independent view.
    const timed = async (side: Side): Promise<{ ms: number; cpuUs: number }> => {
      const before = process.cpuUsage();
      const ms = await side.run(ROUND_BYTES);
      const used = process.cpuUsage(before);
      return { ms, cpuUs: used.user + used.system };
    };
    for (let round = 0; round < rounds; round++) {
      let rawRun: { ms: number; cpuUs: number };
      let logRun: { ms: number; cpuUs: number };
      if (round % 2 === 0) {
        rawRun = await timed(raw);
        logRun = await timed(append);
      } else {
        logRun = await timed(append);
        rawRun = await timed(raw);
      }
      const rawMs = rawRun.ms;
      const appendMs = logRun.ms;
      rawCpuUs += rawRun.cpuUs;
      logCpuUs += logRun.cpuUs;
      crcUs += crcCpuUs(batches, ROUND_BYTES);
      logMs += appendMs;
      rawMibPerSecond.push(ROUND_BYTES / MIB / (rawMs / 1000));
      logMibPerSecond.push(ROUND_BYTES / MIB / (appendMs / 1000));
      ratios.push(rawMs / appendMs);
    }
    const inWrite = timer.totalMs / logMs;
    const read = await readAll(log);
    const rawCpuMs = rawCpuUs / 1000 / (rounds * ROUND_BYTES / MIB);
    const logCpuMs = logCpuUs / 1000 / (rounds * ROUND_BYTES / MIB);
    const crcCpuMs = crcUs / 1000 / (rounds * ROUND_BYTES / MIB);
    console.log(
      `${label.padEnd(15)} raw ${median(rawMibPerSecond).toFixed(0).padStart(5)} MiB/s | append ${median(logMibPerSecond).toFixed(0).padStart(5)} MiB/s` +
        ` | ratio ${median(ratios).toFixed(2)} (rounds ${range(ratios, 2)}, goal ≥ 0.80) | in write ${(inWrite * 100).toFixed(0)}%` +
        ` | cpu/MiB raw ${rawCpuMs.toFixed(2)} ms log ${logCpuMs.toFixed(2)} ms (crc ${crcCpuMs.toFixed(2)}, rest ${(logCpuMs - rawCpuMs - crcCpuMs).toFixed(2)})` +
        ` | read ${read.toFixed(0).padStart(5)} MiB/s`,
    );
  } finally {
    await rawFile.close();
    await manager.close();
    await rm(dir, { recursive: true, force: true });
  }
}
