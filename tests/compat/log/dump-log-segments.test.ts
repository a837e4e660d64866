/**
 * On-disk compatibility with Apache Kafka, both ways:
 * - Kafka's own DumpLogSegments (kafka_2.13 + kafka-tools from Maven Central, Java 17) reads the
 *   segments, indexes, time indexes, producer snapshots and aborted-transaction indexes our log
 *   writes, finds every batch valid and no index mismatch, and prints the offsets we wrote.
 * - Segments written by a real Kafka broker (idempotent and transactional producers, several
 *   segments) are recovered and read by our log with the same offsets and producer state.
 * The jars come from tests/compat/install.sh (Maven); when they are missing the suite fails,
 * unless Maven Central itself cannot be reached, where it skips and prints why.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLogManager, type PartitionLog } from '@kafkaesque/broker';
import { decodeRecordBatches, encodeControlBatch, encodeRecordBatch, type CompressionType } from '@kafkaesque/protocol';
import { mavenClasspath, requireProgram, runProgram } from '../support/programs.ts';
import { startRealKafka, type RealKafkaVersion } from '../support/real-kafka.ts';
import { verifyPartitionDir } from '../../log/verify-segments.ts';

const versions: RealKafkaVersion[] = ['3.9', '4.1'];
const sets: Record<RealKafkaVersion, string> = { '3.9': 'kafka-3.9', '4.1': 'kafka-4.1' };

/** Null when the jars are there; a reason to skip when Maven Central is unreachable; throws otherwise. */
function jarsOrSkipReason(version: RealKafkaVersion): string | null {
  try {
    mavenClasspath(sets[version]);
    return null;
  } catch (error) {
    const probe = spawnSync('curl', ['-sSfI', '--max-time', '10', 'https://repo1.maven.org/maven2/'], { encoding: 'utf8' });
    if (probe.status !== 0) return `Maven Central unreachable (${probe.stderr.trim() || `curl exit ${probe.status}`}); kafka ${version} jars missing: ${(error as Error).message}`;
    throw error;
  }
}

