/**
 * Committed offsets survive a full restart of a 3-broker cluster: a kafkajs group commits on a
 * cluster whose __consumer_offsets partitions are spread over the brokers, every broker stops,
 * a new cluster starts on the same data directory, and the group resumes where it committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { partitionForKey, startCluster, type Cluster } from '@kafkaesque/broker';

const dataDir = mkdtempSync(join(tmpdir(), 'groups-restart-'));
// __consumer_offsets keeps Kafka's replication factor 3: whichever replica leads after the
// restart has the offsets.
const config = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '6' };
let cluster: Cluster | undefined;

afterAll(async () => {
  await cluster?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function client(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'restart-test', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
}

function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
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

describe('committed offsets across a full cluster restart', () => {
  it('keeps every group\'s offsets on a 3-broker cluster', { timeout: 120_000 }, async () => {
    cluster = await startCluster({ brokers: 3, dataDir, config });
    let kafka = client(cluster.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'restart-topic', numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'restart-topic', messages: Array.from({ length: 30 }, (_, index) => ({ value: `m${index}`, partition: index % 3 })) });
    await producer.disconnect();
    // One group per broker: __consumer_offsets partition p is led by broker (p % 3) + 1.
    const groups: string[] = [];
    for (const candidate of ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa']) {
      const broker = partitionForKey(candidate, 6) % 3;
      if (groups.every((groupId) => partitionForKey(groupId, 6) % 3 !== broker)) groups.push(candidate);
    }
    expect(groups).toHaveLength(3);
    // Each group reads the topic and commits (kafkajs commits on disconnect).
    const consumers = groups.map((groupId) => kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 }));
    const seen = new Map<string, number>(groups.map((groupId) => [groupId, 0]));
    for (const [index, consumer] of consumers.entries()) {
      await consumer.connect();
      await consumer.subscribe({ topic: 'restart-topic', fromBeginning: true });
      await consumer.run({ eachMessage: async () => { seen.set(groups[index], seen.get(groups[index])! + 1); } });
    }
    await waitFor(() => [...seen.values()].every((count) => count >= 30), 'every group reading all 30 messages');
    for (const consumer of consumers) await consumer.disconnect();
    await admin.disconnect();
    await cluster.close();
    cluster = undefined;

    cluster = await startCluster({ brokers: 3, dataDir, config });
    kafka = client(cluster.bootstrap);
    const after = kafka.admin();
    await after.connect();
    for (const groupId of groups) {
      const offsets = await after.fetchOffsets({ groupId, topics: ['restart-topic'] });
      expect(offsets[0].partitions.sort((a, b) => a.partition - b.partition).map((entry) => entry.offset)).toEqual(['10', '10', '10']);
    }
    expect((await after.listGroups()).groups.map((group) => group.groupId).sort()).toEqual([...groups].sort());
    await after.disconnect();
  });
});
