/**
 * Coordinator failover on a 3-broker cluster with replication: a kafkajs group is reading and
 * committing; the broker coordinating the group is killed; the member finds the new
 * coordinator (the new leader of the group's __consumer_offsets partition, which loads the
 * replicated offsets), keeps consuming, and its commits after the failover land; nothing
 * committed before the kill is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { partitionForKey, startCluster, type Cluster } from '@kafkaesque/broker';

let cluster: Cluster;
const OFFSETS_PARTITIONS = 6;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': String(OFFSETS_PARTITIONS) } });
});

afterAll(async () => {
  await cluster?.close();
});

function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
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

describe('group coordinator failover', () => {
  it('moves the group to the new leader of its offsets partition; the member resumes from its commits', { timeout: 180_000 }, async () => {
    const kafka = new Kafka({ clientId: 'failover-test', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2_000 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fo-topic', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'fo-topic', acks: -1, messages: Array.from({ length: 30 }, (_, index) => ({ value: `m${index}`, partition: index % 3 })) });

    const seen = new Map<string, number>();
    const consumer = kafka.consumer({ groupId: 'fo-group', sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'fo-topic', fromBeginning: true });
    await consumer.run({ autoCommitInterval: 100, eachMessage: async ({ message }) => {
      const value = message.value!.toString();
      seen.set(value, (seen.get(value) ?? 0) + 1);
    } });
    await waitFor(() => seen.size === 30, 'the first 30 messages');
    let committedBefore = 0;
    for (let attempt = 0; attempt < 50 && committedBefore < 30; attempt++) {
      const offsets = await admin.fetchOffsets({ groupId: 'fo-group', topics: ['fo-topic'] });
      committedBefore = offsets[0].partitions.reduce((sum, entry) => sum + Math.max(0, Number(entry.offset)), 0);
      if (committedBefore < 30) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(committedBefore).toBe(30);

    const offsetsPartition = partitionForKey('fo-group', OFFSETS_PARTITIONS);
    const coordinatorId = cluster.metadata.topic('__consumer_offsets')!.partitions[offsetsPartition].leader;
    expect(cluster.metadata.topic('__consumer_offsets')!.partitions[offsetsPartition].replicas).toHaveLength(3);
    await cluster.killBroker(coordinatorId);
    await waitFor(() => {
      const leader = cluster.metadata.topic('__consumer_offsets')!.partitions[offsetsPartition].leader;
      return leader >= 0 && leader !== coordinatorId;
    }, 'a new leader for the offsets partition');

    await producer.send({ topic: 'fo-topic', acks: -1, messages: Array.from({ length: 10 }, (_, index) => ({ value: `n${index}`, partition: index % 3 })) });
    await waitFor(() => seen.size === 40, 'the 10 messages produced after the failover');
    // Only uncommitted messages may be read twice: everything before the kill was committed.
    for (let index = 0; index < 30; index++) expect(seen.get(`m${index}`)).toBe(1);

    let committedAfter = 0;
    for (let attempt = 0; attempt < 100 && committedAfter < 40; attempt++) {
      const offsets = await admin.fetchOffsets({ groupId: 'fo-group', topics: ['fo-topic'] });
      committedAfter = offsets[0].partitions.reduce((sum, entry) => sum + Math.max(0, Number(entry.offset)), 0);
      if (committedAfter < 40) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(committedAfter).toBe(40);
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  });
});
