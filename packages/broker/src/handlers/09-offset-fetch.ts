// OffsetFetch (API 9), versions 0–9.
// Behaviour notes:
// - A partition without a committed offset answers offset -1, metadata "" and no error; an
//   unknown group is not an error either (it has no offsets).
// - v2+: a null topic list means every committed offset of the group; group-level errors are
//   top level (v0–1 put them on every partition). v7 require_stable: a partition with offsets
//   of an open transaction (TxnOffsetCommit) answers UNSTABLE_OFFSET_COMMIT.
// - v8+: several groups in one request, each with its own error; v9 adds the KIP-848 member id
//   and epoch (UNKNOWN_MEMBER_ID / STALE_MEMBER_EPOCH).
import {
  ErrorCode,
  OffsetFetchRequest,
  OffsetFetchResponse,
  type OffsetFetchResponseOffsetFetchResponseTopic,
} from '@kafkaesque/protocol';
import type { OffsetFetchGroupResult } from '../groups/coordinator.ts';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

const MULTI_GROUP_VERSION = 8;
const REQUIRE_STABLE_VERSION = 7;
const TOP_LEVEL_ERROR_VERSION = 2;
/** Bound on groups in one request. */
const FETCH_GROUPS_MAX = 10_000;

function topicsOf(result: OffsetFetchGroupResult): OffsetFetchResponseOffsetFetchResponseTopic[] {
  return result.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition) => ({
      partitionIndex: partition.partitionIndex,
      committedOffset: BigInt(partition.committedOffset),
      committedLeaderEpoch: partition.committedLeaderEpoch,
      metadata: partition.metadata,
      errorCode: partition.errorCode,
    })),
  }));
}

function singleGroupResponse(version: number, request: OffsetFetchRequest, result: OffsetFetchGroupResult): OffsetFetchResponse {
  if (result.errorCode !== ErrorCode.NONE && version < TOP_LEVEL_ERROR_VERSION) {
    // v0–1 have no top-level error: every requested partition carries it.
    const topics = (request.topics ?? []).map((topic) => ({
      name: topic.name,
      partitions: topic.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: result.errorCode })),
    }));
    return { throttleTimeMs: 0, topics, errorCode: ErrorCode.NONE, groups: [] };
  }
  return { throttleTimeMs: 0, topics: topicsOf(result), errorCode: result.errorCode, groups: [] };
}

export default defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 9,
  request: OffsetFetchRequest,
  response: OffsetFetchResponse,
  async handle(context, request) {
    const version = context.apiVersion;
    const coordinator = groupService(context.services);
    if (version >= MULTI_GROUP_VERSION) {
      if (request.groups.length > FETCH_GROUPS_MAX) {
        return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups: request.groups.map((group) => ({ groupId: group.groupId, topics: [], errorCode: ErrorCode.INVALID_REQUEST })) };
      }
      const results = await coordinator.fetchOffsets(request.groups.map((group) => ({
        groupId: group.groupId,
        memberId: group.memberId,
        memberEpoch: group.memberEpoch,
        topics: group.topics?.map((topic) => ({ name: topic.name, partitionIndexes: topic.partitionIndexes })) ?? null,
      })), version, request.requireStable);
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: ErrorCode.NONE,
        groups: results.map((result) => ({ groupId: result.groupId, topics: topicsOf(result), errorCode: result.errorCode })),
      };
    }
    const topics = version >= TOP_LEVEL_ERROR_VERSION || request.topics !== null
      ? request.topics?.map((topic) => ({ name: topic.name, partitionIndexes: topic.partitionIndexes })) ?? null
      : [];
    const [result] = await coordinator.fetchOffsets([{ groupId: request.groupId, memberId: null, memberEpoch: -1, topics }], version, version >= REQUIRE_STABLE_VERSION && request.requireStable);
    return singleGroupResponse(version, request, result);
  },
  errorResponse(context, request, errorCode) {
    if (context.apiVersion >= MULTI_GROUP_VERSION) {
      return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups: request.groups.map((group) => ({ groupId: group.groupId, topics: [], errorCode })) };
    }
    return singleGroupResponse(context.apiVersion, request, { groupId: request.groupId, errorCode, topics: [] });
  },
});
