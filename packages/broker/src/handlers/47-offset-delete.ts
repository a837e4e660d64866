// OffsetDelete (API 47), version 0.
// Behaviour notes:
// - Deletes committed offsets of a group (tombstones). A partition of a topic the group's
//   members still subscribe to answers GROUP_SUBSCRIBED_TO_TOPIC; a non-consumer group with
//   members answers NON_EMPTY_GROUP; an unknown group GROUP_ID_NOT_FOUND.
import { OffsetDeleteRequest, OffsetDeleteResponse } from '@kafkaesque/protocol';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

export default defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: 47,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  request: OffsetDeleteRequest,
  response: OffsetDeleteResponse,
  async handle(context, request) {
    const result = await groupService(context.services).deleteOffsets(
      request.groupId,
      request.topics.map((topic) => ({ name: topic.name, partitionIndexes: topic.partitions.map((partition) => partition.partitionIndex) })),
    );
    return {
      errorCode: result.errorCode,
      throttleTimeMs: 0,
      topics: result.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ ...partition })) })),
    };
  },
  errorResponse(_context, _request, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
});
