// @platformatic/kafka run. Usage: node platformatic-suite.ts <bootstrap> <prefix>
import {
  Admin, ConfigResourceTypes, Consumer, IncrementalAlterConfigOperationTypes, Producer, compressionsAlgorithms,
  stringDeserializers, stringSerializers,
} from '@platformatic/kafka';
import { readFileSync } from 'node:fs';
import { codecNames, payload, Report, stepTimeoutMs, verifyConsumed, waitFor } from './report.ts';

const [bootstrap, prefix] = process.argv.slice(2);
if (bootstrap === undefined || prefix === undefined) throw new Error('usage: platformatic-suite.ts <bootstrap> <prefix>');
const brokers = bootstrap.split(',');
// The package exports no ./package.json: read it next to the resolved entry point (dist/index.js).
const manifestUrl = new URL('../package.json', import.meta.resolve('@platformatic/kafka'));
const { version } = JSON.parse(readFileSync(manifestUrl, 'utf8')) as { version: string };
const report = new Report('@platformatic/kafka', version);
const clientId = 'kafkaesque-compat-platformatic';

async function retention(admin: Admin, topic: string): Promise<string | null | undefined> {
  const described = await admin.describeConfigs({
    resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['retention.ms'] }],
  });
  return described[0]?.configs.find((config) => config.name === 'retention.ms')?.value;
}

async function runAdmin(admin: Admin): Promise<void> {
  const topic = `${prefix}-admin`;
  if (!await report.attempt('admin.createTopics', async () => {
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1, configs: [{ name: 'retention.ms', value: '123456789' }] });
  })) return;
  await report.attempt('admin.describeTopics', async () => {
    const metadata = await admin.metadata({ topics: [topic] });
    const count = metadata.topics.get(topic)?.partitionsCount;
    if (count !== 3) throw new Error(`${count} partitions`);
  });
  await report.attempt('admin.describeConfigs', async () => {
    const value = await retention(admin, topic);
    if (value !== '123456789') throw new Error(`retention.ms=${value}`);
  });
  await report.attempt('admin.alterConfigs', async () => {
    await admin.incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic,
      configs: [{ name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.SET, value: '987654321' }] }] });
    await waitFor(async () => await retention(admin, topic) === '987654321', 'config change', 10_000);
  });
  await report.attempt('admin.deleteTopics', async () => {
    await admin.deleteTopics({ topics: [topic] });
    await waitFor(async () => !(await admin.listTopics()).includes(topic), 'topic still listed');
  });
}

async function produce(topic: string, label: string, compression: (typeof codecNames)[number], idempotent: boolean): Promise<string[]> {
  const producer = new Producer({ clientId, bootstrapBrokers: brokers, serializers: stringSerializers, compression, idempotent,
    autocreateTopics: false, acks: -1 });
  try {
    const values = Array.from({ length: 5 }, (_, i) => payload(label, i));
    await producer.send({ messages: values.map((value, i) => ({ topic, key: String(i), value })) });
    return values;
  } finally {
    await producer.close();
  }
}

async function consumeGroup(admin: Admin, topic: string, groupId: string, expected: Map<string, string>): Promise<void> {
  const consumer = new Consumer({ clientId, groupId, bootstrapBrokers: brokers, deserializers: stringDeserializers,
    autocommit: false });
  const seen = new Set<string>();
  let count = 0;
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    let last: { commit(): void | Promise<void> } | undefined;
    const done = (async () => {
      for await (const message of stream) {
        seen.add(message.value);
        count += 1;
        last = message;
        if (seen.size >= expected.size) break;
      }
    })();
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, stepTimeoutMs))]);
    const missing = verifyConsumed(report, expected, seen);
    report.check('consume.group', Object.keys(missing).length > 0 ? `missing records: ${JSON.stringify(missing)}` : undefined, { records: count });
    await report.attempt('commit', async () => {
      if (last === undefined) throw new Error('nothing consumed to commit');
      await last.commit();
      const committed = await admin.listConsumerGroupOffsets({ groups: [groupId] });
      const offset = committed[0]?.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === 0)?.committedOffset;
      if (offset !== BigInt(count)) throw new Error(`committed ${offset}, want ${count}`);
    });
    await stream.close();
  } finally {
    await consumer.close(true);
  }
}

async function rebalance(admin: Admin): Promise<unknown> {
  const topic = `${prefix}-rebalance`;
  const groupId = `${prefix}-g2`;
  await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
  const members = new Map<string, Consumer<string, string, string, string>>();
  const owned = (name: string) => (members.get(name)?.assignments ?? []).flatMap((a) => a.topic === topic ? a.partitions : []).sort();
  const member = async (name: string) => {
    const consumer = new Consumer({ clientId: `${clientId}-${name}`, groupId, bootstrapBrokers: brokers,
      deserializers: stringDeserializers, autocommit: false });
    members.set(name, consumer);
    const stream = await consumer.consume({ topics: [topic], mode: 'latest', autocommit: false });
    stream.on('data', () => {});
  };
  try {
    await member('a');
    await waitFor(() => owned('a').length === 2, 'first member never owned both partitions');
    await member('b');
    await waitFor(() => owned('a').length === 1 && owned('b').length === 1,
      'partitions not split between the two members', 2 * stepTimeoutMs);
    return { a: owned('a'), b: owned('b') };
  } finally {
    await Promise.all([...members.values()].map((consumer) => consumer.close(true)));
  }
}

async function main(): Promise<void> {
  const admin = new Admin({ clientId, bootstrapBrokers: brokers });
  try {
    await runAdmin(admin);
    const topic = `${prefix}-codecs`;
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    const expected = new Map<string, string>();
    for (const codec of codecNames) {
      if (!compressionsAlgorithms[codec].available) {
        report.unsupported(`produce.${codec}`, `${codec} needs an optional native module this install lacks`);
        continue;
      }
      await report.attempt(`produce.${codec}`, async () => {
        for (const value of await produce(topic, codec, codec, false)) expected.set(value, `produce.${codec}`);
      });
    }
    await report.attempt('produce.idempotent', async () => {
      for (const value of await produce(topic, 'idempotent', 'none', true)) expected.set(value, 'produce.idempotent');
    });
    await consumeGroup(admin, topic, `${prefix}-g1`, expected);
    await report.attempt('rebalance', () => rebalance(admin));
  } finally {
    await admin.close();
  }
}

try {
  await main();
} catch (error) {
  report.check('run', error);
}
report.print();
process.exit(0);
