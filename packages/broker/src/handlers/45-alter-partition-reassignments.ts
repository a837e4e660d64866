// AlterPartitionReassignments (API 45), version 0.
// Behaviour notes: sent to the controller (another broker answers NOT_CONTROLLER). A partition's
// replica list becomes target ∪ current, recorded in Kafka's adding_replicas /
// removing_replicas; once every new replica is in the ISR the controller shrinks the list to
// the target, moving leadership first when the leader is being removed, and removed replicas
// delete their logs. Null replicas cancel an ongoing reassignment (NO_REASSIGNMENT_IN_PROGRESS
// when there is none). Target brokers must be registered (INVALID_REPLICA_ASSIGNMENT). A broker
// with local metadata (one broker, no controller) answers INVALID_REPLICA_ASSIGNMENT for each
// partition: there is nowhere to move replicas.
import { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, ErrorCode } from '@kafkaesque/protocol';
import { clusterService } from '../cluster/service.ts';
import { defineHandler } from './types.ts';

export default defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  apiKey: 45,
  name: 'AlterPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  request: AlterPartitionReassignmentsRequest,
  response: AlterPartitionReassignmentsResponse,
  async handle(context, request) {
    const cluster = clusterService(context.services);
    const controller = cluster?.controller ?? null;
    const everyPartition = (errorCode: number) =>
      request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage: null })) }));
    if (cluster === undefined) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses: everyPartition(ErrorCode.INVALID_REPLICA_ASSIGNMENT) };
    }
    if (controller === null || !controller.active) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'This broker is not the controller', responses: everyPartition(ErrorCode.NOT_CONTROLLER) };
    }
    const responses: AlterPartitionReassignmentsResponse['responses'] = [];
    for (const topic of request.topics) {
      const partitions: AlterPartitionReassignmentsResponse['responses'][number]['partitions'] = [];
      for (const partition of topic.partitions) {
        const errorCode = await controller.run(() => controller.reassign(topic.name, partition.partitionIndex, partition.replicas));
        partitions.push({ partitionIndex: partition.partitionIndex, errorCode, errorMessage: null });
      }
      responses.push({ name: topic.name, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
  errorResponse(_context, request, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      responses: request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage: null })) })),
    };
  },
});
