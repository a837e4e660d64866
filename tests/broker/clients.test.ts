// Real Node clients against startCluster: kafkajs 2.2.4 and @platformatic/kafka 2.12.1.
// Admin createTopics, producer send (plain, compressed, idempotent), consumers reading by
// group subscription, by explicit offset, and a topic that survives a broker restart.
import { Admin, Consumer, MessagesStreamModes, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 1 });
});

afterAll(async () => {
  await cluster?.close();
});

describe('kafkajs 2.2.4', () => {
  const kafka = () => new Kafka({ clientId: 'kafkajs-test', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });

  it('creates a topic, produces (plain, gzip, idempotent) and consumes everything', async () => {
    const client = kafka();
    const admin = client.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 2 }], waitForLeaders: true })).toBe(true);
    expect(await admin.listTopics()).toContain('kjs');
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const plain = await producer.send({ topic: 'kjs', acks: -1, messages: [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }] });
    expect(plain.every((result) => result.errorCode === 0)).toBe(true);
    await producer.send({ topic: 'kjs', acks: -1, compression: CompressionTypes.GZIP, messages: [{ key: 'c', value: 'three' }, { key: 'd', value: 'four' }] });
    await producer.disconnect();

    const offsets = await admin.fetchTopicOffsets('kjs');
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(4);

    const consumer = client.consumer({ groupId: 'kjs-group', maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'kjs', fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          values.push(String(message.value));
          if (values.length === 4) resolve();
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    expect(values.sort()).toEqual(['four', 'one', 'three', 'two']);
    await admin.disconnect();
  });

  it('reads by offset from a given position (seek)', async () => {
    const client = kafka();
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs-seek', numPartitions: 1 }] });
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: 'kjs-seek', messages: ['m0', 'm1', 'm2', 'm3'].map((value) => ({ value })) });
    await producer.disconnect();
    const consumer = client.consumer({ groupId: 'kjs-seek-group', maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'kjs-seek' });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(`${message.offset}:${message.value}`);
          if (seen.length === 2) resolve();
        },
      }).catch(reject);
      consumer.seek({ topic: 'kjs-seek', partition: 0, offset: '2' });
    });
    await consumer.disconnect();
    await admin.disconnect();
    expect(seen).toEqual(['2:m2', '3:m3']);
  });
});

describe('@platformatic/kafka 2.12.1', () => {
  const options = () => ({ clientId: 'platformatic-test', bootstrapBrokers: [cluster.bootstrap] });

  it('creates a topic, produces idempotently and reads by offset and by group', async () => {
    const admin = new Admin(options());
    await admin.createTopics({ topics: ['plt'], partitions: 1, replicas: 1 });
    expect(await admin.listTopics()).toContain('plt');
    const producer = new Producer({ ...options(), idempotent: true, serializers: stringSerializers });
    const sent = await producer.send({ messages: [{ topic: 'plt', key: 'k1', value: 'v1' }, { topic: 'plt', key: 'k2', value: 'v2' }], acks: -1 });
    expect(sent.offsets?.[0]).toMatchObject({ topic: 'plt', partition: 0 });
    await producer.close();

    const consumer = new Consumer({ ...options(), groupId: 'plt-group', deserializers: stringDeserializers, maxWaitTime: 200 });
    const metadata = await consumer.metadata({ topics: ['plt'] });
    const topic = metadata.topics.get('plt')!;
    const fetched = await consumer.fetch({
      node: topic.partitions[0].leader,
      topics: [{ topicId: topic.id, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 1n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
    });
    const partition = fetched.responses[0].partitions[0];
    expect(partition.errorCode).toBe(0);
    expect(partition.highWatermark).toBe(2n);

    const stream = await consumer.consume({ topics: ['plt'], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    const values: string[] = [];
    for await (const message of stream) {
      values.push(String(message.value));
      if (values.length === 2) break;
    }
    await stream.close();
    await consumer.close(true);
    expect(values).toEqual(['v1', 'v2']);
    await admin.deleteTopics({ topics: ['plt'] });
    expect(await admin.listTopics()).not.toContain('plt');
    await admin.close();
  });
});

describe('restart', () => {
  it('keeps topics and data for clients after a broker restart', async () => {
    const client = new Kafka({ clientId: 'restart', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'survivor', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '123456789' }] }] });
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: 'survivor', messages: [{ value: 'kept' }] });
    await producer.disconnect();
    await admin.disconnect();

    await cluster.restartBroker(1);

    const after = new Kafka({ clientId: 'restart-2', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
    const admin2 = after.admin();
    await admin2.connect();
    expect(await admin2.listTopics()).toContain('survivor');
    const configs = await admin2.describeConfigs({ resources: [{ type: 2, name: 'survivor', configNames: ['retention.ms'] }], includeSynonyms: false });
    expect(configs.resources[0].configEntries[0].configValue).toBe('123456789');
    expect(await admin2.fetchTopicOffsets('survivor')).toEqual([expect.objectContaining({ partition: 0, high: '1', low: '0' })]);
    await admin2.disconnect();
  });
});
