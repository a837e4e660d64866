// DescribeProducers (API 61), version 0.
// Behaviour notes: the active producers of each partition led here, from the log's producer
// state (which survives restarts through its snapshots): id, epoch, last sequence, last
// timestamp, coordinator epoch and the start of an open transaction (-1 when none).
import { DescribeProducersRequest, DescribeProducersResponse } from '@kafkaesque/protocol';
import { ErrorCode } from '@kafkaesque/protocol';
import { defineHandler, type RequestContext } from './types.ts';

function describePartition(context: RequestContext, topic: string, partitionIndex: number) {
  const lookup = context.services.replicas.leaderPartition(topic, partitionIndex);
  if (!lookup.ok) return { partitionIndex, errorCode: lookup.errorCode, errorMessage: null, activeProducers: [] };
  return {
    partitionIndex,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    activeProducers: lookup.partition.log.activeProducers().map((producer) => ({
      producerId: producer.producerId,
      producerEpoch: producer.producerEpoch,
      lastSequence: producer.lastSequence,
      lastTimestamp: BigInt(producer.lastTimestamp),
      coordinatorEpoch: producer.coordinatorEpoch,
      currentTxnStartOffset: BigInt(producer.currentTxnStartOffset),
    })),
  };
}

export default defineHandler<DescribeProducersRequest, DescribeProducersResponse>({
  apiKey: 61,
  name: 'DescribeProducers',
  minVersion: 0,
  maxVersion: 0,
  request: DescribeProducersRequest,
  response: DescribeProducersResponse,
  handle(context, request) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitionIndexes.map((partitionIndex) => describePartition(context, topic.name, partitionIndex)),
      })),
    };
  },
  errorResponse(_context, request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode, errorMessage: null, activeProducers: [] })),
      })),
    };
  },
});
