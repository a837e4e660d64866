// Produce (API 0), versions 0–11.
// Behaviour notes:
// - Advertised from v0: librdkafka turns gzip/snappy/lz4 off when Produce 0 is missing.
// - v3+ must carry magic 2 batches, which are appended as produced (records stay raw; the log
//   validates CRCs, offsets and producer sequences and rewrites only base offsets / epochs).
//   v0–2 carry magic 0/1 message sets: they are converted to one magic 2 batch first.
// - acks must be 0, 1 or -1 (else INVALID_REQUIRED_ACKS). acks=0 gets no response at all.
//   (an acks=0 request that fails for any partition closes the connection, as in Kafka).
//   acks=-1 checks min.insync.replicas against the ISR (NOT_ENOUGH_REPLICAS), appends, then waits
//   (up to timeout_ms) until the high watermark passes the batch: REQUEST_TIMED_OUT when it does
//   not, NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below the minimum meanwhile,
//   NOT_LEADER_OR_FOLLOWER when leadership moved. With one replica the append completes it.
// - Errors are per partition: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER,
//   CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, INVALID_RECORD (with record errors),
//   OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, KAFKA_STORAGE_ERROR, … An idempotent
//   retry of one of the producer's last 5 batches succeeds with the original offsets.
//   Internal topics cannot be produced to (INVALID_TOPIC_EXCEPTION).
// - v10+ (KIP-951): NOT_LEADER_OR_FOLLOWER comes with the current leader and its endpoint.
// - Partitions are appended concurrently; appends to one partition keep request order.
import {
  BATCH_MAGIC_PROBE_BYTES,
  BATCH_OFFSET_MAGIC,
  ErrorCode,
  ProduceRequest,
  ProduceResponse,
  ProtocolDecodeError,
  legacyMessageSetToBatches,
  type ProduceResponsePartitionProduceResponse,
} from '@kafkaesque/protocol';
import { RequestRejectedError } from './dispatcher.ts';
import { currentLeader, needsLeaderHint, nodeEndpoints } from './leader-hints.ts';
import { defineHandler, type RequestContext } from './types.ts';

const FIRST_MAGIC2_VERSION = 3;
const FIRST_LEADER_HINT_VERSION = 10;

type PartitionResponse = ProduceResponsePartitionProduceResponse;

function failure(index: number, errorCode: number, errorMessage: string | null = null, logStartOffset = -1n): PartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset, recordErrors: [], errorMessage };
}

/** Errors Kafka's ReplicaManager answers with an unknown log start offset (-1): the append
 *  never reached the log's producer-state / validation stage. Other failures carry it. */
const NO_LOG_START_OFFSET_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.RECORD_LIST_TOO_LARGE,
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
]);

/** The records as magic 2 batches, or an error code. */
function magic2Records(records: Buffer | null, version: number): Buffer | number {
  if (records === null || records.length < BATCH_MAGIC_PROBE_BYTES) return ErrorCode.CORRUPT_MESSAGE;
  const magic = records[BATCH_OFFSET_MAGIC];
  if (magic === 2) return records;
  if (version >= FIRST_MAGIC2_VERSION) return ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT;
  if (magic > 2) return ErrorCode.CORRUPT_MESSAGE;
  try {
    const converted = legacyMessageSetToBatches(records, { verifyCrc: true, baseOffset: 0 });
    return converted.length === 0 ? ErrorCode.CORRUPT_MESSAGE : converted;
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return ErrorCode.CORRUPT_MESSAGE;
    throw error;
  }
}