async function dumpLogSegments(version: RealKafkaVersion, files: string[], extra: string[] = []): Promise<string> {
  const java = requireProgram('java', 'openjdk-17');
  const result = await runProgram(java, ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', mavenClasspath(sets[version]), 'kafka.tools.DumpLogSegments', '--files', files.join(','), ...extra], { timeoutMs: 120_000 });
  const output = result.stdout + result.stderr;
  if (result.code !== 0) throw new Error(`DumpLogSegments exited ${result.code}:\n${output}`);
  return output;
}

/** The problems DumpLogSegments reports (it prints them rather than failing). */
function problems(output: string): string[] {
  return output.split('\n').filter((line) => /mismatch|not found|isvalid: false|exception|error|corrupt|failed sanity/i.test(line));
}

interface DumpedBatch {
  baseOffset: number;
  lastOffset: number;
  count: number;
  position: number;
}

function dumpedBatches(output: string): DumpedBatch[] {
  const batches: DumpedBatch[] = [];
  for (const match of output.matchAll(/baseOffset: (\d+) lastOffset: (\d+) count: (\d+) .* position: (\d+) .*isvalid: true/g)) {
    batches.push({ baseOffset: Number(match[1]), lastOffset: Number(match[2]), count: Number(match[3]), position: Number(match[4]) });
  }
  return batches;
}

async function readEverything(log: PartitionLog): Promise<{ offsets: number[]; controlBatches: number }> {
  const offsets: number[] = [];
  let controlBatches = 0;
  let at = log.logStartOffset;
  while (at < log.logEndOffset) {
    const { records } = await log.read(at, 1 << 20);
    const { batches } = decodeRecordBatches(records);
    if (batches.length === 0) break;
    for (const batch of batches) {
      if (batch.isControl) controlBatches++;
      else offsets.push(...batch.records.map((record) => record.offset).filter((offset) => offset >= at));
      at = batch.baseOffset + batch.lastOffsetDelta + 1;
    }
  }
  return { offsets, controlBatches };
}

for (const version of versions) {
  const skipReason = jarsOrSkipReason(version);
  if (skipReason) console.warn(`[compat/log] skipping kafka ${version} on-disk tests: ${skipReason}`);

  describe.skipIf(skipReason !== null)(`on-disk format vs Kafka ${version}`, () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'kafkaesque-dls-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('DumpLogSegments reads our segments, indexes, snapshots and txn indexes without error', async () => {
      const manager = await openLogManager({ logDirs: [dir], brokerId: 1, backgroundTasks: false, defaultConfig: { segmentBytes: 6_000, indexIntervalBytes: 300 } });
      const log = await manager.getOrCreateLog({ topic: 'ours', partition: 0 }, { topicId: 'q8Ofz8ZpRkGRmiu2rUlPbw' });
      const now = Date.now();
      for (let index = 0; index < 120; index++) {
        const records = Array.from({ length: 1 + (index % 4) }, (_, r) => ({ key: `key-${index % 7}`, value: `value-${index}-${r}`, timestamp: now + index * 10 + r }));
        const result = await log.appendAsLeader(encodeRecordBatch({ records, compression: (index % 5) as CompressionType, producerId: 42n, producerEpoch: 0, baseSequence: index === 0 ? 0 : log.producerState(42n)!.lastSequence + 1 }), { leaderEpoch: index < 60 ? 3 : 5 });
        expect(result.ok).toBe(true);
      }
      await log.appendAsLeader(encodeRecordBatch({ records: [{ key: 't', value: 'aborted', timestamp: now + 5_000 }], producerId: 77n, producerEpoch: 1, baseSequence: 0, transactional: true }), { leaderEpoch: 5 });
      await log.appendAsLeader(encodeControlBatch({ type: 'abort', producerId: 77n, producerEpoch: 1, coordinatorEpoch: 9, timestamp: now + 5_001 }), { leaderEpoch: 5, origin: 'coordinator' });
      log.setHighWatermark(log.logEndOffset);
      const ourSegments = log.segments();
      await log.roll();
      await manager.close();

      const partitionDir = join(dir, 'ours-0');
      const names = readdirSync(partitionDir).sort();
      const logs = names.filter((name) => name.endsWith('.log'));
      expect(logs.length).toBeGreaterThan(3);
      const output = await dumpLogSegments(version, logs.map((name) => join(partitionDir, name)), ['--deep-iteration', '--print-data-log']);
      expect(problems(output)).toEqual([]);
      const batches = dumpedBatches(output);
      const ours = await verifyPartitionDir(partitionDir);
      expect(batches.map((b) => [b.baseOffset, b.lastOffset, b.position])).toEqual(ours.flatMap((segment) => segment.batches.map((b) => [b.baseOffset, b.lastOffset, b.position])));
      const recordOffsets = [...output.matchAll(/\| offset: (\d+) /g)].map((match) => Number(match[1]));
      expect(recordOffsets).toEqual(Array.from({ length: recordOffsets.length }, (_, index) => index));
      expect(recordOffsets.length).toBe(ourSegments.at(-1)!.nextOffset);

      const indexes = names.filter((name) => name.endsWith('.index') || name.endsWith('.timeindex'));
      const indexOutput = await dumpLogSegments(version, indexes.map((name) => join(partitionDir, name)));
      expect(problems(indexOutput)).toEqual([]);
      expect([...indexOutput.matchAll(/^offset: (\d+) position: (\d+)$/gm)].length).toBeGreaterThan(5);
      const sanity = await dumpLogSegments(version, indexes.map((name) => join(partitionDir, name)), ['--index-sanity-check']);
      expect(sanity.match(/passed sanity check|\.index is empty/g)?.length, sanity).toBe(indexes.length);

      const snapshots = names.filter((name) => name.endsWith('.snapshot'));
      const txnIndexes = names.filter((name) => name.endsWith('.txnindex'));
      const stateOutput = await dumpLogSegments(version, [...snapshots, ...txnIndexes].map((name) => join(partitionDir, name)));
      expect(problems(stateOutput)).toEqual([]);
      expect(stateOutput).toMatch(/producerId: 42 producerEpoch: 0 coordinatorEpoch: -1 .*lastSequence: \d+/);
      expect(stateOutput).toMatch(/producerId: 77 producerEpoch: 1 coordinatorEpoch: 9/);
      const abortedFirst = ourSegments.at(-1)!.nextOffset - 2;
      expect(stateOutput).toContain(`version: 0 producerId: 77 firstOffset: ${abortedFirst} lastOffset: ${abortedFirst + 1}`);
    });

    it('reads segments written by a real Kafka broker (idempotent and transactional producers)', async () => {
      // Kafka 4 refuses segments below 1 MiB: more data there for several segments.
      const segmentBytes = version === '3.9' ? 40_000 : 1_048_576;
      const recordCount = version === '3.9' ? 1_500 : 9_000;
      const kafka = await startRealKafka({ version, keepDir: true, config: { 'log.segment.bytes': String(segmentBytes), 'log.index.interval.bytes': '1024' } });
      const java = requireProgram('java');
      const perf = (extra: string[]) => runProgram(java, ['-Xmx256m', '-cp', mavenClasspath(sets[version]), 'org.apache.kafka.tools.ProducerPerformance', '--topic', 'theirs', '--num-records', String(recordCount), '--record-size', '300', '--throughput', '-1', '--producer-props', `bootstrap.servers=${kafka.bootstrap}`, 'linger.ms=5', 'batch.size=4096', 'compression.type=lz4', ...extra], { timeoutMs: 120_000 });
      let kafkaDir = '';
      try {
        const plain = await perf([]);
        expect(plain.code, plain.stdout + plain.stderr).toBe(0);
        const transactional = await perf(['--transactional-id', 'compat-log', '--transaction-duration-ms', '200']);
        expect(transactional.code, transactional.stdout + transactional.stderr).toBe(0);
      } finally {
        await kafka.close();
        kafkaDir = kafka.dir;
      }
      try {
        const source = join(kafkaDir, 'data', 'theirs-0');
        expect(existsSync(source)).toBe(true);
        const kafkaSegments = readdirSync(source).filter((name) => name.endsWith('.log')).sort();
        expect(kafkaSegments.length).toBeGreaterThan(2);
        const theirDump = dumpedBatches(await dumpLogSegments(version, kafkaSegments.map((name) => join(source, name))));
        cpSync(source, join(dir, 'theirs-0'), { recursive: true });
        const manager = await openLogManager({ logDirs: [dir], brokerId: 1, backgroundTasks: false });
        const log = manager.getLog({ topic: 'theirs', partition: 0 })!;
        expect(log.logEndOffset).toBe(theirDump.at(-1)!.lastOffset + 1);
        const { offsets, controlBatches } = await readEverything(log);
        expect(offsets.length).toBe(2 * recordCount);
        expect(controlBatches).toBeGreaterThan(0);
        const expectedOffsets = new Set(theirDump.flatMap((b) => Array.from({ length: b.lastOffset - b.baseOffset + 1 }, (_, i) => b.baseOffset + i)));
        expect(offsets.every((offset) => expectedOffsets.has(offset))).toBe(true);
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
        // Kafka's producer snapshot and leader-epoch checkpoint loaded: the producers are known.
        expect(log.activeProducers().length).toBeGreaterThanOrEqual(2);
        expect(log.latestEpoch).toBeGreaterThanOrEqual(0);
        expect(log.lastStableOffset).toBeLessThanOrEqual(log.logEndOffset);
        const first = await log.offsetForTimestamp(0);
        expect(first?.offset).toBe(0);
        await manager.close();
        await verifyPartitionDir(join(dir, 'theirs-0'));
      } finally {
        rmSync(kafkaDir, { recursive: true, force: true });
      }
    }, 300_000);
  });
}
