// JoinGroup (API 11), versions 0–9.
// Behaviour notes:
// - v0 has no rebalance timeout: it is the session timeout, as in Kafka.
// - v4+: a member without id gets MEMBER_ID_REQUIRED and its id, and must join again with it
//   (KIP-394); v5+ static membership (group.instance.id, KIP-345); v9 skipAssignment tells a
//   static leader that rejoined a stable group not to reassign.
// - The response waits for the rebalance (all members rejoined, or the rebalance timeout).
import { JoinGroupRequest, JoinGroupResponse } from '@kafkaesque/protocol';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

const MEMBER_ID_REQUIRED_VERSION = 4;
const SKIP_ASSIGNMENT_VERSION = 9;

export default defineHandler<JoinGroupRequest, JoinGroupResponse>({
  apiKey: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  request: JoinGroupRequest,
  response: JoinGroupResponse,
  async handle(context, request) {
    const outcome = await groupService(context.services).joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: request.protocolType,
      protocols: request.protocols.map((protocol) => ({ name: protocol.name, metadata: protocol.metadata })),
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: context.apiVersion >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
      clientId: context.clientId ?? '',
      clientHost: `/${context.connection.remoteAddress}`,
      requireKnownMemberId: context.apiVersion >= MEMBER_ID_REQUIRED_VERSION,
      reason: request.reason,
    });
    const canSkip = context.apiVersion >= SKIP_ASSIGNMENT_VERSION;
    return {
      throttleTimeMs: 0,
      errorCode: outcome.errorCode,
      generationId: outcome.generationId,
      protocolType: outcome.protocolType,
      // Before v7 the protocol name is not nullable: an error carries "".
      protocolName: outcome.protocolName ?? (context.apiVersion >= 7 ? null : ''),
      leader: outcome.leader,
      skipAssignment: canSkip && outcome.skipAssignment,
      memberId: outcome.memberId,
      // Before v9 a static leader rejoining a stable group gets no member list: it cannot be told
      // to skip the assignment, and SyncGroup in a stable group would ignore a new one anyway.
      members: outcome.skipAssignment && !canSkip ? [] : outcome.members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId, metadata: member.metadata })),
    };
  },
  errorResponse(context, request, errorCode) {
    return {
      throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: context.apiVersion >= 7 ? null : '',
      leader: '', skipAssignment: false, memberId: request.memberId, members: [],
    };
  },
});
