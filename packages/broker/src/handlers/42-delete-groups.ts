// DeleteGroups (API 42), versions 0–2.
// Behaviour notes:
// - Only empty groups can be deleted (NON_EMPTY_GROUP otherwise); unknown ones give
//   GROUP_ID_NOT_FOUND. Deletion writes tombstones for the group and each of its offsets.
import { DeleteGroupsRequest, DeleteGroupsResponse } from '@kafkaesque/protocol';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

const DELETE_GROUPS_MAX = 10_000;

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  request: DeleteGroupsRequest,
  response: DeleteGroupsResponse,
  async handle(context, request) {
    const results = await groupService(context.services).deleteGroups(request.groupsNames.slice(0, DELETE_GROUPS_MAX));
    return { throttleTimeMs: 0, results };
  },
  errorResponse(_context, request, errorCode) {
    return { throttleTimeMs: 0, results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
});
