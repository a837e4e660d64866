// DescribeGroups (API 15), versions 0–5.
// Behaviour notes:
// - An unknown group is described as state "Dead" with no error (Kafka's answer before v6).
// - Member metadata, assignments and the protocol name are given only in the Stable state.
// - A KIP-848 consumer group answers GROUP_ID_NOT_FOUND (use ConsumerGroupDescribe).
// - v3+ authorized operations: we have no ACLs, so INT32_MIN ("not computed") always.
import { DescribeGroupsRequest, DescribeGroupsResponse } from '@kafkaesque/protocol';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
const DESCRIBE_GROUPS_MAX = 10_000;

export default defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  request: DescribeGroupsRequest,
  response: DescribeGroupsResponse,
  async handle(context, request) {
    const groupIds = request.groups.slice(0, DESCRIBE_GROUPS_MAX);
    const described = await groupService(context.services).describeGroups(groupIds);
    return {
      throttleTimeMs: 0,
      groups: described.map((group) => ({
        errorCode: group.errorCode,
        groupId: group.groupId,
        groupState: group.groupState,
        protocolType: group.protocolType,
        protocolData: group.protocolData,
        members: group.members.map((member) => ({ ...member })),
        authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      })),
    };
  },
  errorResponse(_context, request, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED })),
    };
  },
});