async function producePartition(
  context: RequestContext,
  topic: string,
  index: number,
  records: Buffer | null,
  acks: number,
  timeoutMs: number,
): Promise<PartitionResponse> {
  const { services } = context;
  const lookup = services.replicas.leaderPartition(topic, index);
  if (!lookup.ok) return failure(index, lookup.errorCode);
  const partition = lookup.partition;
  // Internal topics (__consumer_offsets…) are written by their coordinators only.
  if (services.metadata.topic(topic)?.internal) return failure(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
  if (acks === -1) {
    const state = services.metadata.topic(topic)?.partitions[index];
    const minIsr = Number(services.config.topicValue('min.insync.replicas', services.metadata.topic(topic)?.configs ?? {}));
    if (state !== undefined && state.isr.length < minIsr) {
      return failure(index, ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR ${state.isr.length} is insufficient to satisfy the min.isr requirement of ${minIsr}`);
    }
  }
  const batches = magic2Records(records, context.apiVersion);
  if (typeof batches === 'number') return failure(index, batches);
  try {
    const result = await services.replicas.append(partition, batches, services.now());
    if (!result.ok) {
      const logStartOffset = NO_LOG_START_OFFSET_ERRORS.has(result.errorCode) ? -1n : BigInt(result.logStartOffset);
      const response = failure(index, result.errorCode, result.errorMessage, logStartOffset);
      if (result.errorCode === ErrorCode.INVALID_RECORD || result.errorCode === ErrorCode.INVALID_TIMESTAMP) {
        response.recordErrors = [{ batchIndex: result.batchIndex ?? 0, batchIndexErrorMessage: result.errorMessage }];
      }
      return response;
    }
    if (acks === -1) {
      const replicated = await services.replicas.waitForReplication(partition, result.lastOffset + 1, timeoutMs);
      if (replicated !== ErrorCode.NONE) return failure(index, replicated, null, BigInt(result.logStartOffset));
    }
    return {
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: BigInt(result.firstOffset),
      logAppendTimeMs: BigInt(result.logAppendTimeMs),
      logStartOffset: BigInt(result.logStartOffset),
      recordErrors: [],
      errorMessage: null,
    };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return failure(index, code, (error as Error).message);
    throw error;
  }
}

export default defineHandler<ProduceRequest, ProduceResponse>({
  apiKey: 0,
  name: 'Produce',
  minVersion: 0,
  maxVersion: 11,
  request: ProduceRequest,
  response: ProduceResponse,
  async handle(context, request) {
    const { acks } = request;
    const validAcks = acks === 0 || acks === 1 || acks === -1;
    const responses = await Promise.all(
      request.topicData.map(async (topic) => ({
        name: topic.name,
        partitionResponses: await Promise.all(
          topic.partitionData.map((data) =>
            validAcks
              ? producePartition(context, topic.name, data.index, data.records, acks, request.timeoutMs)
              : failure(data.index, ErrorCode.INVALID_REQUIRED_ACKS),
          ),
        ),
      })),
    );
    if (acks === 0) {
      // No response to carry an error: like Kafka, close the connection so the client notices
      // (and refreshes its metadata) instead of producing into the void.
      const failed = responses.some((topic) => topic.partitionResponses.some((partition) => partition.errorCode !== ErrorCode.NONE));
      if (failed) throw new RequestRejectedError('Produce with acks=0 failed for some partition');
      return null;
    }
    if (context.apiVersion < FIRST_LEADER_HINT_VERSION) return { responses, throttleTimeMs: 0 };
    // KIP-951: say who leads a partition we do not, and where it listens.
    const leaders = new Set<number>();
    for (const topic of responses) {
      for (const partition of topic.partitionResponses) {
        if (!needsLeaderHint(partition.errorCode)) continue;
        const leader = currentLeader(context.services, topic.name, partition.index);
        if (leader === undefined) continue;
        partition.currentLeader = leader;
        leaders.add(leader.leaderId);
      }
    }
    return { responses, throttleTimeMs: 0, nodeEndpoints: nodeEndpoints(context.services, leaders) };
  },
  errorResponse(_context, request, errorCode) {
    if (request.acks === 0) return null;
    return {
      responses: request.topicData.map((topic) => ({
        name: topic.name,
        partitionResponses: topic.partitionData.map((data) => failure(data.index, errorCode)),
      })),
      throttleTimeMs: 0,
    };
  },
});
