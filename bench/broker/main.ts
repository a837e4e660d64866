/**
 * Broker throughput driven by a real client (@platformatic/kafka 2.12.1, a dev dependency of
 * tests/): produce 1 KB records with acks=1 and acks=all, then fetch them all back, printing
 * MB/s for kafkaesque and for real Apache Kafka (single broker each, same client, same
 * records), and our ratio to it. Rounds alternate which broker goes first so machine noise
 * hits both; each figure is the median over the rounds. Both brokers run in their own process
 * (`kafkaesque up`; one JVM from the compat lab), so client and broker never share an event loop.
 *
 * Real Kafka needs the jars the compat lab installs (`bash tests/compat/install.sh`); without
 * them the Apache Kafka and ratio columns say so and our figures are still printed.
 *
 *   pnpm exec node bench/broker/main.ts [--records 50000] [--rounds 5] [--warmup-records 5000] [--batch 200]
 *       [--in-flight 8] [--kafka-version 3.9|4.1] [--no-kafka]
 *       [--broker-node-flags "--cpu-prof"]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MissingProgramError } from '../../tests/compat/support/programs.ts';
import { realKafkaVersions, startRealKafka, type RealKafka, type RealKafkaVersion } from '../../tests/compat/support/real-kafka.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '5' },
    /** Records produced and fetched once per broker before round 1, unmeasured: connections,
     *  JIT (both V8 and the JVM) and page cache get warm before anything counts. */
    'warmup-records': { type: 'string', default: '5000' },
    batch: { type: 'string', default: '200' },
    'in-flight': { type: 'string', default: '8' },
    'kafka-version': { type: 'string', default: '3.9' },
    /** Measure kafkaesque only (no JVM). */
    'no-kafka': { type: 'boolean', default: false },
    /** Extra Node flags for the kafkaesque broker process, e.g. "--cpu-prof". */
    'broker-node-flags': { type: 'string', default: '' },
  },
});
const recordCount = Number(values.records);
const roundCount = Number(values.rounds);
const warmupRecordCount = Number(values['warmup-records']);
const batchSize = Number(values.batch);
const inFlightMax = Number(values['in-flight']);
const kafkaVersion = values['kafka-version'] as RealKafkaVersion;
if (!(kafkaVersion in realKafkaVersions)) throw new Error(`--kafka-version must be one of ${Object.keys(realKafkaVersions).join(', ')}`);
for (const [name, n] of [['records', recordCount], ['rounds', roundCount], ['batch', batchSize], ['in-flight', inFlightMax]] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
}
if (!Number.isInteger(warmupRecordCount) || warmupRecordCount < 0) throw new Error('--warmup-records must be a non-negative integer');
const recordBytes = 1024;
const partitionCount = 3;
/** The kafkaesque broker gets this long to shut down gracefully before SIGKILL. */
const brokerStopTimeoutMs = 10_000;

const testsRequire = createRequire(new URL('../../tests/package.json', import.meta.url));
const { Admin, Consumer, Producer } = await import(testsRequire.resolve('@platformatic/kafka'));

const value = Buffer.alloc(recordBytes, 'x');

interface Target { name: string; bootstrap: string[]; close(): Promise<void> }

