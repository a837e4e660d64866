// A 3-broker in-process cluster on the embedded coordinator: leaders spread round-robin, real
// clients (kafkajs) through RF 3, follower logs identical to the leader's up to the high
// watermark, the ZooKeeper-mode layout in the coordinator, forged replica fetches refused.
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { CoordinatorClient } from '@kafkaesque/coordinator';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../broker/support/raw-client.ts';
import { logOf, readAll, waitFor } from './support/helpers.ts';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, config: { 'replica.lag.time.max.ms': '3000' } });
});

afterAll(async () => {
  await cluster?.close();
});

describe('3 brokers, RF 3', () => {
  const kafka = () => new Kafka({ clientId: 'cluster-test', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 5 } });

  it('spreads leaders over every broker and kafkajs produces and consumes through it', async () => {
    const client = kafka();
    const admin = client.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true })).toBe(true);
    const metadata = await admin.fetchTopicMetadata({ topics: ['spread'] });
    const partitions = metadata.topics[0].partitions;
    expect(new Set(partitions.map((partition) => partition.leader))).toEqual(new Set([1, 2, 3]));
    for (const partition of partitions) {
      expect(partition.replicas.sort()).toEqual([1, 2, 3]);
      expect(partition.isr.sort()).toEqual([1, 2, 3]);
    }
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const messages = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 6 }));
    await producer.send({ topic: 'spread', acks: -1, messages });
    await producer.disconnect();

    const consumer = client.consumer({ groupId: 'spread-group', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'spread', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(String(message.value));
          if (seen.length === messages.length) resolve();
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    await admin.disconnect();
    expect(seen.sort()).toEqual(messages.map((message) => message.value).sort());

    // Every replica holds the same batches up to the high watermark.
    for (let p = 0; p < 6; p++) {
      await waitFor(() => cluster.brokers.every((broker) => logOf(broker, 'spread', p)!.highWatermark === 10), `HW of spread-${p} everywhere`);
      const logs = await Promise.all(cluster.brokers.map((broker) => readAll(logOf(broker, 'spread', p)!)));
      expect(logs[1].equals(logs[0])).toBe(true);
      expect(logs[2].equals(logs[0])).toBe(true);
    }
  });

  it('keeps the state in the coordinator in Kafka\'s ZooKeeper layout', async () => {
    const zk = new CoordinatorClient({ connectString: cluster.coordinatorConnect! });
    await zk.connect();
    try {
      expect((await zk.getChildren('/brokers/ids')).sort()).toEqual(['1', '2', '3']);
      const broker = JSON.parse(String((await zk.getData('/brokers/ids/2')).data));
      expect(broker).toMatchObject({ version: 5, port: cluster.brokers[1].port, endpoints: [`PLAINTEXT://127.0.0.1:${cluster.brokers[1].port}`] });
      const controller = JSON.parse(String((await zk.getData('/controller')).data));
      expect(controller.brokerid).toBe(cluster.controllerId!());
      expect(Number(String((await zk.getData('/controller_epoch')).data))).toBeGreaterThanOrEqual(1);
      const topic = JSON.parse(String((await zk.getData('/brokers/topics/spread')).data));
      expect(topic.version).toBe(3);
      expect(Object.keys(topic.partitions)).toHaveLength(6);
      const state = JSON.parse(String((await zk.getData('/brokers/topics/spread/partitions/0/state')).data));
      expect(state).toMatchObject({ version: 1, leader: topic.partitions['0'][0], leader_epoch: 0 });
      expect(state.isr.sort()).toEqual([1, 2, 3]);
      expect(JSON.parse(String((await zk.getData('/cluster/id')).data)).id).toBe(cluster.metadata.clusterId);
    } finally {
      await zk.close();
    }
  });

  it('refuses a Fetch with a replica id from a client', async () => {
    const leader = cluster.metadata.topic('spread')!.partitions[0].leader;
    const broker = cluster.brokers.find((entry) => entry.id === leader)!;
    const raw = await RawClient.connect(`${broker.host}:${broker.port}`);
    try {
      const body = await raw.request(1, 11, {
        replicaId: leader === 1 ? 2 : 1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'spread', topicId: '', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      });
      expect(body.responses[0].partitions[0].errorCode).toBe(29); // TOPIC_AUTHORIZATION_FAILED
      expect(body.responses[0].partitions[0].records?.length ?? 0).toBe(0);
    } finally {
      raw.close();
    }
  });
});
