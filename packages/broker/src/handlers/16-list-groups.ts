// ListGroups (API 16), versions 0–5.
// Behaviour notes:
// - Lists the groups this broker coordinates (clients ask every broker and merge).
// - v4+ states filter (case-insensitive, Kafka's state names), v5+ types filter
//   ("classic" / "consumer"). COORDINATOR_LOAD_IN_PROGRESS while a partition loads.
import { ListGroupsRequest, ListGroupsResponse } from '@kafkaesque/protocol';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

export default defineHandler<ListGroupsRequest, ListGroupsResponse>({
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  request: ListGroupsRequest,
  response: ListGroupsResponse,
  handle(context, request) {
    const states = context.apiVersion >= 4 ? request.statesFilter : [];
    const types = context.apiVersion >= 5 ? request.typesFilter : [];
    const listed = groupService(context.services).listGroups(states, types);
    return {
      throttleTimeMs: 0,
      errorCode: listed.errorCode,
      groups: listed.groups.map((group) => ({ groupId: group.groupId, protocolType: group.protocolType, groupState: group.groupState, groupType: group.groupType })),
    };
  },
  errorResponse(_context, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] };
  },
});
