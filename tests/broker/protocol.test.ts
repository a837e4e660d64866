// The broker driven with raw requests built by the generated codecs: version negotiation,
// metadata, topic admin, produce / fetch (sessions, long polling, conversion), offsets,
// configs, idempotence, and a restart that must keep all of it.
import { ApiKey, ErrorCode, encodeLegacyMessageSet, encodeRecordBatch, decodeLegacyMessageSet, decodeRecordBatches, FetchRequest, ProduceRequest, ZERO_UUID } from '@kafkaesque/protocol';
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './support/raw-client.ts';

let cluster: Cluster;
let client: RawClient;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 1 });
  client = await RawClient.connect(cluster.bootstrap);
});

afterAll(async () => {
  client?.close();
  await cluster?.close();
});

async function createTopic(name: string, partitions = 1, configs: Record<string, string> = {}) {
  const response = await client.request(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(response.topics[0].errorCode).toBe(0);
  return response.topics[0];
}

function batch(values: string[], extra: Partial<Parameters<typeof encodeRecordBatch>[0]> = {}): Buffer {
  return encodeRecordBatch({ records: values.map((value) => ({ value, key: null })), ...extra });
}

async function produce(topic: string, partition: number, records: Buffer, version = 9, acks = -1) {
  const response = await client.request(ApiKey.Produce, version, {
    ...ProduceRequest.defaults(),
    transactionalId: null,
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  return response.responses[0].partitionResponses[0];
}

function fetchRequest(topic: string, topicId: string, partition: number, fetchOffset: bigint, extra: Partial<FetchRequest> = {}): FetchRequest {
  return {
    ...FetchRequest.defaults(),
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
    ...extra,
  };
}

describe('version negotiation', () => {
  it('advertises real Kafka ranges with the minimums clients need', async () => {
    const body = await client.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    expect(body.errorCode).toBe(0);
    const range = (key: number) => body.apiKeys.find((entry: { apiKey: number }) => entry.apiKey === key);
    expect(range(ApiKey.Produce)).toMatchObject({ minVersion: 0, maxVersion: 11 });
    expect(range(ApiKey.Fetch)).toMatchObject({ minVersion: 0, maxVersion: 17 });
    expect(range(ApiKey.Metadata)).toMatchObject({ minVersion: 0, maxVersion: 12 });
    expect(range(ApiKey.InitProducerId)?.minVersion).toBe(0);
    expect(range(ApiKey.SaslHandshake)?.minVersion).toBe(0);
  });

  it('answers a too-new ApiVersions with UNSUPPORTED_VERSION and our ranges in a v0 body (KIP-511)', async () => {
    const [host, port] = cluster.bootstrap.split(':');
    const raw = await RawClient.connect(`${host}:${port}`);
    const frame = Buffer.alloc(4 + 10);
    frame.writeInt32BE(10, 0);
    frame.writeInt16BE(ApiKey.ApiVersions, 4);
    frame.writeInt16BE(99, 6);
    frame.writeInt32BE(42, 8);
    frame.writeInt16BE(-1, 12);
    raw.writeRaw(frame);
    const response = await raw.receiveResponse(ApiKey.ApiVersions, 0);
    expect(response.correlationId).toBe(42);
    expect(response.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(response.body.apiKeys.length).toBeGreaterThan(10);
    raw.close();
  });

  it('answers SaslHandshake with no enabled mechanism', async () => {
    const body = await client.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    expect(body).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [] });
  });
});

describe('metadata and topic admin', () => {
  it('reports brokers, controller, cluster id, topic ids and leader epochs', async () => {
    const created = await createTopic('meta-topic', 3);
    const body = await client.request(ApiKey.Metadata, 12, { topics: [{ topicId: ZERO_UUID, name: 'meta-topic' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(body.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: '127.0.0.1', port: cluster.brokers[0].port })]);
    expect(body.controllerId).toBe(1);
    expect(body.clusterId).toEqual(expect.any(String));
    expect(body.topics[0]).toMatchObject({ errorCode: 0, name: 'meta-topic', topicId: created.topicId });
    expect(body.topics[0].partitions.map((p: { leaderId: number }) => p.leaderId)).toEqual([1, 1, 1]);
    const byId = await client.request(ApiKey.Metadata, 12, { topics: [{ topicId: created.topicId, name: null }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(byId.topics[0].name).toBe('meta-topic');
  });

  it('auto-creates only when the request and the broker allow it', async () => {
    const denied = await client.request(ApiKey.Metadata, 9, { topics: [{ topicId: ZERO_UUID, name: 'auto-no' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(denied.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const allowed = await client.request(ApiKey.Metadata, 9, { topics: [{ topicId: ZERO_UUID, name: 'auto-yes' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(allowed.topics[0]).toMatchObject({ errorCode: 0, name: 'auto-yes' });
    expect(allowed.topics[0].partitions[0].leaderId).toBe(1);
    const v0 = await client.request(ApiKey.Metadata, 0, { topics: [], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(v0.topics.map((t: { name: string }) => t.name)).toContain('auto-yes');
  });

  it('CreateTopics: validate_only, explicit assignments, configs and errors', async () => {
    const body = await client.request(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'assigned', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 1, brokerIds: [1] }], configs: [{ name: 'retention.ms', value: '1000' }] },
        { name: 'bad-config', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: 'soon' }] },
        { name: 'bad/name', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'too-many-replicas', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    const byName = Object.fromEntries(body.topics.map((t: { name: string }) => [t.name, t]));
    expect(byName['assigned']).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 1 });
    expect(byName['assigned'].configs.find((c: { name: string }) => c.name === 'retention.ms')).toMatchObject({ value: '1000', configSource: 1 });
    expect(byName['bad-config'].errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(byName['bad/name'].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(byName['too-many-replicas'].errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    const validate = await client.request(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'validate-only', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: true,
    });
    expect(validate.topics[0].errorCode).toBe(0);
    expect(cluster.metadata.topic('validate-only')).toBeUndefined();
    await createTopic('coll_name');
    const collision = await client.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'coll.name', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(collision.topics[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const again = await client.request(ApiKey.CreateTopics, 2, { topics: [{ name: 'assigned', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(again.topics[0].errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
  });

  it('CreatePartitions grows a topic, DeleteTopics deletes by name and by id', async () => {
    await createTopic('grow', 1);
    const grown = await client.request(ApiKey.CreatePartitions, 3, { topics: [{ name: 'grow', count: 3, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(grown.results[0].errorCode).toBe(0);
    expect(cluster.metadata.topic('grow')?.partitions.length).toBe(3);
    const shrink = await client.request(ApiKey.CreatePartitions, 3, { topics: [{ name: 'grow', count: 2, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(shrink.results[0].errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    expect((await produce('grow', 2, batch(['p2']))).errorCode).toBe(0);

    const byName = await client.request(ApiKey.DeleteTopics, 4, { topics: [], topicNames: ['grow', 'nope'], timeoutMs: 5000 });
    expect(byName.responses.map((r: { errorCode: number }) => r.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const created = await createTopic('by-id');
    const byId = await client.request(ApiKey.DeleteTopics, 6, { topics: [{ name: null, topicId: created.topicId }], topicNames: [], timeoutMs: 5000 });
    expect(byId.responses[0]).toMatchObject({ errorCode: 0, name: 'by-id' });
    expect(cluster.metadata.topic('by-id')).toBeUndefined();
    await createTopic('by-id');
  });

  it('DescribeCluster lists the broker and the controller', async () => {
    const body = await client.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    expect(body).toMatchObject({ errorCode: 0, controllerId: 1, clusterId: cluster.metadata.clusterId });
    expect(body.brokers[0]).toMatchObject({ brokerId: 1, port: cluster.brokers[0].port });
  });
});

describe('configs', () => {
  it('describes every standard topic config with defaults, synonyms and documentation', async () => {
    await createTopic('cfg', 1, { 'cleanup.policy': 'compact' });
    const body = await client.request(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: 'cfg', configurationKeys: null }],
      includeSynonyms: true,
      includeDocumentation: true,
    });
    const configs = Object.fromEntries(body.results[0].configs.map((c: { name: string }) => [c.name, c]));
    for (const name of ['cleanup.policy', 'retention.ms', 'segment.bytes', 'min.insync.replicas', 'max.message.bytes', 'retention.bytes', 'compression.type']) {
      expect(configs[name], name).toBeDefined();
      expect(configs[name].documentation).toEqual(expect.any(String));
    }
    expect(configs['cleanup.policy']).toMatchObject({ value: 'compact', configSource: 1 });
    expect(configs['retention.ms']).toMatchObject({ value: '604800000', configSource: 5 }); // DEFAULT_CONFIG
    expect(configs['retention.ms'].synonyms).toContainEqual({ name: 'log.retention.hours', value: '168', source: 5 });
    expect(configs['max.message.bytes'].value).toBe('1048588');
    expect(configs['segment.bytes'].value).toBe('1073741824');
  });

  it('AlterConfigs replaces, IncrementalAlterConfigs edits, both visible in DescribeConfigs', async () => {
    await createTopic('alter', 1, { 'retention.ms': '5000' });
    const replaced = await client.request(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: 2, resourceName: 'alter', configs: [{ name: 'segment.bytes', value: '1048576' }] }], validateOnly: false });
    expect(replaced.responses[0].errorCode).toBe(0);
    expect(cluster.metadata.topic('alter')?.configs).toEqual({ 'segment.bytes': '1048576' });
    const edited = await client.request(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 2, resourceName: 'alter', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }, { name: 'segment.bytes', configOperation: 1, value: null }] }],
      validateOnly: false,
    });
    expect(edited.responses[0].errorCode).toBe(0);
    expect(cluster.metadata.topic('alter')?.configs).toEqual({ 'cleanup.policy': 'delete,compact' });
    const bad = await client.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: 'alter', configs: [{ name: 'no.such.config', configOperation: 0, value: '1' }] }], validateOnly: false });
    expect(bad.responses[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const broker = await client.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions', 'log.retention.hours'] }], includeSynonyms: false, includeDocumentation: false });
    expect(broker.results[0].configs.map((c: { name: string; value: string }) => [c.name, c.value])).toEqual([['log.retention.hours', '168'], ['num.partitions', '1']]);
    const dynamic = await client.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 4, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '3600000' }] }], validateOnly: false });
    expect(dynamic.responses[0].errorCode).toBe(0);
    const topicView = await client.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'alter', configurationKeys: ['retention.ms'] }], includeSynonyms: true, includeDocumentation: false });
    expect(topicView.results[0].configs[0]).toMatchObject({ value: '3600000', configSource: 2 }); // DYNAMIC_BROKER_CONFIG
    await client.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 4, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: 1, value: null }] }], validateOnly: false });
  });
});

describe('produce and fetch', () => {
  it('stores batches as produced and serves them by name (v4) and by topic id (v13+)', async () => {
    const created = await createTopic('pf', 1);
    const records = batch(['a', 'b', 'c'], { compression: 1 });
    const produced = await produce('pf', 0, Buffer.from(records));
    expect(produced).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const v4 = await client.request(ApiKey.Fetch, 4, fetchRequest('pf', ZERO_UUID, 0, 0n));
    const served: Buffer = v4.responses[0].partitions[0].records;
    expect(served.subarray(17)).toEqual(records.subarray(17)); // identical after the base offset & epoch
    expect(v4.responses[0].partitions[0].highWatermark).toBe(3n);
    const v16 = await client.request(ApiKey.Fetch, 16, fetchRequest('', created.topicId, 0, 1n));
    expect(v16.responses[0].topicId).toBe(created.topicId);
    expect(decodeRecordBatches(v16.responses[0].partitions[0].records).batches[0].records.map((r) => String(r.value))).toEqual(['a', 'b', 'c']);
    const unknownId = await client.request(ApiKey.Fetch, 16, fetchRequest('', 'AAAAAAAAAAAAAAAAAAAAAQ', 0, 0n));
    expect(unknownId.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  });

  it('converts magic 0/1 produce input and down-converts for Fetch v0-3', async () => {
    await createTopic('legacy', 1);
    // Recent timestamps: an old one would roll a segment (segment.ms) and a fetch reads one segment.
    const now = Date.now();
    const legacy = encodeLegacyMessageSet({ magic: 1, messages: [{ key: null, value: Buffer.from('old-1'), timestamp: now }, { key: null, value: Buffer.from('old-2'), timestamp: now + 1 }] });
    expect((await produce('legacy', 0, legacy, 2, 1)).errorCode).toBe(0);
    expect((await produce('legacy', 0, batch(['new-3']), 7, 1)).errorCode).toBe(0);
    expect((await produce('legacy', 0, legacy, 3, 1)).errorCode).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    const v2 = await client.request(ApiKey.Fetch, 2, fetchRequest('legacy', ZERO_UUID, 0, 0n));
    const messages = decodeLegacyMessageSet(v2.responses[0].partitions[0].records).messages;
    expect(messages.map((m) => [m.offset, String(m.value), m.magic])).toEqual([[0, 'old-1', 1], [1, 'old-2', 1], [2, 'new-3', 1]]);
    const v0 = await client.request(ApiKey.Fetch, 0, fetchRequest('legacy', ZERO_UUID, 0, 2n));
    expect(decodeLegacyMessageSet(v0.responses[0].partitions[0].records).messages.map((m) => m.magic)).toEqual([0]);
  });

  it('serves zstd batches to Fetch v4 (kafka-python), refusing only zstd topics before v10 and down-conversion', async () => {
    await createTopic('zstd-data', 1);
    await createTopic('zstd-topic', 1, { 'compression.type': 'zstd' });
    expect((await produce('zstd-data', 0, batch(['z1', 'z2'], { compression: 4 }))).errorCode).toBe(0);
    const v4 = await client.request(ApiKey.Fetch, 4, fetchRequest('zstd-data', ZERO_UUID, 0, 0n));
    expect(v4.responses[0].partitions[0].errorCode).toBe(0);
    expect(decodeRecordBatches(v4.responses[0].partitions[0].records).batches[0].records.map((r) => String(r.value))).toEqual(['z1', 'z2']);
    const v3 = await client.request(ApiKey.Fetch, 3, fetchRequest('zstd-data', ZERO_UUID, 0, 0n));
    expect(v3.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    const configured = await client.request(ApiKey.Fetch, 9, fetchRequest('zstd-topic', ZERO_UUID, 0, 0n));
    expect(configured.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    const modern = await client.request(ApiKey.Fetch, 10, fetchRequest('zstd-topic', ZERO_UUID, 0, 0n));
    expect(modern.responses[0].partitions[0].errorCode).toBe(0);
  });

  it('reports per-partition errors', async () => {
    await createTopic('errs', 1, { 'max.message.bytes': '2000' });
    await cluster.metadata.createTopic({ name: '__internal_test', assignments: [[1]], configs: {}, internal: true });
    await cluster.brokers[0].broker!.replicas.settled();
    expect((await produce('__internal_test', 0, batch(['x']))).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect((await produce('nope-topic', 0, batch(['x']))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await produce('errs', 5, batch(['x']))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await produce('errs', 0, batch(['y'.repeat(5000)]))).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const corrupt = batch(['z']);
    corrupt[corrupt.length - 1] ^= 0xff;
    expect((await produce('errs', 0, corrupt)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await produce('errs', 0, batch(['x']), 9, 2)).errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    const outOfRange = await client.request(ApiKey.Fetch, 11, fetchRequest('errs', ZERO_UUID, 0, 99n));
    expect(outOfRange.responses[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('acks=0 gets no response, and later requests are still answered in order', async () => {
    await createTopic('acks0', 1);
    client.send(ApiKey.Produce, 9, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'acks0', partitionData: [{ index: 0, records: batch(['silent']) }] }] });
    const body = await client.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'acks0', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 1000 });
    expect(body.topics[0].partitions[0].offset).toBe(1n);
    const other = await RawClient.connect(cluster.bootstrap);
    other.send(ApiKey.Produce, 9, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'no-such-topic', partitionData: [{ index: 0, records: batch(['lost']) }] }] });
    await other.closedPromise; // an acks=0 failure closes the connection
  });

  it('long-polls until min_bytes arrive', async () => {
    await createTopic('poll', 1);
    const other = await RawClient.connect(cluster.bootstrap);
    const pending = other.request(ApiKey.Fetch, 11, fetchRequest('poll', ZERO_UUID, 0, 0n, { maxWaitMs: 20_000, minBytes: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await produce('poll', 0, batch(['wake']))).errorCode).toBe(0);
    const body = await pending;
    expect(body.responses[0].partitions[0].records.length).toBeGreaterThan(0);
    other.close();
  });

  it('returns whole batches within max_bytes, at least one batch for the first partition', async () => {
    await createTopic('limits', 2);
    for (let i = 0; i < 5; i++) await produce('limits', 0, batch([`v${i}`.repeat(100)]));
    await produce('limits', 1, batch(['other'.repeat(100)]));
    const request = fetchRequest('limits', ZERO_UUID, 0, 0n, { maxBytes: 10 });
    request.topics[0].partitions.push({ ...request.topics[0].partitions[0], partition: 1 });
    const body = await client.request(ApiKey.Fetch, 11, request);
    const [first, second] = body.responses[0].partitions;
    expect(decodeRecordBatches(first.records).batches.length).toBe(1);
    expect(second.records.length).toBe(0);
  });

  it('keeps fetch sessions: full then incremental with only news', async () => {
    const created = await createTopic('sessions', 2);
    const full = await client.request(ApiKey.Fetch, 12, fetchRequest('sessions', created.topicId, 0, 0n, { sessionId: 0, sessionEpoch: 0 }));
    expect(full.sessionId).not.toBe(0);
    const quiet = await client.request(ApiKey.Fetch, 12, { ...fetchRequest('sessions', created.topicId, 0, 0n, { sessionId: full.sessionId, sessionEpoch: 1 }), topics: [] });
    expect(quiet.errorCode).toBe(0);
    expect(quiet.responses).toEqual([]);
    await produce('sessions', 0, batch(['news']));
    const news = await client.request(ApiKey.Fetch, 12, { ...fetchRequest('sessions', created.topicId, 0, 0n, { sessionId: full.sessionId, sessionEpoch: 2 }), topics: [] });
    expect(news.responses[0].partitions.map((p: { partitionIndex: number }) => p.partitionIndex)).toEqual([0]);
    expect(news.responses[0].partitions[0].records.length).toBeGreaterThan(0);
    const stale = await client.request(ApiKey.Fetch, 12, { ...fetchRequest('sessions', created.topicId, 0, 1n, { sessionId: full.sessionId, sessionEpoch: 2 }), topics: [] });
    expect(stale.errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    const unknown = await client.request(ApiKey.Fetch, 12, { ...fetchRequest('sessions', created.topicId, 0, 1n, { sessionId: 12345, sessionEpoch: 1 }), topics: [] });
    expect(unknown.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });
});

describe('offsets', () => {
  it('ListOffsets: earliest, latest, by time, max timestamp; DeleteRecords; OffsetForLeaderEpoch', async () => {
    await createTopic('offsets', 1);
    const base = Date.now() - 10_000;
    await produce('offsets', 0, batch(['t1000'], { baseTimestamp: base + 1000 }));
    await produce('offsets', 0, batch(['t5000'], { baseTimestamp: base + 5000 }));
    await produce('offsets', 0, batch(['t3000'], { baseTimestamp: base + 3000 }));
    const list = async (timestamp: bigint, version = 7) =>
      (await client.request(ApiKey.ListOffsets, version, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'offsets', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }], timeoutMs: 1000 })).topics[0].partitions[0];
    expect((await list(-2n)).offset).toBe(0n);
    expect((await list(-1n)).offset).toBe(3n);
    expect((await list(BigInt(base + 2000))).offset).toBe(1n);
    expect((await list(BigInt(base + 9000))).offset).toBe(-1n);
    expect(await list(-3n)).toMatchObject({ offset: 1n, timestamp: BigInt(base + 5000) });
    expect((await list(-1n, 0)).oldStyleOffsets).toEqual([3n]);
    const deleted = await client.request(ApiKey.DeleteRecords, 2, { topics: [{ name: 'offsets', partitions: [{ partitionIndex: 0, offset: 2n }] }], timeoutMs: 1000 });
    expect(deleted.topics[0].partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 2n });
    expect((await list(-2n)).offset).toBe(2n);
    const epochs = await client.request(ApiKey.OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: 'offsets', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] });
    expect(epochs.topics[0].partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 3n });
  });
});

describe('idempotent producers', () => {
  it('dedupes retries, rejects gaps, and keeps producer state across a restart', async () => {
    await createTopic('idem', 1, { 'retention.ms': '86400000' });
    const init = await client.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    expect(init.errorCode).toBe(0);
    const producerId: bigint = init.producerId;
    const second = await client.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    expect(second.producerId).not.toBe(producerId);
    const idem = (sequence: number, values: string[]) => batch(values, { producerId, producerEpoch: 0, baseSequence: sequence });
    expect(await produce('idem', 0, idem(0, ['a', 'b']))).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produce('idem', 0, idem(2, ['c']))).toMatchObject({ errorCode: 0, baseOffset: 2n });
    expect(await produce('idem', 0, idem(0, ['a', 'b']))).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect((await produce('idem', 0, idem(7, ['gap']))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const described = await client.request(ApiKey.DescribeProducers, 0, { topics: [{ name: 'idem', partitionIndexes: [0] }] });
    expect(described.topics[0].partitions[0].activeProducers).toContainEqual(expect.objectContaining({ producerId, producerEpoch: 0, lastSequence: 2 }));

    client.close();
    await cluster.restartBroker(1);
    client = await RawClient.connect(cluster.bootstrap);
    expect(cluster.metadata.topic('idem')?.configs).toEqual({ 'retention.ms': '86400000' });
    expect(await produce('idem', 0, idem(2, ['c']))).toMatchObject({ errorCode: 0, baseOffset: 2n });
    expect(await produce('idem', 0, idem(3, ['d']))).toMatchObject({ errorCode: 0, baseOffset: 3n });
    const fetched = await client.request(ApiKey.Fetch, 11, fetchRequest('idem', ZERO_UUID, 0, 0n));
    const values = decodeRecordBatches(fetched.responses[0].partitions[0].records).batches.flatMap((b) => b.records.map((r) => String(r.value)));
    expect(values).toEqual(['a', 'b', 'c', 'd']);
    const after = await client.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    expect(after.producerId > second.producerId).toBe(true);
  });
});
