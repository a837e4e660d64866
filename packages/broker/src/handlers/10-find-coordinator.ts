// FindCoordinator (API 10), versions 0–6.
// Behaviour notes:
// - key type 0 (group) → the leader of __consumer_offsets partition abs(hash(key)) % partitions;
//   key type 1 (transaction) → the leader of __transaction_state's partition (same hash).
// - v0 must be served: librdkafka's consumer and kafka-python look coordinators up with it.
// - The internal topic is created on first use (Kafka's behaviour); we answer once it exists
//   rather than COORDINATOR_NOT_AVAILABLE, so clients do not have to retry.
// - v4+ carries a batch of keys (coordinator_keys), each with its own error.
import { ErrorCode, FindCoordinatorRequest, FindCoordinatorResponse, type FindCoordinatorResponseCoordinator } from '@kafkaesque/protocol';
import { INTERNAL_TOPICS, ensureInternalTopic, internalTopicPartitions } from '../groups/internal-topics.ts';
import { partitionForKey } from '../groups/partitioning.ts';
import { defineHandler, type RequestContext } from './types.ts';

const BATCHED_KEYS_VERSION = 4;
/** Bound on keys looked up by one request. */
const COORDINATOR_KEYS_MAX = 10_000;

function failure(key: string, errorCode: number, errorMessage: string | null): FindCoordinatorResponseCoordinator {
  return { key, nodeId: -1, host: '', port: -1, errorCode, errorMessage };
}

async function findOne(context: RequestContext, key: string, keyType: number): Promise<FindCoordinatorResponseCoordinator> {
  const spec = INTERNAL_TOPICS[keyType];
  if (spec === undefined) return failure(key, ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}`);
  if (keyType === 1 && key.length === 0) return failure(key, ErrorCode.INVALID_REQUEST, 'The transactional id is empty');
  const created = await ensureInternalTopic(context.services, spec);
  if (created !== ErrorCode.NONE) return failure(key, created, null);
  const { metadata } = context.services;
  const partition = partitionForKey(key, internalTopicPartitions(context.services, spec));
  const leader = metadata.topic(spec.name)?.partitions[partition]?.leader ?? -1;
  const broker = metadata.brokers().find((candidate) => candidate.id === leader);
  if (broker === undefined) return failure(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, null);
  return { key, nodeId: broker.id, host: broker.host, port: broker.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

function response(context: RequestContext, results: FindCoordinatorResponseCoordinator[]): FindCoordinatorResponse {
  if (context.apiVersion >= BATCHED_KEYS_VERSION) {
    // The single-key fields do not exist from v4: they stay at their defaults.
    return { ...FindCoordinatorResponse.defaults(), throttleTimeMs: 0, coordinators: results };
  }
  const single = results[0];
  return { throttleTimeMs: 0, errorCode: single.errorCode, errorMessage: single.errorMessage, nodeId: single.nodeId, host: single.host, port: single.port, coordinators: [] };
}

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  request: FindCoordinatorRequest,
  response: FindCoordinatorResponse,
  async handle(context, request) {
    const keys = context.apiVersion >= BATCHED_KEYS_VERSION ? request.coordinatorKeys : [request.key];
    if (keys.length > COORDINATOR_KEYS_MAX) {
      return response(context, keys.map((key) => failure(key, ErrorCode.INVALID_REQUEST, 'Too many coordinator keys')));
    }
    const results: FindCoordinatorResponseCoordinator[] = [];
    for (const key of keys) results.push(await findOne(context, key, request.keyType));
    return response(context, results);
  },
  errorResponse(context, request, errorCode) {
    const keys = context.apiVersion >= BATCHED_KEYS_VERSION ? request.coordinatorKeys : [request.key];
    return response(context, keys.map((key) => failure(key, errorCode, null)));
  },
});
