// The scripted differential scenario: the same raw requests, in the same order, sent to real
// Apache Kafka and to kafkaesque. A step may capture values that legitimately differ per broker
// (producer ids, member ids, topic ids) into the broker's context and use them in later requests;
// `normalize` replaces such values with stable tokens before the field-by-field comparison.
import {
  ApiKey, Compression, ZERO_UUID, apis, decodeRecordBatches, encodeRecordBatch, type RecordBatchSpec,
} from '@kafkaesque/protocol';
import type { WireConnection } from './wire.ts';

/** Fixed record timestamps, so stored batches (and their CRCs) are the same on both brokers. */
export const baseTimestampMs = 1_700_000_000_000;
const groupId = 'diff-group';
const topic = 'diff-topic';
const smallTopic = 'diff-small';
const idempotentTopic = 'diff-idempotent';

export interface BrokerContext {
  producerId: bigint;
  memberId: string;
  generationId: number;
  topicIds: Map<string, string>;
}

export interface Step {
  name: string;
  apiKey: number;
  version: number;
  request(context: BrokerContext): unknown;
  capture?(response: any, context: BrokerContext): void;
  /** Rewrites per-broker values into tokens (returns the value to compare). */
  normalize?(response: any, context: BrokerContext): unknown;
  /** True when the response is a retriable error a client would retry (e.g. the coordinator is
   *  still loading); the request is then sent again, up to a deadline. */
  retry?(response: any): boolean;
  /** Runs before the request (not compared): waits for what a real client would wait for. */
  settle?(connection: WireConnection, context: BrokerContext): Promise<void>;
}

function request(apiKey: number, fields: Record<string, unknown>): unknown {
  const codec = apis[apiKey]?.request;
  if (codec === undefined) throw new Error(`no codec for api ${apiKey}`);
  return { ...(codec.defaults() as Record<string, unknown>), ...fields };
}

function batch(spec: Partial<RecordBatchSpec> & { values: string[] }): Buffer {
  return encodeRecordBatch({
    compression: Compression.none,
    baseTimestamp: baseTimestampMs,
    ...spec,
    records: spec.values.map((value, i) => ({ key: `k${i}`, value, timestamp: baseTimestampMs + i })),
  });
}

function produce(topicName: string, records: Buffer, acks = -1): unknown {
  return request(ApiKey.Produce, {
    transactionalId: null, acks, timeoutMs: 10_000,
    topicData: [{ name: topicName, partitionData: [{ index: 0, records }] }],
  });
}

function fetch(topicName: string, fetchOffset: bigint): unknown {
  return request(ApiKey.Fetch, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: topicName, topicId: ZERO_UUID, partitions: [{
      partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024,
    }] }],
    forgottenTopicsData: [], rackId: '',
  });
}

function listOffsets(topicName: string, timestamp: bigint): unknown {
  return request(ApiKey.ListOffsets, {
    replicaId: -1, isolationLevel: 0, timeoutMs: 10_000,
    topics: [{ name: topicName, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
  });
}

function createTopic(name: string, numPartitions: number, configs: Record<string, string>): unknown {
  return request(ApiKey.CreateTopics, {
    timeoutMs: 30_000, validateOnly: false,
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [],
      configs: Object.entries(configs).map(([key, value]) => ({ name: key, value })) }],
  });
}

/** Decoded records instead of raw bytes: a difference then names the field that differs. */
function decodeRecordsField(records: Buffer | null): unknown {
  if (records === null || records.length === 0) return records === null ? null : [];
  const decoded = decodeRecordBatches(records);
  return {
    partialBytes: decoded.partialBytes,
    batches: decoded.batches.map((b) => ({
      baseOffset: b.baseOffset, lastOffsetDelta: b.lastOffsetDelta, partitionLeaderEpoch: b.partitionLeaderEpoch,
      magic: b.magic, crc: b.crc, compression: b.compression, timestampType: b.timestampType,
      isTransactional: b.isTransactional, isControl: b.isControl, baseTimestamp: b.baseTimestamp, maxTimestamp: b.maxTimestamp,
      producerId: b.producerId, producerEpoch: b.producerEpoch, baseSequence: b.baseSequence,
      records: b.records.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key?.toString() ?? null,
        value: r.value === null ? null : r.value.length > 64 ? `${r.value.length} bytes` : r.value.toString(), headers: r.headers })),
    })),
  };
}

