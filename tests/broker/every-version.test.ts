// Every version of every API this broker core serves, with real data in the answers, so that a
// field a version cannot carry (which would close the connection) shows up here and not in a
// client. Racks and internal topics are set so optional fields are exercised too.
import { ApiKey, ErrorCode, ZERO_UUID, encodeLegacyMessageSet, encodeRecordBatch } from '@kafkaesque/protocol';
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './support/raw-client.ts';

let cluster: Cluster;
let client: RawClient;
let topicId: string;

beforeAll(async () => {
  cluster = await startCluster({ config: { 'broker.rack': 'rack-a' } });
  client = await RawClient.connect(cluster.bootstrap);
  const created = await client.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'ev', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  topicId = created.topics[0].topicId;
  await cluster.metadata.createTopic({ name: '__ev_internal', assignments: [[1]], configs: {}, internal: true });
  const batch = encodeRecordBatch({ records: [{ value: 'x' }], producerId: 5n, producerEpoch: 0, baseSequence: 0 });
  await client.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'ev', partitionData: [{ index: 0, records: batch }] }] });
});

afterAll(async () => {
  client?.close();
  await cluster?.close();
});

const range = (min: number, max: number) => Array.from({ length: max - min + 1 }, (_, i) => min + i);

describe('every version answers', () => {
  it.each(range(0, 4))('ApiVersions v%i', async (version) => {
    expect((await client.request(ApiKey.ApiVersions, version, {})).errorCode).toBe(0);
  });

  it.each(range(0, 12))('Metadata v%i', async (version) => {
    const body = await client.request(ApiKey.Metadata, version, { topics: version === 0 ? [] : null, allowAutoTopicCreation: version >= 4 ? false : true });
    expect(body.topics.map((topic: { name: string }) => topic.name)).toContain('ev');
    if (version >= 1) expect(body.brokers[0].rack).toBe('rack-a');
    if (version >= 10) expect(body.topics.find((topic: { name: string }) => topic.name === 'ev').topicId).toBe(topicId);
  });

  it.each(range(0, 11))('Produce v%i', async (version) => {
    const records = version < 3
      ? encodeLegacyMessageSet({ magic: version < 2 ? 0 : 1, messages: [{ key: null, value: Buffer.from('legacy'), timestamp: Date.now() }] })
      : encodeRecordBatch({ records: [{ value: `v${version}` }] });
    const body = await client.request(ApiKey.Produce, version, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'ev', partitionData: [{ index: 0, records }, { index: 7, records }] }] });
    const [ok, missing] = body.responses[0].partitionResponses;
    expect(ok.errorCode).toBe(0);
    expect(missing.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it.each(range(0, 17))('Fetch v%i', async (version) => {
    const body = await client.request(ApiKey.Fetch, version, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: version >= 4 ? 1 : 0, sessionId: 0, sessionEpoch: version >= 7 ? 0 : -1,
      topics: [{ topic: version >= 13 ? '' : 'ev', topicId: version >= 13 ? topicId : ZERO_UUID, partitions: [
        { partition: 0, currentLeaderEpoch: version >= 9 ? 0 : -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 },
        { partition: 9, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 },
      ] }],
      forgottenTopicsData: [], rackId: '',
    });
    const [data, missing] = body.responses[0].partitions;
    expect(data.errorCode).toBe(0);
    expect(data.records.length).toBeGreaterThan(0);
    expect(missing.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it.each(range(0, 10))('ListOffsets v%i', async (version) => {
    const body = await client.request(ApiKey.ListOffsets, version, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'ev', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 1000 });
    const partition = body.topics[0].partitions[0];
    expect(partition.errorCode).toBe(0);
    if (version === 0) expect(partition.oldStyleOffsets[0]).toBeGreaterThan(0n);
    else expect(partition.offset).toBeGreaterThan(0n);
  });

  it.each(range(0, 7))('CreateTopics v%i', async (version) => {
    const body = await client.request(ApiKey.CreateTopics, version, { topics: [{ name: `ct-${version}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }], timeoutMs: 1000, validateOnly: version >= 1 && version % 2 === 1 });
    expect(body.topics[0].errorCode).toBe(0);
  });

  it.each(range(0, 6))('DeleteTopics v%i', async (version) => {
    await client.request(ApiKey.CreateTopics, 4, { topics: [{ name: `dt-${version}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000 });
    const body = await client.request(ApiKey.DeleteTopics, version, version >= 6 ? { topics: [{ name: `dt-${version}`, topicId: ZERO_UUID }], topicNames: [], timeoutMs: 1000 } : { topics: [], topicNames: [`dt-${version}`], timeoutMs: 1000 });
    expect(body.responses[0].errorCode).toBe(0);
  });

  it.each(range(0, 3))('CreatePartitions v%i', async (version) => {
    await client.request(ApiKey.CreateTopics, 4, { topics: [{ name: `cp-${version}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000 });
    const body = await client.request(ApiKey.CreatePartitions, version, { topics: [{ name: `cp-${version}`, count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(body.results[0].errorCode).toBe(0);
  });

  it.each(range(0, 4))('DescribeConfigs v%i', async (version) => {
    const body = await client.request(ApiKey.DescribeConfigs, version, { resources: [{ resourceType: 2, resourceName: 'ev', configurationKeys: null }, { resourceType: 4, resourceName: '1', configurationKeys: null }], includeSynonyms: version >= 1, includeDocumentation: version >= 3 });
    expect(body.results.map((result: { errorCode: number }) => result.errorCode)).toEqual([0, 0]);
    expect(body.results[0].configs.length).toBeGreaterThan(25);
  });

  it.each(range(0, 2))('AlterConfigs v%i', async (version) => {
    const body = await client.request(ApiKey.AlterConfigs, version, { resources: [{ resourceType: 2, resourceName: 'ev', configs: [{ name: 'retention.ms', value: String(100000 + version) }] }], validateOnly: false });
    expect(body.responses[0].errorCode).toBe(0);
  });

  it.each(range(0, 1))('IncrementalAlterConfigs v%i', async (version) => {
    const body = await client.request(ApiKey.IncrementalAlterConfigs, version, { resources: [{ resourceType: 2, resourceName: 'ev', configs: [{ name: 'retention.bytes', configOperation: 0, value: '1000000' }] }], validateOnly: false });
    expect(body.responses[0].errorCode).toBe(0);
  });

  it.each(range(0, 2))('DeleteRecords v%i', async (version) => {
    const body = await client.request(ApiKey.DeleteRecords, version, { topics: [{ name: 'ev', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 1000 });
    expect(body.topics[0].partitions[0].errorCode).toBe(0);
  });

  it.each(range(0, 4))('OffsetForLeaderEpoch v%i', async (version) => {
    const body = await client.request(ApiKey.OffsetForLeaderEpoch, version, { replicaId: -1, topics: [{ topic: 'ev', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] });
    expect(body.topics[0].partitions[0].errorCode).toBe(0);
  });

  it.each(range(0, 5))('InitProducerId v%i', async (version) => {
    const body = await client.request(ApiKey.InitProducerId, version, { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 });
    expect(body.errorCode).toBe(0);
  });

  it.each(range(0, 1))('DescribeCluster v%i', async (version) => {
    const body = await client.request(ApiKey.DescribeCluster, version, {});
    expect(body.brokers[0].rack).toBe('rack-a');
  });

  it('DescribeProducers v0', async () => {
    const body = await client.request(ApiKey.DescribeProducers, 0, { topics: [{ name: 'ev', partitionIndexes: [0] }] });
    expect(body.topics[0].partitions[0].activeProducers).toContainEqual(expect.objectContaining({ producerId: 5n }));
  });

  it.each(range(0, 1))('SaslHandshake v%i', async (version) => {
    expect((await client.request(ApiKey.SaslHandshake, version, { mechanism: 'PLAIN' })).errorCode).toBe(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
  });
});
