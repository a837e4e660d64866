// startCluster with several brokers sharing one metadata store: partitions spread over the
// brokers, a killed broker's partitions lose their leader, a restarted one leads them again
// with a new leader epoch and its data intact.
import { ApiKey, ErrorCode, ZERO_UUID, encodeRecordBatch } from '@kafkaesque/protocol';
import { startCluster } from '@kafkaesque/broker';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RawClient } from './support/raw-client.ts';

describe('startCluster', () => {
  it('spreads leadership, survives kill and restart of a broker, removes its temp dir', async () => {
    const cluster = await startCluster({ brokers: 3 });
    try {
      expect(cluster.bootstrap.split(',')).toHaveLength(3);
      const client = await RawClient.connect(cluster.bootstrap.split(',')[0]);
      const created = await client.request(ApiKey.CreateTopics, 5, { topics: [{ name: 'spread', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(created.topics[0].errorCode).toBe(0);
      const partitions = () => cluster.metadata.topic('spread')!.partitions;
      expect(new Set(partitions().map((p) => p.leader))).toEqual(new Set([1, 2, 3]));
      const onTwo = { ...partitions().find((p) => p.leader === 2)! };

      const broker2 = await RawClient.connect(`127.0.0.1:${cluster.brokers[1].port}`);
      const produced = await broker2.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'spread', partitionData: [{ index: onTwo.partition, records: encodeRecordBatch({ records: [{ value: 'on-two' }] }) }] }] });
      expect(produced.responses[0].partitionResponses[0].errorCode).toBe(0);
      const wrongBroker = await client.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'spread', partitionData: [{ index: onTwo.partition, records: encodeRecordBatch({ records: [{ value: 'x' }] }) }] }] });
      expect(wrongBroker.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      // KIP-951: newer versions also name the leader and where it listens.
      const hinted = await client.request(ApiKey.Produce, 11, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'spread', partitionData: [{ index: onTwo.partition, records: encodeRecordBatch({ records: [{ value: 'x' }] }) }] }] });
      expect(hinted.responses[0].partitionResponses[0].currentLeader).toEqual({ leaderId: 2, leaderEpoch: onTwo.leaderEpoch });
      expect(hinted.nodeEndpoints).toEqual([expect.objectContaining({ nodeId: 2, port: cluster.brokers[1].port })]);
      const fetchHint = await client.request(ApiKey.Fetch, 16, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: '', topicId: cluster.metadata.topic('spread')!.id, partitions: [{ partition: onTwo.partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 }] }],
        forgottenTopicsData: [], rackId: '',
      });
      expect(fetchHint.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: 2 } });
      expect(fetchHint.nodeEndpoints.map((node: { nodeId: number }) => node.nodeId)).toEqual([2]);
      broker2.close();

      await cluster.killBroker(2);
      const meta = await client.request(ApiKey.Metadata, 9, { topics: [{ topicId: ZERO_UUID, name: 'spread' }], allowAutoTopicCreation: false });
      expect(meta.brokers.map((b: { nodeId: number }) => b.nodeId).sort()).toEqual([1, 3]);
      const leaderless = meta.topics[0].partitions.find((p: { partitionIndex: number }) => p.partitionIndex === onTwo.partition);
      expect(leaderless).toMatchObject({ leaderId: -1, errorCode: ErrorCode.LEADER_NOT_AVAILABLE });

      await cluster.restartBroker(2);
      const back = partitions().find((p) => p.partition === onTwo.partition)!;
      expect(back.leader).toBe(2);
      expect(back.leaderEpoch).toBeGreaterThan(onTwo.leaderEpoch);
      const again = await RawClient.connect(`127.0.0.1:${cluster.brokers[1].port}`);
      const offsets = await again.request(ApiKey.ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'spread', partitions: [{ partitionIndex: onTwo.partition, currentLeaderEpoch: back.leaderEpoch, timestamp: -1n, maxNumOffsets: 1 }] }] });
      expect(offsets.topics[0].partitions[0]).toMatchObject({ errorCode: 0, offset: 1n, leaderEpoch: 0 });
      again.close();
      client.close();
    } finally {
      await cluster.close();
    }
    expect(existsSync(cluster.dataDir)).toBe(false);
  });
});

describe('broker settings', () => {
  it('honours num.partitions, default partitions (-1) and auto.create.topics.enable=false', async () => {
    const cluster = await startCluster({ config: { 'num.partitions': '3', 'auto.create.topics.enable': 'false' } });
    try {
      const client = await RawClient.connect(cluster.bootstrap);
      const meta = await client.request(ApiKey.Metadata, 9, { topics: [{ topicId: ZERO_UUID, name: 'not-auto' }], allowAutoTopicCreation: true });
      expect(meta.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const created = await client.request(ApiKey.CreateTopics, 5, { topics: [{ name: 'defaults', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(created.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 3, replicationFactor: 1 });
      const described = await client.request(ApiKey.DescribeConfigs, 2, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions'] }], includeSynonyms: true });
      expect(described.results[0].configs[0]).toMatchObject({ name: 'num.partitions', value: '3', configSource: 4, readOnly: true }); // STATIC_BROKER_CONFIG
      client.close();
    } finally {
      await cluster.close();
    }
  });
});
