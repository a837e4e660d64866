// SyncGroup (API 14), versions 0–5.
// Behaviour notes:
// - The leader's assignment is persisted to __consumer_offsets before any member gets its
//   part; followers wait for it. v5 checks protocol type / name (INCONSISTENT_GROUP_PROTOCOL).
// - In a Stable group SyncGroup returns the member's current assignment (static rejoin).
import { SyncGroupRequest, SyncGroupResponse } from '@kafkaesque/protocol';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

const EMPTY = Buffer.alloc(0);

export default defineHandler<SyncGroupRequest, SyncGroupResponse>({
  apiKey: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  request: SyncGroupRequest,
  response: SyncGroupResponse,
  async handle(context, request) {
    const outcome = await groupService(context.services).syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: context.apiVersion >= 5 ? request.protocolType : null,
      protocolName: context.apiVersion >= 5 ? request.protocolName : null,
      assignments: request.assignments.map((entry) => ({ memberId: entry.memberId, assignment: entry.assignment })),
    });
    return { throttleTimeMs: 0, errorCode: outcome.errorCode, protocolType: outcome.protocolType, protocolName: outcome.protocolName, assignment: outcome.assignment };
  },
  errorResponse(_context, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
  },
});
