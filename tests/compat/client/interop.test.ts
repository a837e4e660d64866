// Interop of the kafkaesque client with other clients, through a 3-broker kafkaesque cluster:
// what our producer writes, kafka-python, kcat and kafkajs read, and the other way round; keys
// land on the partitions the Java client picks (a table computed by the Java client's own code).
// A missing program fails these tests loudly (requireProgram / requirePython).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, Producer, defaultKeyPartition, deserializers, serializers } from '@kafkaesque/client';
import { loadStartCluster, type Cluster } from '../support/kafkaesque.ts';
import { requireProgram, requirePython, runProgram } from '../support/programs.ts';
import { mavenDir } from '../support/paths.ts';

const testsRequire = createRequire(new URL('../../package.json', import.meta.url));
const kafkajs = testsRequire('kafkajs');

const PARTITIONS = 3;
const KEYS = Array.from({ length: 30 }, (_, i) => `key-${i}-${'x'.repeat(i % 7)}`);

let cluster: Cluster;
let admin: Admin;

beforeAll(async () => {
  const loaded = await loadStartCluster();
  if (!('startCluster' in loaded)) throw new Error(loaded.missing);
  cluster = await loaded.startCluster({ brokers: 3 });
  admin = new Admin({ bootstrapServers: cluster.bootstrap });
});
afterAll(async () => {
  await admin?.close();
  await cluster?.close();
});

async function createTopic(name: string): Promise<void> {
  await admin.createTopics([{ name, numPartitions: PARTITIONS, replicationFactor: 1 }]);
}

/** Our producer writes KEYS with values `value-<key>`. */
async function produceWithOurs(topic: string): Promise<Map<string, number>> {
  const producer = new Producer<string, string>({ bootstrapServers: cluster.bootstrap, serializers: { key: serializers.string, value: serializers.string } });
  try {
    const results = await Promise.all(KEYS.map((key) => producer.send({ topic, key, value: `value-${key}` })));
    return new Map(KEYS.map((key, index) => [key, results[index].partition]));
  } finally {
    await producer.close();
  }
}

/** Our consumer reads `count` records from the start of every partition. */
async function consumeWithOurs(topic: string, count: number): Promise<{ key: string | null; value: string | null; partition: number }[]> {
  const consumer = new Consumer<string | null, string | null>({
    bootstrapServers: cluster.bootstrap,
    autoOffsetReset: 'earliest',
    deserializers: { key: deserializers.string, value: deserializers.string },
    fetchMaxWaitMs: 100,
  });
  try {
    await consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
    const out: { key: string | null; value: string | null; partition: number }[] = [];
    for await (const record of consumer) {
      out.push({ key: record.key, value: record.value, partition: record.partition });
      if (out.length >= count) break;
    }
    return out;
  } finally {
    await consumer.close();
  }
}

function javaPartition(key: string): number {
  return defaultKeyPartition(Buffer.from(key), PARTITIONS);
}

