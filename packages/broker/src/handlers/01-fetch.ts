// Fetch (API 1), versions 0–17.
// Behaviour notes:
// - Whole batches exactly as stored (CRC intact); partition_max_bytes and max_bytes bound the
//   response, except that the first partition with data returns at least one whole batch so a
//   consumer always progresses (Kafka's rule since v3). max_bytes is capped by fetch.max.bytes.
// - Long polling: when fewer than min_bytes are ready the request waits (up to max_wait_ms)
//   for an append to one of its partitions, then reads again. Errors answer at once.
// - isolation_level READ_COMMITTED (v4+) reads up to the last stable offset and returns the
//   aborted transactions in range; READ_UNCOMMITTED up to the high watermark. Replica fetches
//   (replica id ≥ 0) read up to the log end; they must come from that broker (its inter-broker
//   credential, see ../cluster/README.md), else TOPIC_AUTHORIZATION_FAILED, and they tell the
//   leader the follower's log end offset (high watermark, ISR).
// - Fetch sessions (v7+, KIP-227), full and incremental, see ../fetch/sessions.ts; a full
//   cache answers sessionless (id 0). v13+ names topics by id (UNKNOWN_TOPIC_ID when unknown).
// - current_leader_epoch (v9+) is checked: older → FENCED_LEADER_EPOCH, newer →
//   UNKNOWN_LEADER_EPOCH. v12+ (KIP-951): NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH come
//   with the current leader, and v16+ with its endpoint.
// - v0–3 clients cannot read magic 2: batches are down-converted (magic 0 for v0–1, magic 1 for
//   v2–3). As in Kafka, pre-v10 fetches of a topic whose compression.type is zstd get
//   UNSUPPORTED_COMPRESSION_TYPE; zstd batches of other topics are served as stored (v4+) —
//   kafka-python's Fetch v4 reads them — and cannot be down-converted (v0–3: the same error).
import {
  ErrorCode,
  FetchRequest,
  FetchResponse,
  ZERO_UUID,
  batchCompression,
  batchesToLegacyMessageSet,
  iterateBatchHeaders,
  type FetchResponseFetchableTopicResponse,
  type FetchResponsePartitionData,
} from '@kafkaesque/protocol';
import { sessionPartitionKey, type FetchSession, type SessionPartition } from '../fetch/sessions.ts';
import { partitionKey } from '../replica/replica-manager.ts';
import { currentLeader, needsLeaderHint, nodeEndpoints } from './leader-hints.ts';
import { defineHandler, type RequestContext } from './types.ts';

const READ_COMMITTED = 1;
const FIRST_TOPIC_ID_VERSION = 13;
const FIRST_SESSION_VERSION = 7;
const FIRST_MAGIC2_VERSION = 4;
const FIRST_ZSTD_VERSION = 10;
const FIRST_LEADER_HINT_VERSION = 12;
const FIRST_NODE_ENDPOINTS_VERSION = 16;
const ZSTD = 4;
const EMPTY = Buffer.alloc(0);

interface FetchTarget {
  /** Topic name ('' while unknown). */
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** Session key: topic id (v13+) or name, and partition. */
  key: string;
}

interface FetchOutcome {
  target: FetchTarget;
  data: FetchResponsePartitionData;
}

interface FetchPlan {
  targets: FetchTarget[];
  session: FetchSession | null;
  incremental: boolean;
}

/** A failed partition: as in Kafka (ReplicaManager's read result for an exception), every
 *  error — OFFSET_OUT_OF_RANGE and fenced epochs included — comes with offsets unknown (-1). */