/** `kafkaesque up` in its own process. A process-exit hook SIGKILLs it if we die first. */
async function startKafkaesque(): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kafkaesque-bench-'));
  const cli = new URL('../../packages/broker/src/cli/main.ts', import.meta.url).pathname;
  const nodeFlags = values['broker-node-flags'].split(' ').filter((flag) => flag !== '');
  const broker: ChildProcess = spawn(process.execPath, [...nodeFlags, cli, 'up', '--brokers', '1', '--port', '0', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let exited = false;
  const exit = new Promise<void>((resolve) => broker.once('exit', () => { exited = true; resolve(); }));
  const killOnExit = () => { if (!exited) broker.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  const close = async () => {
    if (!exited) {
      broker.kill('SIGTERM');
      const timer = setTimeout(() => broker.kill('SIGKILL'), brokerStopTimeoutMs);
      await exit;
      clearTimeout(timer);
    }
    process.off('exit', killOnExit);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const bootstrap = await new Promise<string>((resolve, reject) => {
      let output = '';
      broker.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        const match = /ready bootstrap=(\S+)/.exec(output);
        if (match) resolve(match[1]);
      });
      void exit.then(() => reject(new Error(`kafkaesque broker exited before ready: ${output.slice(-2000)}`)));
    });
    return { name: 'kafkaesque', bootstrap: bootstrap.split(','), close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function produce(bootstrap: string[], topic: string, acks: number, recordCount: number): Promise<number> {
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: bootstrap, acks, idempotent: false });
  try {
    const started = performance.now();
    let sent = 0;
    const inFlight = new Set<Promise<unknown>>();
    while (sent < recordCount) {
      const count = Math.min(batchSize, recordCount - sent);
      const messages = Array.from({ length: count }, (_, i) => ({ topic, partition: (sent + i) % partitionCount, value }));
      sent += count;
      const pending = producer.send({ messages, acks }).then(() => inFlight.delete(pending));
      inFlight.add(pending);
      if (inFlight.size >= inFlightMax) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const seconds = (performance.now() - started) / 1000;
    return (recordCount * recordBytes) / seconds / 1e6;
  } finally {
    await producer.close();
  }
}

async function fetchAll(bootstrap: string[], topic: string, recordCount: number): Promise<number> {
  const consumer = new Consumer({ clientId: 'bench', bootstrapBrokers: bootstrap, groupId: 'bench-fetch' });
  try {
    const metadata = await consumer.metadata({ topics: [topic] });
    const info = metadata.topics.get(topic);
    const partitions = Array.from({ length: partitionCount }, (_, i) => i);
    const offsets = partitions.map(() => BigInt(primeRecordsPerPartition));
    let bytes = 0;
    let records = 0;
    const started = performance.now();
    while (records < recordCount) {
      const response = await consumer.fetch({
        node: info.partitions[0].leader,
        maxBytes: 16 << 20,
        minBytes: 1,
        maxWaitTime: 100,
        topics: [{
          topicId: info.id,
          partitions: partitions.map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: offsets[partition], lastFetchedEpoch: -1, partitionMaxBytes: 4 << 20 })),
        }],
      });
      for (const partition of response.responses[0].partitions) {
        for (const batch of partition.records ?? []) {
          for (const record of batch.records) {
            bytes += record.value?.length ?? 0;
            records++;
            offsets[partition.partitionIndex] = batch.firstOffset + BigInt(record.offsetDelta) + 1n;
          }
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    return bytes / seconds / 1e6;
  } finally {
    await consumer.close(true);
  }
}

const scenarios = ['produce acks=1', 'produce acks=all', 'fetch'] as const;
type Scenario = typeof scenarios[number];

/** Records each partition holds before a round is timed (see primePartitions). */
const primeRecordsPerPartition = 1;

/** A new partition is ready for the timed run only once it accepts a write: Kafka answers
 *  CreateTopics, and even lists a leader in Metadata, before the leader takes produce requests
 *  (NOT_LEADER_OR_FOLLOWER, then the client's 1 s retry back-off would land in the first timed
 *  scenario). One acked record per partition, untimed; fetch starts after it. */
async function primePartitions(bootstrap: string[], topics: string[]): Promise<void> {
  const producer = new Producer({ clientId: 'bench-prime', bootstrapBrokers: bootstrap, acks: 1, idempotent: false, retries: 20 });
  try {
    const messages = topics.flatMap((topic) => Array.from({ length: partitionCount }, (_, partition) => ({ topic, partition, value })));
    await producer.send({ messages, acks: 1 });
  } finally {
    await producer.close();
  }
}

/** One round against one broker: fresh topics, so each round writes and reads the same amount. */
async function runRound(target: Target, round: string, recordCount: number): Promise<Record<Scenario, number>> {
  const [acks1Topic, acksAllTopic] = [`bench-${round}-acks1`, `bench-${round}-acksall`];
  const admin = new Admin({ clientId: 'bench', bootstrapBrokers: target.bootstrap });
  try {
    await admin.createTopics({ topics: [acks1Topic, acksAllTopic], partitions: partitionCount, replicas: 1 });
  } finally {
    await admin.close();
  }
  await primePartitions(target.bootstrap, [acks1Topic, acksAllTopic]);
  const acks1 = await produce(target.bootstrap, acks1Topic, 1, recordCount);
  const acksAll = await produce(target.bootstrap, acksAllTopic, -1, recordCount);
  const fetched = await fetchAll(target.bootstrap, acks1Topic, recordCount);
  return { 'produce acks=1': acks1, 'produce acks=all': acksAll, fetch: fetched };
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function printTable(ours: Record<Scenario, number[]>, theirs: Record<Scenario, number[]> | undefined, theirsMissing: string): void {
  const header = ['scenario', 'kafkaesque MB/s', `Apache Kafka ${kafkaVersion} MB/s`, 'ratio'];
  const rows = scenarios.map((scenario) => {
    const our = median(ours[scenario]);
    if (theirs === undefined) return [scenario, our.toFixed(1), theirsMissing, theirsMissing];
    const their = median(theirs[scenario]);
    return [scenario, our.toFixed(1), their.toFixed(1), `${(our / their).toFixed(2)}x`];
  });
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((width, column) => column === 0 ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

const targets: Target[] = [];
// On Ctrl-C / kill, close what runs (the 'exit' hook and the lab's watchdog cover harder deaths).
const onSignal = (signal: NodeJS.Signals) => {
  console.error(`\n${signal}: stopping the brokers`);
  void Promise.allSettled(targets.map((target) => target.close())).finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

try {
  const kafkaesque = await startKafkaesque();
  targets.push(kafkaesque);
  let kafka: Target | undefined;
  let kafkaMissing = '';
  if (values['no-kafka']) {
    kafkaMissing = 'not run';
    console.log('--no-kafka: Apache Kafka not measured, ratio column unavailable');
  } else {
    try {
      const real: RealKafka = await startRealKafka({ version: kafkaVersion });
      kafka = { name: `Apache Kafka ${kafkaVersion}`, bootstrap: [real.bootstrap], close: () => real.close() };
      targets.push(kafka);
    } catch (error) {
      if (!(error instanceof MissingProgramError)) throw error;
      kafkaMissing = 'n/a';
      console.log(`Apache Kafka ${kafkaVersion} is not installed here (${error.message.split(';')[0]}): ` +
        'the Apache Kafka and ratio columns are unavailable. Install it with `bash tests/compat/install.sh` and rerun.');
    }
  }

  const ours = { 'produce acks=1': [], 'produce acks=all': [], fetch: [] } as Record<Scenario, number[]>;
  const theirs = kafka && { 'produce acks=1': [], 'produce acks=all': [], fetch: [] } as Record<Scenario, number[]>;
  if (warmupRecordCount > 0) {
    for (const target of kafka === undefined ? [kafkaesque] : [kafkaesque, kafka]) await runRound(target, 'warmup', warmupRecordCount);
  }
  for (let round = 1; round <= roundCount; round++) {
    // Alternate the order so a burst of load from the other engineers hits both sides alike.
    const order = kafka === undefined ? [kafkaesque] : round % 2 === 1 ? [kafkaesque, kafka] : [kafka, kafkaesque];
    for (const target of order) {
      const result = await runRound(target, `r${round}`, recordCount);
      const into = target === kafkaesque ? ours : theirs!;
      for (const scenario of scenarios) into[scenario].push(result[scenario]);
      console.log(`round ${round} ${target.name.padEnd(16)} ${scenarios.map((s) => `${s} ${result[s].toFixed(1)}`).join(', ')} MB/s`);
    }
  }
  console.log(`\nrecords: ${recordCount} x ${recordBytes} B, ${batchSize} per send, ${inFlightMax} sends in flight, ` +
    `${partitionCount} partitions, 1 broker each, ${warmupRecordCount} warm-up records, median of ${roundCount} alternating rounds; ` +
    'ratio = kafkaesque / Apache Kafka');
  printTable(ours, theirs, kafkaMissing);
} finally {
  await Promise.allSettled(targets.map((target) => target.close()));
}