describe('kafkaesque client interop (3-broker kafkaesque cluster)', () => {
  it('keys land on the partitions the Java client picks (table from the Java client)', async () => {
    const java = requireProgram('java', 'apt-get install openjdk-17-jre-headless');
    const jarDir = join(mavenDir, 'kafka-clients-3.9');
    const classpath = readdirSync(jarDir).filter((file) => file.endsWith('.jar')).map((file) => join(jarDir, file)).join(':');
    const keys = [...KEYS, '', 'a', 'ab', 'abc', 'foobar', '21', 'ünïcødé', '🙂 emoji key', 'x'.repeat(1000)];
    const counts = [1, 2, 3, 7, 12, 50, 1000];
    const run = await runProgram(java, ['--class-path', classpath, fileURLToPath(new URL('JavaPartitions.java', import.meta.url)), ...counts.map(String)], {
      input: keys.join('\n') + '\n',
      timeoutMs: 120_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const rows = run.stdout.trim().split('\n').map((line) => line.split('\t'));
    expect(rows).toHaveLength(keys.length * counts.length);
    for (const [key, count, partition] of rows) {
      expect(defaultKeyPartition(Buffer.from(key), Number(count)), `key ${JSON.stringify(key)} with ${count} partitions`).toBe(Number(partition));
    }
  });

  it('kafka-python reads what our producer wrote', async () => {
    const python = requirePython('debian', 'kafka');
    await createTopic('interop-ours-to-python');
    const partitions = await produceWithOurs('interop-ours-to-python');
    const script = `
import json, sys
from kafka import KafkaConsumer
consumer = KafkaConsumer('interop-ours-to-python', bootstrap_servers=sys.argv[1], auto_offset_reset='earliest',
                         enable_auto_commit=False, consumer_timeout_ms=15000, group_id=None)
out = []
for message in consumer:
    out.append({'key': message.key.decode(), 'value': message.value.decode(), 'partition': message.partition})
    if len(out) >= ${KEYS.length}:
        break
consumer.close()
print(json.dumps(out))
`;
    const run = await runProgram(python, ['-c', script, cluster.bootstrap], { timeoutMs: 90_000 });
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const read = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { key: string; value: string; partition: number }[];
    expect(read.map((record) => record.key).sort()).toEqual([...KEYS].sort());
    for (const record of read) {
      expect(record.value).toBe(`value-${record.key}`);
      expect(record.partition).toBe(partitions.get(record.key));
      expect(record.partition).toBe(javaPartition(record.key));
    }
  });

  it('our consumer reads what kafka-python wrote, on the same partitions per key', async () => {
    const python = requirePython('debian', 'kafka');
    await createTopic('interop-python-to-ours');
    const script = `
import sys
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers=sys.argv[1])
for key in sys.argv[2:]:
    producer.send('interop-python-to-ours', key=key.encode(), value=('value-' + key).encode())
producer.flush()
producer.close()
print('{}')
`;
    const run = await runProgram(python, ['-c', script, cluster.bootstrap, ...KEYS], { timeoutMs: 90_000 });
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const read = await consumeWithOurs('interop-python-to-ours', KEYS.length);
    expect(read.map((record) => record.key).sort()).toEqual([...KEYS].sort());
    for (const record of read) {
      expect(record.value).toBe(`value-${record.key}`);
      expect(record.partition).toBe(javaPartition(record.key!));
    }
  });

  it('kcat reads what our producer wrote', async () => {
    const kcat = requireProgram('kcat', 'apt-get install kcat');
    await createTopic('interop-ours-to-kcat');
    const partitions = await produceWithOurs('interop-ours-to-kcat');
    const run = await runProgram(kcat, ['-C', '-b', cluster.bootstrap, '-t', 'interop-ours-to-kcat', '-o', 'beginning', '-e', '-q', '-f', '%k\t%s\t%p\n'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const rows = run.stdout.trim().split('\n').map((line) => line.split('\t'));
    expect(rows.map((row) => row[0]).sort()).toEqual([...KEYS].sort());
    for (const [key, value, partition] of rows) {
      expect(value).toBe(`value-${key}`);
      expect(Number(partition)).toBe(partitions.get(key));
    }
  });

  it('our consumer reads what kcat wrote (murmur2 partitioner: the Java partitions)', async () => {
    const kcat = requireProgram('kcat', 'apt-get install kcat');
    await createTopic('interop-kcat-to-ours');
    const input = KEYS.map((key) => `${key}\tvalue-${key}`).join('\n') + '\n';
    const run = await runProgram(kcat, ['-P', '-b', cluster.bootstrap, '-t', 'interop-kcat-to-ours', '-K', '\t', '-X', 'partitioner=murmur2_random'], { input, timeoutMs: 60_000 });
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const read = await consumeWithOurs('interop-kcat-to-ours', KEYS.length);
    expect(read.map((record) => record.key).sort()).toEqual([...KEYS].sort());
    for (const record of read) {
      expect(record.value).toBe(`value-${record.key}`);
      expect(record.partition).toBe(javaPartition(record.key!));
    }
  });

  it('kafkajs reads what our producer wrote, and we read what kafkajs wrote', async () => {
    await createTopic('interop-ours-to-kafkajs');
    await createTopic('interop-kafkajs-to-ours');
    const partitions = await produceWithOurs('interop-ours-to-kafkajs');
    const kafka = new kafkajs.Kafka({ clientId: 'interop', brokers: cluster.bootstrap.split(','), logLevel: kafkajs.logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'interop-kafkajs' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'interop-ours-to-kafkajs', fromBeginning: true });
    const seen: { key: string; value: string; partition: number }[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ partition, message }: { partition: number; message: { key: Buffer; value: Buffer } }) => {
        seen.push({ key: message.key.toString(), value: message.value.toString(), partition });
        if (seen.length >= KEYS.length) done();
      },
    });
    await finished;
    await consumer.disconnect();
    expect(seen.map((record) => record.key).sort()).toEqual([...KEYS].sort());
    for (const record of seen) expect(record.partition).toBe(partitions.get(record.key));

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'interop-kafkajs-to-ours', messages: KEYS.map((key) => ({ key, value: `value-${key}` })) });
    await producer.disconnect();
    const read = await consumeWithOurs('interop-kafkajs-to-ours', KEYS.length);
    expect(read.map((record) => record.key).sort()).toEqual([...KEYS].sort());
    for (const record of read) {
      expect(record.value).toBe(`value-${record.key}`);
      // kafkajs 2's DefaultPartitioner is Java-compatible murmur2 too
      expect(record.partition).toBe(javaPartition(record.key!));
    }
  });
});