function emptyData(partition: number, errorCode: number): FetchResponsePartitionData {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

function targetsOf(context: RequestContext, request: FetchRequest): FetchTarget[] {
  const { metadata } = context.services;
  const byId = context.apiVersion >= FIRST_TOPIC_ID_VERSION;
  const targets: FetchTarget[] = [];
  for (const topic of request.topics) {
    const known = byId ? metadata.topicById(topic.topicId) : metadata.topic(topic.topic);
    const name = byId ? (known?.name ?? '') : topic.topic;
    const topicId = byId ? topic.topicId : (known?.id ?? ZERO_UUID);
    for (const partition of topic.partitions) {
      targets.push({
        topic: name,
        topicId,
        partition: partition.partition,
        fetchOffset: Number(partition.fetchOffset),
        partitionMaxBytes: partition.partitionMaxBytes,
        currentLeaderEpoch: partition.currentLeaderEpoch,
        key: sessionPartitionKey(byId ? topicId : name, partition.partition),
      });
    }
  }
  return targets;
}

function remember(session: FetchSession, target: FetchTarget): void {
  const existing = session.partitions.get(target.key);
  if (existing !== undefined) {
    existing.fetchOffset = target.fetchOffset;
    existing.partitionMaxBytes = target.partitionMaxBytes;
    existing.currentLeaderEpoch = target.currentLeaderEpoch;
    existing.topic = target.topic;
    return;
  }
  session.partitions.set(target.key, { ...target, lastHighWatermark: -1, lastLastStableOffset: -1, lastLogStartOffset: -1 });
}

function asTarget(entry: SessionPartition, key: string): FetchTarget {
  return { topic: entry.topic, topicId: entry.topicId, partition: entry.partition, fetchOffset: entry.fetchOffset,
    partitionMaxBytes: entry.partitionMaxBytes, currentLeaderEpoch: entry.currentLeaderEpoch, key };
}

/** Works out which partitions to read, opening / closing / updating the session. */
function plan(context: RequestContext, request: FetchRequest): FetchPlan | { errorCode: number } {
  const { fetchSessions } = context.services;
  const now = context.services.now();
  const requested = targetsOf(context, request);
  if (context.apiVersion < FIRST_SESSION_VERSION) {
    return { targets: requested, session: null, incremental: false };
  }
  const { sessionId, sessionEpoch } = request;
  if (sessionEpoch === -1 || sessionEpoch === 0) {
    if (sessionId !== 0) fetchSessions.remove(sessionId);
    if (sessionEpoch === -1) return { targets: requested, session: null, incremental: false };
    const session = fetchSessions.create(now, context.apiVersion >= FIRST_TOPIC_ID_VERSION);
    if (session !== undefined) for (const target of requested) remember(session, target);
    return { targets: requested, session: session ?? null, incremental: false };
  }
  const session = fetchSessions.get(sessionId);
  if (session === undefined) return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
  if (session.nextEpoch !== sessionEpoch) return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
  if ((context.apiVersion >= FIRST_TOPIC_ID_VERSION) !== session.usesTopicIds) return { errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
  session.nextEpoch = sessionEpoch === 0x7fffffff ? 1 : sessionEpoch + 1;
  fetchSessions.touch(session, now);
  for (const target of requested) remember(session, target);
  for (const forgotten of request.forgottenTopicsData) {
    const topicKey = session.usesTopicIds ? forgotten.topicId : forgotten.topic;
    for (const partition of forgotten.partitions) session.partitions.delete(sessionPartitionKey(topicKey, partition));
  }
  const targets = [...session.partitions].map(([key, entry]) => asTarget(entry, key));
  return { targets, session, incremental: true };
}

function hasZstd(records: Buffer): boolean {
  for (const header of iterateBatchHeaders(records)) if (batchCompression(header.attributes) === ZSTD) return true;
  return false;
}

/** Kafka refuses pre-v10 fetches of a topic configured to store zstd. */
function zstdTopic(context: RequestContext, topic: string): boolean {
  const overrides = context.services.metadata.topic(topic)?.configs ?? {};
  return context.services.config.topicValue('compression.type', overrides) === 'zstd';
}

async function readPartition(
  context: RequestContext,
  request: FetchRequest,
  target: FetchTarget,
  maxBytes: number,
  minOneBatch: boolean,
): Promise<FetchResponsePartitionData> {
  const { services, apiVersion } = context;
  if (target.topic === '') return emptyData(target.partition, apiVersion >= FIRST_TOPIC_ID_VERSION ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const lookup = services.replicas.leaderPartition(target.topic, target.partition);
  if (!lookup.ok) return emptyData(target.partition, lookup.errorCode);
  const { partition } = lookup;
  const log = partition.log;
  if (apiVersion < FIRST_ZSTD_VERSION && zstdTopic(context, target.topic)) {
    return emptyData(target.partition, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  }
  if (target.currentLeaderEpoch >= 0 && target.currentLeaderEpoch !== partition.leaderEpoch) {
    const code = target.currentLeaderEpoch < partition.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
    return emptyData(target.partition, code);
  }
  // v15+ moved the replica id into replica_state (decoded with defaults in older versions).
  const replicaId = apiVersion >= 15 ? (request.replicaState?.replicaId ?? -1) : request.replicaId;
  if (replicaId >= 0) {
    const refused = services.replicas.followerFetch(partition, replicaId, context.clientId, target.fetchOffset);
    if (refused !== ErrorCode.NONE) return emptyData(target.partition, refused);
  }
  const readCommitted = apiVersion >= 4 && request.isolationLevel === READ_COMMITTED;
  const maxOffset = replicaId >= 0 ? log.logEndOffset : readCommitted ? log.lastStableOffset : log.highWatermark;
  let result;
  try {
    result = await log.read(target.fetchOffset, maxBytes, { maxOffset, minOneBatch, includeAbortedTransactions: readCommitted });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'number') throw error;
    const failed = emptyData(target.partition, code);
    if (replicaId >= 0) {
      // Our followers (../cluster/replica-fetcher.ts) restart from the leader's log start offset
      // on OFFSET_OUT_OF_RANGE instead of asking ListOffsets as Kafka's do: they get the offsets.
      failed.highWatermark = BigInt(log.highWatermark);
      failed.lastStableOffset = BigInt(log.lastStableOffset);
      failed.logStartOffset = BigInt(log.logStartOffset);
    }
    return failed;
  }
  let records = result.records;
  if (apiVersion < FIRST_MAGIC2_VERSION && records.length > 0) {
    if (hasZstd(records)) {
      return emptyData(target.partition, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    }
    records = batchesToLegacyMessageSet(records, apiVersion < 2 ? 0 : 1);
  }
  return {
    partitionIndex: target.partition,
    errorCode: ErrorCode.NONE,
    highWatermark: BigInt(result.highWatermark),
    lastStableOffset: BigInt(result.lastStableOffset),
    logStartOffset: BigInt(result.logStartOffset),
    abortedTransactions: readCommitted
      ? (result.abortedTransactions ?? []).map((aborted) => ({ producerId: aborted.producerId, firstOffset: BigInt(aborted.firstOffset) }))
      : null,
    preferredReadReplica: -1,
    records,
  };
}

async function readAll(context: RequestContext, request: FetchRequest, targets: FetchTarget[], responseBytesMax: number): Promise<FetchOutcome[]> {
  const outcomes: FetchOutcome[] = [];
  let remaining = responseBytesMax;
  let returnedData = false;
  for (const target of targets) {
    const limit = Math.max(0, Math.min(target.partitionMaxBytes, remaining));
    const data = await readPartition(context, request, target, limit, !returnedData);
    const size = data.records?.length ?? 0;
    if (size > 0) returnedData = true;
    remaining = Math.max(0, remaining - size);
    outcomes.push({ target, data });
  }
  return outcomes;
}

function hasNews(entry: SessionPartition | undefined, data: FetchResponsePartitionData): boolean {
  if (entry === undefined) return true;
  return (
    data.errorCode !== ErrorCode.NONE ||
    (data.records?.length ?? 0) > 0 ||
    Number(data.highWatermark) !== entry.lastHighWatermark ||
    Number(data.lastStableOffset) !== entry.lastLastStableOffset ||
    Number(data.logStartOffset) !== entry.lastLogStartOffset
  );
}

function group(outcomes: FetchOutcome[]): FetchResponseFetchableTopicResponse[] {
  const topics: FetchResponseFetchableTopicResponse[] = [];
  let current: FetchResponseFetchableTopicResponse | undefined;
  for (const { target, data } of outcomes) {
    if (current === undefined || current.topic !== target.topic || current.topicId !== target.topicId) {
      current = { topic: target.topic, topicId: target.topicId, partitions: [] };
      topics.push(current);
    }
    current.partitions.push(data);
  }
  return topics;
}

/** KIP-951: partitions we do not lead (any more) say who does; v16+ also where it listens. */
function addLeaderHints(context: RequestContext, outcomes: FetchOutcome[], response: FetchResponse): void {
  const leaders = new Set<number>();
  for (const { target, data } of outcomes) {
    if (!needsLeaderHint(data.errorCode) || target.topic === '') continue;
    const leader = currentLeader(context.services, target.topic, target.partition);
    if (leader === undefined) continue;
    data.currentLeader = leader;
    leaders.add(leader.leaderId);
  }
  if (context.apiVersion >= FIRST_NODE_ENDPOINTS_VERSION) response.nodeEndpoints = nodeEndpoints(context.services, leaders);
}

export default defineHandler<FetchRequest, FetchResponse>({
  apiKey: 1,
  name: 'Fetch',
  minVersion: 0,
  maxVersion: 17,
  request: FetchRequest,
  response: FetchResponse,
  async handle(context, request) {
    const { services, apiVersion } = context;
    const planned = plan(context, request);
    if ('errorCode' in planned) {
      return { throttleTimeMs: 0, errorCode: planned.errorCode, sessionId: 0, responses: [] };
    }
    const fetchBytesMax = services.config.int('fetch.max.bytes');
    const responseBytesMax = apiVersion >= 3 ? Math.min(request.maxBytes, fetchBytesMax) : fetchBytesMax;
    const deadline = context.receivedAtMs + Math.max(0, request.maxWaitMs);
    let outcomes = await readAll(context, request, planned.targets, responseBytesMax);
    for (;;) {
      const bytes = outcomes.reduce((sum, outcome) => sum + (outcome.data.records?.length ?? 0), 0);
      const failed = outcomes.some((outcome) => outcome.data.errorCode !== ErrorCode.NONE);
      const waitMs = deadline - services.now();
      if (bytes >= request.minBytes || failed || waitMs <= 0 || services.shuttingDown || outcomes.length === 0) break;
      await services.replicas.waitForData(
        planned.targets.map((target) => partitionKey(target.topic, target.partition)),
        waitMs,
      );
      outcomes = await readAll(context, request, planned.targets, responseBytesMax);
    }
    const session = planned.session;
    if (session !== null) {
      if (planned.incremental) outcomes = outcomes.filter((outcome) => hasNews(session.partitions.get(outcome.target.key), outcome.data));
      for (const { target, data } of outcomes) {
        const entry = session.partitions.get(target.key);
        if (entry === undefined) continue;
        entry.lastHighWatermark = Number(data.highWatermark);
        entry.lastLastStableOffset = Number(data.lastStableOffset);
        entry.lastLogStartOffset = Number(data.logStartOffset);
      }
    }
    const response: FetchResponse = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses: group(outcomes) };
    if (apiVersion >= FIRST_LEADER_HINT_VERSION) addLeaderHints(context, outcomes, response);
    return response;
  },
  errorResponse(_context, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] };
  },
  responseSizeHint(response) {
    let bytes = 256;
    for (const topic of response.responses) {
      bytes += 64 + topic.topic.length;
      for (const partition of topic.partitions) bytes += 96 + (partition.records?.length ?? 0);
    }
    return bytes;
  },
});
