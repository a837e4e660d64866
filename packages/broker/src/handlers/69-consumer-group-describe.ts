// ConsumerGroupDescribe (API 69), version 0 (KIP-848).
// Behaviour notes:
// - Describes consumer-protocol groups: epochs, the assignor, each member's current and target
//   assignment. A classic or unknown group answers GROUP_ID_NOT_FOUND.
// - Authorized operations: no ACLs yet, INT32_MIN ("not computed").
import { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse } from '@kafkaesque/protocol';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
const DESCRIBE_GROUPS_MAX = 10_000;

export default defineHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>({
  apiKey: 69,
  name: 'ConsumerGroupDescribe',
  minVersion: 0,
  maxVersion: 0,
  request: ConsumerGroupDescribeRequest,
  response: ConsumerGroupDescribeResponse,
  async handle(context, request) {
    const described = await groupService(context.services).consumerGroupDescribe(request.groupIds.slice(0, DESCRIBE_GROUPS_MAX));
    return {
      throttleTimeMs: 0,
      groups: described.map((group) => ({
        errorCode: group.errorCode,
        errorMessage: group.errorMessage,
        groupId: group.groupId,
        groupState: group.groupState,
        groupEpoch: group.groupEpoch,
        assignmentEpoch: group.assignmentEpoch,
        assignorName: group.assignorName,
        members: group.members.map((member) => ({
          memberId: member.memberId,
          instanceId: member.instanceId,
          rackId: member.rackId,
          memberEpoch: member.memberEpoch,
          clientId: member.clientId,
          clientHost: member.clientHost,
          subscribedTopicNames: member.subscribedTopicNames,
          subscribedTopicRegex: member.subscribedTopicRegex,
          assignment: { topicPartitions: member.assignment },
          targetAssignment: { topicPartitions: member.targetAssignment },
        })),
        authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      })),
    };
  },
  errorResponse(_context, request, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: request.groupIds.map((groupId) => ({
        errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      })),
    };
  },
});
