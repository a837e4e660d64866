// The kafkaesque client against real Apache Kafka (3.9 and 4.1, KRaft, one node, from the
// compatibility lab's startRealKafka): admin, produce with every codec, idempotence, consume,
// groups with every assignor, commits, transactions with read_committed, offsets and records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Admin,
  Consumer,
  KafkaResponseError,
  Producer,
  deserializers,
  serializers,
  type ConsumerOptions,
} from '@kafkaesque/client';
import { startRealKafka, type RealKafka, type RealKafkaVersion } from '../support/real-kafka.ts';

async function take<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) {
    out.push(item);
    if (out.length >= count) break;
  }
  return out;
}

for (const version of ['3.9', '4.1'] as RealKafkaVersion[]) {
  describe(`kafkaesque client against real Kafka ${version}`, () => {
    let kafka: RealKafka;
    let admin: Admin;
    const closers: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      kafka = await startRealKafka({ version });
      admin = new Admin({ bootstrapServers: kafka.bootstrap });
    });
    afterAll(async () => {
      for (const close of closers.splice(0).reverse()) await close().catch(() => {});
      await admin?.close();
      await kafka?.close();
    });

    function consumer<K = Buffer | null, V = Buffer | null>(options: Partial<ConsumerOptions<K, V>> = {}): Consumer<K, V> {
      const created = new Consumer<K, V>({ bootstrapServers: kafka.bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, ...options });
      closers.push(() => created.close());
      return created;
    }

    it('admin: topics, configs, partitions, cluster', async () => {
      await admin.createTopics([{ name: 'real-admin', numPartitions: 2, replicationFactor: 1, configs: { 'retention.ms': '3600000' } }]);
      expect(await admin.listTopics()).toContain('real-admin');
      const [config] = await admin.describeConfigs([{ type: 'topic', name: 'real-admin', configNames: ['retention.ms'] }]);
      expect(config.configs[0]).toMatchObject({ name: 'retention.ms', value: '3600000' });
      await admin.incrementalAlterConfigs([{ type: 'topic', name: 'real-admin', configs: [{ name: 'retention.ms', value: '7200000' }] }]);
      // KRaft applies config changes through the metadata log: visible a moment later
      let value: string | null = null;
      for (let i = 0; i < 100 && value !== '7200000'; i++) {
        const [altered] = await admin.describeConfigs([{ type: 'topic', name: 'real-admin', configNames: ['retention.ms'] }]);
        value = altered.configs[0].value;
        if (value !== '7200000') await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(value).toBe('7200000');
      await admin.createPartitions([{ topic: 'real-admin', count: 3 }]);
      expect((await admin.describeTopics(['real-admin']))[0].partitions).toHaveLength(3);
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      const error = await admin.createTopics([{ name: 'real-admin', numPartitions: 1 }]).catch((failure: unknown) => failure);
      expect((error as KafkaResponseError).errorName).toBe('TOPIC_ALREADY_EXISTS');
      // one broker: the preferred leader already leads, and reassigning to it is a no-op move
      await admin.electLeaders([{ topic: 'real-admin', partition: 0 }]);
      await admin.reassignPartitions([{ topic: 'real-admin', partition: 0, replicas: [1] }]);
      const badMove = await admin.reassignPartitions([{ topic: 'real-admin', partition: 0, replicas: [42] }]).catch((failure: unknown) => failure);
      expect(badMove).toBeInstanceOf(KafkaResponseError);
      await admin.deleteTopics(['real-admin']);
    });

    it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)('produces with %s (idempotent) and consumes it back', async (compression) => {
      const topic = `real-codec-${compression}`;
      await admin.createTopics([{ name: topic, numPartitions: 1 }]);
      const producer = new Producer<string, unknown>({ bootstrapServers: kafka.bootstrap, compression, serializers: { key: serializers.string, value: serializers.json } });
      closers.push(() => producer.close());
      const sent = await Promise.all(Array.from({ length: 50 }, (_, i) => producer.send({ topic, key: `k${i}`, value: { i, text: 'x'.repeat(i * 10) } })));
      expect(sent.map((metadata) => metadata.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(producer.producerIdentity.producerId).toBeGreaterThanOrEqual(0n);
      const reader = consumer<string | null, unknown>({ deserializers: { key: deserializers.string, value: deserializers.json } });
      await reader.assign([{ topic, partition: 0 }]);
      const records = await take(reader, 50);
      expect(records.map((record) => (record.value as { i: number }).i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });

    it.each(['range', 'roundrobin', 'cooperative-sticky'] as const)('consumer group with %s: split, commit, resume', async (assignor) => {
      const topic = `real-group-${assignor}`;
      const groupId = `real-g-${assignor}`;
      await admin.createTopics([{ name: topic, numPartitions: 4 }]);
      const producer = new Producer({ bootstrapServers: kafka.bootstrap });
      closers.push(() => producer.close());
      await Promise.all(Array.from({ length: 40 }, (_, i) => producer.send({ topic, value: `v${i}`, partition: i % 4 })));
      const options = { groupId, assignors: [assignor], heartbeatIntervalMs: 200, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000 };
      const one = consumer(options);
      const two = consumer(options);
      await one.subscribe([topic]);
      const joining = two.subscribe([topic]);
      for (let i = 0; i < 200 && one.assignment().length !== 2; i++) await one.poll(1, 50);
      await joining;
      for (let i = 0; i < 100 && (one.assignment().length !== 2 || two.assignment().length !== 2); i++) await Promise.all([one.poll(1, 20), two.poll(1, 20)]);
      expect([...one.assignment(), ...two.assignment()].map((tp) => tp.partition).sort()).toEqual([0, 1, 2, 3]);
      await one.close();
      await two.close();
      const offsets = await admin.listGroupOffsets(groupId);
      expect(offsets.every((entry) => entry.offset >= 0)).toBe(true);
      await admin.alterGroupOffsets(groupId, [0, 1, 2, 3].map((partition) => ({ topic, partition, offset: 8 })));
      const resumed = consumer({ groupId });
      await resumed.subscribe([topic]);
      const records = await take(resumed, 8);
      expect(records.every((record) => record.offset >= 8)).toBe(true);
    });

    it.runIf(version === '4.1')("consumer group with the KIP-848 protocol (groupProtocol: 'consumer')", async () => {
      const topic = 'real-kip848';
      await admin.createTopics([{ name: topic, numPartitions: 4 }]);
      const producer = new Producer({ bootstrapServers: kafka.bootstrap });
      closers.push(() => producer.close());
      await Promise.all(Array.from({ length: 8 }, (_, i) => producer.send({ topic, value: `v${i}`, partition: i % 4 })));
      const options = { groupId: 'real-kip848-group', groupProtocol: 'consumer' as const };
      const one = consumer(options);
      await one.subscribe([topic]);
      expect(one.assignment()).toHaveLength(4);
      expect(await take(one, 8)).toHaveLength(8);
      await one.commit();
      const two = consumer(options);
      await two.subscribe([topic]);
      for (let i = 0; i < 600 && (one.assignment().length !== 2 || two.assignment().length !== 2); i++) await Promise.all([one.poll(1, 25), two.poll(1, 25)]);
      expect([...one.assignment(), ...two.assignment()].map((tp) => tp.partition).sort()).toEqual([0, 1, 2, 3]);
      await two.close();
      for (let i = 0; i < 600 && one.assignment().length !== 4; i++) await one.poll(1, 25);
      expect(one.assignment()).toHaveLength(4);
      expect(await admin.listGroupOffsets('real-kip848-group')).toHaveLength(4);
    }, 60_000);

    it('transactions: committed records are visible to read_committed, aborted ones are not', async () => {
      const topic = 'real-transactions';
      await admin.createTopics([{ name: topic, numPartitions: 1 }]);
      const producer = new Producer<never, string>({ bootstrapServers: kafka.bootstrap, transactionalId: `real-txn-${version}`, serializers: { value: serializers.string } });
      closers.push(() => producer.close());
      await producer.initTransactions();
      producer.beginTransaction();
      await Promise.all(['a1', 'a2'].map((value) => producer.send({ topic, value })));
      await producer.abortTransaction();
      producer.beginTransaction();
      await Promise.all(['c1', 'c2'].map((value) => producer.send({ topic, value })));
      await producer.sendOffsets([{ topic, partition: 0, offset: 1 }], 'real-txn-group');
      await producer.commitTransaction();
      const reader = consumer<Buffer | null, string | null>({ isolationLevel: 'read_committed', deserializers: { value: deserializers.string } });
      await reader.assign([{ topic, partition: 0 }]);
      const records = await take(reader, 2);
      expect(records.map((record) => record.value)).toEqual(['c1', 'c2']);
      expect(await admin.listGroupOffsets('real-txn-group')).toEqual([{ topic, partition: 0, offset: 1 }]);
      const uncommitted = consumer<Buffer | null, string | null>({ isolationLevel: 'read_uncommitted', deserializers: { value: deserializers.string } });
      await uncommitted.assign([{ topic, partition: 0 }]);
      expect((await take(uncommitted, 4)).map((record) => record.value)).toEqual(['a1', 'a2', 'c1', 'c2']);
    });

    it('lists offsets, finds offsets for times, deletes records', async () => {
      const topic = 'real-offsets';
      await admin.createTopics([{ name: topic, numPartitions: 1 }]);
      const producer = new Producer({ bootstrapServers: kafka.bootstrap });
      closers.push(() => producer.close());
      const base = Date.now() - 10_000;
      for (let i = 0; i < 10; i++) await producer.send({ topic, value: `v${i}`, timestamp: base + i * 1000 });
      const [latest] = await admin.listOffsets([{ topic, partition: 0, at: 'latest' }]);
      expect(latest.offset).toBe(10);
      const reader = consumer();
      await reader.assign([{ topic, partition: 0 }]);
      const [atTime] = await reader.offsetsForTimes([{ topic, partition: 0, timestamp: base + 4500 }]);
      expect(atTime.offset).toBe(5);
      await admin.deleteRecords([{ topic, partition: 0, offset: 3 }]);
      const [earliest] = await admin.listOffsets([{ topic, partition: 0, at: 'earliest' }]);
      expect(earliest.offset).toBe(3);
    });
  });
}
