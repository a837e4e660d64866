// Heartbeat (API 12), versions 0–4.
// Behaviour notes:
// - Resets the member's session timer; REBALANCE_IN_PROGRESS tells it to rejoin,
//   ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID that it was removed, FENCED_INSTANCE_ID (v3+) that
//   its static identity was taken by a newer instance.
import { HeartbeatRequest, HeartbeatResponse } from '@kafkaesque/protocol';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

export default defineHandler<HeartbeatRequest, HeartbeatResponse>({
  apiKey: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  request: HeartbeatRequest,
  response: HeartbeatResponse,
  async handle(context, request) {
    const errorCode = await groupService(context.services).heartbeat({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
    });
    return { throttleTimeMs: 0, errorCode };
  },
  errorResponse(_context, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
