/**
 * Broker throughput driven by a real client (@platformatic/kafka 2.12.1, a dev dependency of
 * tests/): produce 1 KB records with acks=1 and acks=all, then fetch them all back, printing
 * MB/s. The broker runs in its own process (`kafkaesque up`), so client and broker do not
 * share an event loop.
 *
 *   pnpm exec node bench/broker/main.ts [--records 50000] [--batch 200] [--in-flight 8]
 *                                       [--broker-node-flags "--cpu-prof"]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '200' },
    'in-flight': { type: 'string', default: '8' },
    /** Extra Node flags for the broker process, e.g. "--cpu-prof". */
    'broker-node-flags': { type: 'string', default: '' },
  },
});
const recordCount = Number(values.records);
const batchSize = Number(values.batch);
const inFlightMax = Number(values['in-flight']);
const recordBytes = 1024;

const testsRequire = createRequire(new URL('../../tests/package.json', import.meta.url));
const { Admin, Consumer, Producer } = await import(testsRequire.resolve('@platformatic/kafka'));

const dataDir = mkdtempSync(join(tmpdir(), 'kafkaesque-bench-'));
const cli = new URL('../../packages/broker/src/cli/main.ts', import.meta.url).pathname;
const nodeFlags = values['broker-node-flags'].split(' ').filter((flag) => flag !== '');
const broker = spawn(process.execPath, [...nodeFlags, cli, 'up', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
const bootstrap = await new Promise<string>((resolve, reject) => {
  let output = '';
  broker.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    const match = /ready bootstrap=(\S+)/.exec(output);
    if (match) resolve(match[1]);
  });
  broker.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
});

const clientOptions = { clientId: 'bench', bootstrapBrokers: [bootstrap] };
const value = Buffer.alloc(recordBytes, 'x');

async function produce(topic: string, acks: number): Promise<number> {
  const producer = new Producer({ ...clientOptions, acks, idempotent: false });
  const started = performance.now();
  let sent = 0;
  const inFlight = new Set<Promise<unknown>>();
  while (sent < recordCount) {
    const count = Math.min(batchSize, recordCount - sent);
    const messages = Array.from({ length: count }, (_, i) => ({ topic, partition: (sent + i) % 3, value }));
    sent += count;
    const pending = producer.send({ messages, acks }).then(() => inFlight.delete(pending));
    inFlight.add(pending);
    if (inFlight.size >= inFlightMax) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return (recordCount * recordBytes) / seconds / 1e6;
}

async function fetchAll(topic: string): Promise<number> {
  const consumer = new Consumer({ ...clientOptions, groupId: 'bench-fetch' });
  const metadata = await consumer.metadata({ topics: [topic] });
  const info = metadata.topics.get(topic);
  const offsets = [0n, 0n, 0n];
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
        partitions: [0, 1, 2].map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: offsets[partition], lastFetchedEpoch: -1, partitionMaxBytes: 4 << 20 })),
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
  await consumer.close(true);
  return bytes / seconds / 1e6;
}

try {
  const admin = new Admin(clientOptions);
  await admin.createTopics({ topics: ['bench-acks1', 'bench-acksall'], partitions: 3, replicas: 1 });
  await admin.close();
  const acks1 = await produce('bench-acks1', 1);
  const acksAll = await produce('bench-acksall', -1);
  const fetched = await fetchAll('bench-acks1');
  console.log(`records: ${recordCount} x ${recordBytes} B, ${batchSize} per send, ${inFlightMax} sends in flight, 3 partitions`);
  console.log(`produce acks=1    ${acks1.toFixed(1)} MB/s`);
  console.log(`produce acks=all  ${acksAll.toFixed(1)} MB/s`);
  console.log(`fetch             ${fetched.toFixed(1)} MB/s`);
} finally {
  broker.kill('SIGTERM');
  await new Promise((resolve) => broker.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
}
