// Regression tests for differences the differential lab (tests/compat/differential) found
// between real Kafka 3.9 and kafkaesque: each asserts what Kafka answers, Node-only.
import { ApiKey, Compression, ErrorCode, FetchRequest, ProduceRequest, decodeRecordBatches, encodeRecordBatch, ZERO_UUID } from '@kafkaesque/protocol';
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

async function createTopic(name: string, configs: Record<string, string> = {}) {
  const response = await client.request(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  return response.topics[0];
}

/** Record timestamps from 2023: far older than segment.ms (7 days) before now. */
const oldTimestampMs = 1_700_000_000_000;

function batch(values: string[], extra: Partial<Parameters<typeof encodeRecordBatch>[0]> = {}): Buffer {
  return encodeRecordBatch({ baseTimestamp: oldTimestampMs, records: values.map((value, i) => ({ value, key: null, timestamp: oldTimestampMs + i })), ...extra });
}

async function produce(topic: string, records: Buffer) {
  const response = await client.request(ApiKey.Produce, 9, {
    ...ProduceRequest.defaults(), transactionalId: null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  return response.responses[0].partitionResponses[0];
}

async function fetch(topic: string, fetchOffset: bigint) {
  const response = await client.request(ApiKey.Fetch, 12, {
    ...FetchRequest.defaults(), replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  return response.responses[0].partitions[0];
}

describe('fetch', () => {
  // Segments roll on record time as in Kafka (incoming max timestamp minus the segment's first
  // timestamp), not on now minus old record timestamps, which made a segment per batch; a fetch
  // reads one segment, so it returned one batch.
  it('returns every batch that fits in partition_max_bytes, not only the first (old record timestamps)', async () => {
    await createTopic('parity-fetch');
    expect((await produce('parity-fetch', batch(['a', 'b', 'c']))).errorCode).toBe(0);
    expect((await produce('parity-fetch', batch(['d', 'e', 'f'], { compression: Compression.gzip }))).errorCode).toBe(0);
    expect((await produce('parity-fetch', batch(['g']))).errorCode).toBe(0);
    const data = await fetch('parity-fetch', 0n);
    expect(data.errorCode).toBe(0);
    const { batches } = decodeRecordBatches(data.records!);
    expect(batches.map((b) => b.records.map((r) => r.value?.toString()))).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
  });
});

describe('fetch errors', () => {
  it('OFFSET_OUT_OF_RANGE comes with high watermark, last stable and log start offsets unknown (-1)', async () => {
    await createTopic('parity-range');
    await produce('parity-range', batch(['a']));
    const data = await fetch('parity-range', 100n);
    expect(data).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n });
  });
});

describe('produce', () => {
  it('MESSAGE_TOO_LARGE answers log start offset -1', async () => {
    await createTopic('parity-small', { 'max.message.bytes': '1024' });
    const response = await produce('parity-small', batch(['y'.repeat(4000)]));
    expect(response).toMatchObject({ errorCode: ErrorCode.MESSAGE_TOO_LARGE, baseOffset: -1n, logStartOffset: -1n });
  });

  it('an idempotent duplicate answers the stored batch max timestamp as log append time', async () => {
    await createTopic('parity-idempotent');
    const init = await client.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    const producerId = init.producerId as bigint;
    const records = batch(['i0', 'i1'], { producerId, producerEpoch: 0, baseSequence: 0 });
    const first = await produce('parity-idempotent', records);
    expect(first).toMatchObject({ errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n });
    const duplicate = await produce('parity-idempotent', records);
    expect(duplicate).toMatchObject({ errorCode: 0, baseOffset: 0n, logAppendTimeMs: BigInt(oldTimestampMs + 1) });
  });
});

describe('configs', () => {
  const DYNAMIC_TOPIC = 1;
  const DEFAULT_CONFIG = 5;

  it('CreateTopics reports sources with Kafka\'s wire numbers and Kafka 3.9\'s remote.log.* configs', async () => {
    const created = await createTopic('parity-configs', { 'retention.ms': '123456789' });
    const byName = new Map(created.configs!.map((entry: { name: string }) => [entry.name, entry]));
    expect(byName.get('retention.ms')).toMatchObject({ value: '123456789', configSource: DYNAMIC_TOPIC });
    expect(byName.get('segment.bytes')).toMatchObject({ configSource: DEFAULT_CONFIG });
    expect(byName.get('remote.log.copy.disable')).toMatchObject({ value: 'false', configSource: DEFAULT_CONFIG, readOnly: false });
    expect(byName.get('remote.log.delete.on.disable')).toMatchObject({ value: 'false', configSource: DEFAULT_CONFIG, readOnly: false });
  });

  it('DescribeConfigs reports DEFAULT_CONFIG as 5', async () => {
    await createTopic('parity-describe');
    const response = await client.request(ApiKey.DescribeConfigs, 4, {
      includeSynonyms: true, includeDocumentation: false,
      resources: [{ resourceType: 2, resourceName: 'parity-describe', configurationKeys: ['max.message.bytes'] }],
    });
    expect(response.results[0].configs[0]).toMatchObject({ name: 'max.message.bytes', configSource: DEFAULT_CONFIG });
    expect(response.results[0].configs[0].synonyms).toContainEqual({ name: 'message.max.bytes', value: '1048588', source: DEFAULT_CONFIG });
  });

  it('CreateTopics errors answer configs [] as Kafka, not null', async () => {
    await createTopic('parity-exists');
    const exists = await createTopic('parity-exists');
    expect(exists).toMatchObject({ errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, configs: [] });
    const invalid = await createTopic('parity-invalid', { 'cleanup.policy': 'sometimes' });
    expect(invalid).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, configs: [] });
  });
});
