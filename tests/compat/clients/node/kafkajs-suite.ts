// kafkajs 2.2.4 run. Usage: node kafkajs-suite.ts <bootstrap> <prefix>
// kafkajs ships gzip only; snappy, lz4 and zstd are plugged in from @kafkaesque/protocol's codecs
// (kafkajs' documented codec hook), which also proves those codecs against real Kafka.
import { compress, decompress, compressionFromName } from '@kafkaesque/protocol';
import kafkajs from 'kafkajs';
import { codecNames, payload, Report, stepTimeoutMs, verifyConsumed, waitFor, type CodecName } from './report.ts';

const { Kafka, CompressionTypes, CompressionCodecs, ConfigResourceTypes, logLevel } = kafkajs;
const [bootstrap, prefix] = process.argv.slice(2);
if (bootstrap === undefined || prefix === undefined) throw new Error('usage: kafkajs-suite.ts <bootstrap> <prefix>');
const report = new Report('kafkajs', '2.2.4');
const kafka = new Kafka({ clientId: 'kafkaesque-compat-kafkajs', brokers: bootstrap.split(','), logLevel: logLevel.ERROR });

const kafkajsType: Record<CodecName, number> = {
  none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD,
};
for (const name of ['snappy', 'lz4', 'zstd'] as const) {
  const codec = compressionFromName(name);
  (CompressionCodecs as Record<number, unknown>)[kafkajsType[name]] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(codec, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(codec, buffer),
  });
}

async function retention(admin: kafkajs.Admin, topic: string): Promise<string | undefined> {
  const described = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false,
  });
  return described.resources[0]?.configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue;
}

async function runAdmin(admin: kafkajs.Admin): Promise<void> {
  const topic = `${prefix}-admin`;
  if (!await report.attempt('admin.createTopics', async () => {
    const created = await admin.createTopics({ waitForLeaders: true,
      topics: [{ topic, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '123456789' }] }] });
    if (!created) throw new Error('createTopics returned false');
  })) return;
  await report.attempt('admin.describeTopics', async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = metadata.topics[0]?.partitions.length;
    if (count !== 3) throw new Error(`${count} partitions`);
  });
  await report.attempt('admin.describeConfigs', async () => {
    const value = await retention(admin, topic);
    if (value !== '123456789') throw new Error(`retention.ms=${value}`);
  });
  await report.attempt('admin.alterConfigs', async () => {
    await admin.alterConfigs({ validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '987654321' }] }] });
    await waitFor(async () => await retention(admin, topic) === '987654321', 'config change', 10_000);
  });
  await report.attempt('admin.deleteTopics', async () => {
    await admin.deleteTopics({ topics: [topic], timeout: stepTimeoutMs });
    await waitFor(async () => !(await admin.listTopics()).includes(topic), 'topic still listed');
  });
}

async function produce(topic: string, label: string, compression: number, idempotent: boolean): Promise<string[]> {
  const producer = kafka.producer({ idempotent, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const values = Array.from({ length: 5 }, (_, i) => payload(label, i));
    await producer.send({ topic, acks: -1, compression, messages: values.map((value, i) => ({ key: String(i), value })) });
    return values;
  } finally {
    await producer.disconnect();
  }
}

async function consumeGroup(admin: kafkajs.Admin, topic: string, groupId: string, expected: Map<string, string>): Promise<void> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  await consumer.connect();
  const seen = new Set<string>();
  let count = 0;
  let lastOffset = -1n;
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => {
      seen.add(message.value?.toString() ?? '');
      count += 1;
      lastOffset = BigInt(message.offset);
    } });
    await waitFor(() => seen.size >= expected.size, 'all records consumed').catch(() => undefined);
    const missing = verifyConsumed(report, expected, seen);
    report.check('consume.group', Object.keys(missing).length > 0 ? `missing records: ${JSON.stringify(missing)}` : undefined, { records: count });
    await report.attempt('commit', async () => {
      await consumer.commitOffsets([{ topic, partition: 0, offset: String(lastOffset + 1n) }]);
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      const offset = committed[0]?.partitions.find((p) => p.partition === 0)?.offset;
      if (offset !== String(count)) throw new Error(`committed ${offset}, want ${count}`);
    });
  } finally {
    await consumer.disconnect();
  }
}

async function rebalance(admin: kafkajs.Admin): Promise<unknown> {
  const topic = `${prefix}-rebalance`;
  const groupId = `${prefix}-g2`;
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2, replicationFactor: 1 }] });
  const owned: Record<string, number[]> = {};
  const members: kafkajs.Consumer[] = [];
  const member = async (name: string) => {
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    members.push(consumer);
    consumer.on(consumer.events.GROUP_JOIN, (event) => { owned[name] = [...(event.payload.memberAssignment[topic] ?? [])].sort(); });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({ autoCommit: false, eachMessage: async () => {} });
  };
  try {
    await member('a');
    await waitFor(() => owned.a?.length === 2, 'first member never owned both partitions');
    await member('b');
    await waitFor(() => owned.a?.length === 1 && owned.b?.length === 1, `partitions not split: ${JSON.stringify(owned)}`, 2 * stepTimeoutMs);
    return { ...owned };
  } finally {
    await Promise.all(members.map((consumer) => consumer.disconnect()));
  }
}

async function main(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await runAdmin(admin);
    const topic = `${prefix}-codecs`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
    const expected = new Map<string, string>();
    for (const codec of codecNames) {
      await report.attempt(`produce.${codec}`, async () => {
        for (const value of await produce(topic, codec, kafkajsType[codec], false)) expected.set(value, `produce.${codec}`);
        return codec === 'none' || codec === 'gzip' ? undefined : 'codec plugged in from @kafkaesque/protocol';
      });
    }
    await report.attempt('produce.idempotent', async () => {
      for (const value of await produce(topic, 'idempotent', CompressionTypes.None, true)) expected.set(value, 'produce.idempotent');
    });
    await consumeGroup(admin, topic, `${prefix}-g1`, expected);
    await report.attempt('rebalance', () => rebalance(admin));
  } finally {
    await admin.disconnect();
  }
}

try {
  await main();
} catch (error) {
  report.check('run', error);
}
report.print();
process.exit(0);
