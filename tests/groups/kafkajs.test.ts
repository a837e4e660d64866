/**
 * Consumer groups with kafkajs 2.2.4 against our broker: a group reads everything and commits,
 * committed offsets read back through the admin client, two consumers split the partitions
 * and the survivor takes over when one leaves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { startCluster, type Cluster } from '@kafkaesque/broker';

let cluster: Cluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 1, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '10' } });
  kafka = new Kafka({ clientId: 'groups-test', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
});

afterAll(async () => {
  await cluster?.close();
});

async function produce(topic: string, count: number, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: count }, (_, index) => ({ key: `k${index}`, value: `v${index}`, partition: index % partitions })) });
  await producer.disconnect();
}

function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (condition()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 50);
    };
    poll();
  });
}

describe('kafkajs consumer groups', () => {
  it('reads every message in a group, commits, and admin.fetchOffsets reads the offsets back', async () => {
    await produce('kj-orders', 30, 3);
    const consumer = kafka.consumer({ groupId: 'kj-group', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    const seen = new Set<string>();
    await consumer.connect();
    await consumer.subscribe({ topic: 'kj-orders', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }: EachMessagePayload) => { seen.add(message.value!.toString()); } });
    await waitFor(() => seen.size === 30, 'all 30 messages');
    await consumer.disconnect(); // commits on the way out
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'kj-group', topics: ['kj-orders'] });
    const partitions = offsets[0].partitions.sort((a, b) => a.partition - b.partition);
    expect(partitions.map((partition) => partition.offset)).toEqual(['10', '10', '10']);
    const groups = await admin.listGroups();
    expect(groups.groups.map((group) => group.groupId)).toContain('kj-group');
    const described = await admin.describeGroups(['kj-group']);
    expect(described.groups[0]).toMatchObject({ groupId: 'kj-group', state: 'Empty', protocolType: 'consumer' });
    await admin.deleteGroups(['kj-group']);
    expect((await admin.fetchOffsets({ groupId: 'kj-group', topics: ['kj-orders'] }))[0].partitions.map((partition) => partition.offset)).toEqual(['-1', '-1', '-1']);
    await admin.disconnect();
  });

  it('splits partitions between two consumers and hands them all to the survivor', async () => {
    await produce('kj-split', 12, 4);
    const assignments = new Map<string, number[]>();
    const make = (name: string): Consumer => {
      const consumer = kafka.consumer({ groupId: 'kj-split-group', sessionTimeout: 10_000, heartbeatInterval: 300, rebalanceTimeout: 10_000, maxWaitTimeInMs: 200 });
      consumer.on(consumer.events.GROUP_JOIN, (event) => { assignments.set(name, event.payload.memberAssignment['kj-split'] ?? []); });
      return consumer;
    };
    const first = make('first');
    const second = make('second');
    for (const consumer of [first, second]) {
      await consumer.connect();
      await consumer.subscribe({ topic: 'kj-split', fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
    }
    await waitFor(() => {
      const all = [...(assignments.get('first') ?? []), ...(assignments.get('second') ?? [])].sort();
      return assignments.size === 2 && (assignments.get('first')?.length ?? 0) > 0 && (assignments.get('second')?.length ?? 0) > 0 && all.join() === '0,1,2,3';
    }, 'disjoint assignments covering 4 partitions');
    await second.disconnect();
    await waitFor(() => (assignments.get('first') ?? []).slice().sort().join() === '0,1,2,3', 'the survivor owning every partition');
    await first.disconnect();
  });

  it('resumes from committed offsets after the broker restarts (offsets survive in __consumer_offsets)', async () => {
    await produce('kj-restart', 10, 1);
    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId: 'kj-restart-group', sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'kj-restart', fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message, partition }) => {
      const value = message.value!.toString();
      seen.push(value);
      if (seen.length <= 6) await consumer.commitOffsets([{ topic: 'kj-restart', partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    } });
    await waitFor(() => seen.length >= 10, 'the first 10 messages');
    await consumer.disconnect();
    await cluster.restartBroker(1);
    const resumed: string[] = [];
    const again = kafka.consumer({ groupId: 'kj-restart-group', sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    await again.connect();
    await again.subscribe({ topic: 'kj-restart', fromBeginning: true });
    await again.run({ eachMessage: async ({ message }) => { resumed.push(message.value!.toString()); } });
    await waitFor(() => resumed.length >= 4, 'the uncommitted messages');
    expect(resumed).toEqual(['v6', 'v7', 'v8', 'v9']);
    await again.disconnect();
  });
});