function normalizeFetch(response: any): unknown {
  for (const t of response.responses ?? []) for (const p of t.partitions ?? []) p.records = decodeRecordsField(p.records);
  return response;
}

/** Polls Metadata until every partition of `name` has a leader, as clients do after CreateTopics. */
async function waitForLeaders(connection: WireConnection, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await connection.send(ApiKey.Metadata, 12, request(ApiKey.Metadata, {
      topics: [{ topicId: ZERO_UUID, name }], allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false,
    }));
    const found = response.topics?.[0];
    if (found?.errorCode === 0 && found.partitions.length > 0 && found.partitions.every((p: any) => p.errorCode === 0 && p.leaderId >= 0)) return;
    if (Date.now() > deadline) throw new Error(`topic ${name} has no leaders after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR: clients look the
 *  coordinator up again and retry; a fresh broker answers them until its internal topics exist. */
const coordinatorRetriable = new Set([14, 15, 16]);
const retryCoordinator = (response: any) =>
  coordinatorRetriable.has(response.errorCode) || (response.coordinators ?? []).some((c: any) => coordinatorRetriable.has(c.errorCode));

const tokenize = (value: string, known: string, token: string) => (value === known ? token : value);

export const scenario: Step[] = [
  { name: 'ApiVersions v3', apiKey: ApiKey.ApiVersions, version: 3,
    request: () => request(ApiKey.ApiVersions, { clientSoftwareName: 'kafkaesque-differential', clientSoftwareVersion: '1' }) },
  { name: 'Metadata v12 unknown topic, no auto-creation', apiKey: ApiKey.Metadata, version: 12,
    request: () => request(ApiKey.Metadata, { topics: [{ topicId: ZERO_UUID, name: 'diff-missing' }], allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }) },
  { name: 'CreateTopics v7 with configs', apiKey: ApiKey.CreateTopics, version: 7,
    request: () => createTopic(topic, 3, { 'retention.ms': '123456789', 'cleanup.policy': 'delete' }),
    capture: (response, context) => { for (const t of response.topics) context.topicIds.set(t.name, t.topicId); } },
  { name: 'CreateTopics v7 small max.message.bytes', apiKey: ApiKey.CreateTopics, version: 7,
    request: () => createTopic(smallTopic, 1, { 'max.message.bytes': '1024' }) },
  { name: 'CreateTopics v7 idempotence topic', apiKey: ApiKey.CreateTopics, version: 7,
    request: () => createTopic(idempotentTopic, 1, {}) },
  { name: 'CreateTopics v7 already exists', apiKey: ApiKey.CreateTopics, version: 7,
    request: () => createTopic(topic, 3, {}) },
  { name: 'CreateTopics v7 invalid config', apiKey: ApiKey.CreateTopics, version: 7,
    request: () => createTopic('diff-invalid', 1, { 'cleanup.policy': 'sometimes' }) },
  { name: 'Metadata v12 created topic', apiKey: ApiKey.Metadata, version: 12,
    settle: async (connection) => { for (const name of [topic, smallTopic, idempotentTopic]) await waitForLeaders(connection, name); },
    request: () => request(ApiKey.Metadata, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }) },
  { name: 'DescribeConfigs v4 topic', apiKey: ApiKey.DescribeConfigs, version: 4,
    request: () => request(ApiKey.DescribeConfigs, { includeSynonyms: false, includeDocumentation: false,
      resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ['retention.ms', 'cleanup.policy', 'max.message.bytes', 'segment.bytes'] }] }) },
  { name: 'DescribeConfigs v4 unknown topic', apiKey: ApiKey.DescribeConfigs, version: 4,
    request: () => request(ApiKey.DescribeConfigs, { includeSynonyms: false, includeDocumentation: false,
      resources: [{ resourceType: 2, resourceName: 'diff-missing', configurationKeys: null }] }) },
  { name: 'Produce v9 first batch', apiKey: ApiKey.Produce, version: 9,
    request: () => produce(topic, batch({ values: ['a', 'b', 'c'] })) },
  { name: 'Produce v9 second batch (gzip)', apiKey: ApiKey.Produce, version: 9,
    request: () => produce(topic, batch({ values: ['d', 'e', 'f'], compression: Compression.gzip, baseTimestamp: baseTimestampMs + 10 })) },
  { name: 'Produce v9 unknown topic', apiKey: ApiKey.Produce, version: 9,
    request: () => produce('diff-missing', batch({ values: ['x'] })) },
  { name: 'Produce v9 message too large', apiKey: ApiKey.Produce, version: 9,
    request: () => produce(smallTopic, batch({ values: ['y'.repeat(4000)] })) },
  { name: 'Fetch v12 from offset 0', apiKey: ApiKey.Fetch, version: 12,
    request: () => fetch(topic, 0n), normalize: normalizeFetch },
  { name: 'Fetch v12 from offset 4', apiKey: ApiKey.Fetch, version: 12,
    request: () => fetch(topic, 4n), normalize: normalizeFetch },
  { name: 'Fetch v12 offset out of range', apiKey: ApiKey.Fetch, version: 12,
    request: () => fetch(topic, 100n), normalize: normalizeFetch },
  { name: 'ListOffsets v7 latest', apiKey: ApiKey.ListOffsets, version: 7, request: () => listOffsets(topic, -1n) },
  { name: 'ListOffsets v7 earliest', apiKey: ApiKey.ListOffsets, version: 7, request: () => listOffsets(topic, -2n) },
  { name: 'ListOffsets v7 by time', apiKey: ApiKey.ListOffsets, version: 7,
    request: () => listOffsets(topic, BigInt(baseTimestampMs + 1)) },
  { name: 'ListOffsets v7 by time after the last record', apiKey: ApiKey.ListOffsets, version: 7,
    request: () => listOffsets(topic, BigInt(baseTimestampMs + 1_000_000)) },
  { name: 'ListOffsets v7 max timestamp', apiKey: ApiKey.ListOffsets, version: 7, request: () => listOffsets(topic, -3n) },
  { name: 'InitProducerId v4', apiKey: ApiKey.InitProducerId, version: 4,
    retry: retryCoordinator,
    request: () => request(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }),
    capture: (response, context) => { context.producerId = response.producerId; },
    normalize: (response, context) => ({ ...response, producerId: response.producerId === context.producerId && response.producerId >= 0n ? '<producer id>' : response.producerId }) },
  { name: 'Produce v9 idempotent sequence 0', apiKey: ApiKey.Produce, version: 9,
    request: (context) => produce(idempotentTopic, batch({ values: ['i0', 'i1'], producerId: context.producerId, producerEpoch: 0, baseSequence: 0 })) },
  { name: 'Produce v9 idempotent duplicate of sequence 0', apiKey: ApiKey.Produce, version: 9,
    request: (context) => produce(idempotentTopic, batch({ values: ['i0', 'i1'], producerId: context.producerId, producerEpoch: 0, baseSequence: 0 })) },
  { name: 'Produce v9 idempotent sequence gap', apiKey: ApiKey.Produce, version: 9,
    request: (context) => produce(idempotentTopic, batch({ values: ['i5'], producerId: context.producerId, producerEpoch: 0, baseSequence: 5 })) },
  { name: 'Produce v9 idempotent next sequence', apiKey: ApiKey.Produce, version: 9,
    request: (context) => produce(idempotentTopic, batch({ values: ['i2'], producerId: context.producerId, producerEpoch: 0, baseSequence: 2 })) },
  { name: 'Produce v9 idempotent epoch bump', apiKey: ApiKey.Produce, version: 9,
    request: (context) => produce(idempotentTopic, batch({ values: ['e1'], producerId: context.producerId, producerEpoch: 1, baseSequence: 0 })) },
  { name: 'Produce v9 idempotent stale epoch', apiKey: ApiKey.Produce, version: 9,
    request: (context) => produce(idempotentTopic, batch({ values: ['e0'], producerId: context.producerId, producerEpoch: 0, baseSequence: 3 })) },
  { name: 'Fetch v12 idempotent topic', apiKey: ApiKey.Fetch, version: 12,
    request: () => fetch(idempotentTopic, 0n),
    normalize: (response, context) => {
      normalizeFetch(response);
      for (const t of response.responses) for (const p of t.partitions) for (const b of p.records?.batches ?? []) {
        if (b.producerId === context.producerId) b.producerId = '<producer id>';
      }
      return response;
    } },
  { name: 'FindCoordinator v4 group', apiKey: ApiKey.FindCoordinator, version: 4, retry: retryCoordinator,
    request: () => request(ApiKey.FindCoordinator, { key: '', keyType: 0, coordinatorKeys: [groupId] }) },
  { name: 'JoinGroup v7 without member id', apiKey: ApiKey.JoinGroup, version: 7, retry: retryCoordinator,
    request: () => request(ApiKey.JoinGroup, { groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '',
      groupInstanceId: null, protocolType: 'consumer', reason: null, protocols: [{ name: 'range', metadata: Buffer.from('meta') }] }),
    capture: (response, context) => { context.memberId = response.memberId; },
    normalize: (response, context) => ({ ...response, memberId: tokenize(response.memberId, context.memberId, '<member>') }) },
  { name: 'JoinGroup v7 with member id', apiKey: ApiKey.JoinGroup, version: 7,
    request: (context) => request(ApiKey.JoinGroup, { groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000,
      memberId: context.memberId, groupInstanceId: null, protocolType: 'consumer', reason: null,
      protocols: [{ name: 'range', metadata: Buffer.from('meta') }] }),
    capture: (response, context) => { context.generationId = response.generationId; },
    normalize: (response, context) => ({ ...response,
      memberId: tokenize(response.memberId, context.memberId, '<member>'), leader: tokenize(response.leader, context.memberId, '<member>'),
      members: response.members.map((m: any) => ({ ...m, memberId: tokenize(m.memberId, context.memberId, '<member>') })) }) },
  { name: 'SyncGroup v5 leader assignment', apiKey: ApiKey.SyncGroup, version: 5,
    request: (context) => request(ApiKey.SyncGroup, { groupId, generationId: context.generationId, memberId: context.memberId,
      groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: context.memberId, assignment: Buffer.from('assignment') }] }) },
  { name: 'Heartbeat v4', apiKey: ApiKey.Heartbeat, version: 4,
    request: (context) => request(ApiKey.Heartbeat, { groupId, generationId: context.generationId, memberId: context.memberId, groupInstanceId: null }) },
  { name: 'OffsetCommit v8', apiKey: ApiKey.OffsetCommit, version: 8,
    request: (context) => request(ApiKey.OffsetCommit, { groupId, generationIdOrMemberEpoch: context.generationId, memberId: context.memberId,
      groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: topic, partitions: [
        { partitionIndex: 0, committedOffset: 4n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'meta' }] }] }) },
  { name: 'OffsetCommit v8 illegal generation', apiKey: ApiKey.OffsetCommit, version: 8,
    request: (context) => request(ApiKey.OffsetCommit, { groupId, generationIdOrMemberEpoch: context.generationId + 5, memberId: context.memberId,
      groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: topic, partitions: [
        { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] }) },
  { name: 'OffsetCommit v8 unknown member', apiKey: ApiKey.OffsetCommit, version: 8,
    request: (context) => request(ApiKey.OffsetCommit, { groupId, generationIdOrMemberEpoch: context.generationId, memberId: 'nobody',
      groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: topic, partitions: [
        { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] }) },
  { name: 'OffsetFetch v8', apiKey: ApiKey.OffsetFetch, version: 8,
    request: () => request(ApiKey.OffsetFetch, { requireStable: false,
      groups: [{ groupId, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [0, 1] }] }] }) },
  { name: 'LeaveGroup v4', apiKey: ApiKey.LeaveGroup, version: 4,
    request: (context) => request(ApiKey.LeaveGroup, { groupId, memberId: '', members: [{ memberId: context.memberId, groupInstanceId: null, reason: null }] }),
    normalize: (response, context) => ({ ...response,
      members: response.members.map((m: any) => ({ ...m, memberId: tokenize(m.memberId, context.memberId, '<member>') })) }) },
  { name: 'DeleteTopics v6', apiKey: ApiKey.DeleteTopics, version: 6,
    request: () => request(ApiKey.DeleteTopics, { topicNames: [], timeoutMs: 30_000, topics: [{ name: smallTopic, topicId: ZERO_UUID }] }) },
  { name: 'DeleteTopics v6 unknown topic', apiKey: ApiKey.DeleteTopics, version: 6,
    request: () => request(ApiKey.DeleteTopics, { topicNames: [], timeoutMs: 30_000, topics: [{ name: 'diff-missing', topicId: ZERO_UUID }] }) },
];
