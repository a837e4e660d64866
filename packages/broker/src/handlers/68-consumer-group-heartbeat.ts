// ConsumerGroupHeartbeat (API 68), versions 0–1 (KIP-848, the "consumer" group protocol).
// Behaviour notes:
// - Epoch 0 joins (v1: the client brings its own member id; v0: we generate one when empty),
//   -1 leaves, -2 is a static member leaving temporarily (it keeps its partitions for its session).
// - Server-side assignors: uniform (default) and range (group.consumer.assignors);
//   another name answers UNSUPPORTED_ASSIGNOR.
// - The assignment is sent when it changed (or on a full request); partitions a member must
//   give up are removed first, and others receive them only once released.
// - An empty classic group is converted; one with members answers GROUP_ID_NOT_FOUND.
import { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from '@kafkaesque/protocol';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

export default defineHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>({
  apiKey: 68,
  name: 'ConsumerGroupHeartbeat',
  minVersion: 0,
  maxVersion: 1,
  request: ConsumerGroupHeartbeatRequest,
  response: ConsumerGroupHeartbeatResponse,
  async handle(context, request) {
    const outcome = await groupService(context.services).consumerGroupHeartbeat({
      groupId: request.groupId,
      memberId: request.memberId,
      memberEpoch: request.memberEpoch,
      instanceId: request.instanceId,
      rackId: request.rackId,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      subscribedTopicNames: request.subscribedTopicNames,
      subscribedTopicRegex: context.apiVersion >= 1 ? request.subscribedTopicRegex : null,
      serverAssignor: request.serverAssignor,
      topicPartitions: request.topicPartitions?.map((entry) => ({ topicId: entry.topicId, partitions: entry.partitions })) ?? null,
      clientId: context.clientId ?? '',
      clientHost: `/${context.connection.remoteAddress}`,
    });
    return {
      throttleTimeMs: 0,
      errorCode: outcome.errorCode,
      errorMessage: outcome.errorMessage,
      memberId: outcome.memberId,
      memberEpoch: outcome.memberEpoch,
      heartbeatIntervalMs: outcome.heartbeatIntervalMs,
      assignment: outcome.assignment === null ? null : { topicPartitions: outcome.assignment.map((entry) => ({ topicId: entry.topicId, partitions: entry.partitions })) },
    };
  },
  errorResponse(_context, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
  },
});
