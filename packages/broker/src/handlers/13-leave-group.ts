// LeaveGroup (API 13), versions 0–5.
// Behaviour notes:
// - v0–2 remove one member by id (the error is top level); v3+ remove a batch of members,
//   by member id or by group.instance.id (KIP-345), each with its own error.
// - The remaining members rebalance.
import { ErrorCode, LeaveGroupRequest, LeaveGroupResponse } from '@kafkaesque/protocol';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

const BATCH_VERSION = 3;

export default defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  request: LeaveGroupRequest,
  response: LeaveGroupResponse,
  async handle(context, request) {
    const batch = context.apiVersion >= BATCH_VERSION;
    const members = batch
      ? request.members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId, reason: member.reason }))
      : [{ memberId: request.memberId, groupInstanceId: null }];
    const result = await groupService(context.services).leaveGroup(request.groupId, members);
    if (batch) {
      return {
        throttleTimeMs: 0,
        errorCode: result.errorCode === ErrorCode.UNKNOWN_MEMBER_ID ? ErrorCode.NONE : result.errorCode,
        members: result.members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId, errorCode: member.errorCode })),
      };
    }
    return { throttleTimeMs: 0, errorCode: result.members[0]?.errorCode ?? result.errorCode, members: [] };
  },
  errorResponse(_context, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, members: [] };
  },
});
