// OffsetCommit (API 8), versions 0–9.
// Behaviour notes:
// - Offsets are written as OffsetCommit records to __consumer_offsets (Kafka's format) and the
//   response goes out once the write is committed.
// - v0 has no generation and is not checked against the group (Kafka kept v0 commits in
//   ZooKeeper, outside the group); v1 carries a per-partition commit timestamp;
//   v2–4 a retention time (-1: offsets.retention.minutes, counted once the group is empty);
//   v5 dropped it; v6 adds the leader epoch; v7 group.instance.id; v9 the KIP-848 member epoch
//   (STALE_MEMBER_EPOCH) and GROUP_ID_NOT_FOUND for a commit with a generation to an unknown group.
// - A commit with generation -1 and no member id to an empty (or unknown) group is accepted
//   (admin / standalone consumers); to a group with members it is UNKNOWN_MEMBER_ID.
import { OffsetCommitRequest, OffsetCommitResponse } from '@kafkaesque/protocol';
import { groupService } from '../groups/plugin.ts';
import { defineHandler } from './types.ts';

/** Bound on partitions in one commit (Kafka has none; a sane cap against giant requests). */
const COMMIT_PARTITIONS_MAX = 100_000;

function allWith(request: OffsetCommitRequest, errorCode: number): OffsetCommitResponse {
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })) })),
  };
}

export default defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 9,
  request: OffsetCommitRequest,
  response: OffsetCommitResponse,
  async handle(context, request) {
    const version = context.apiVersion;
    let partitionCount = 0;
    for (const topic of request.topics) partitionCount += topic.partitions.length;
    if (partitionCount > COMMIT_PARTITIONS_MAX) return allWith(request, 42 /* INVALID_REQUEST */);
    const topics = await groupService(context.services).commitOffsets({
      groupId: request.groupId,
      generationIdOrMemberEpoch: version >= 1 ? request.generationIdOrMemberEpoch : -1,
      memberId: version >= 1 ? request.memberId : '',
      groupInstanceId: version >= 7 ? request.groupInstanceId : null,
      retentionTimeMs: version >= 2 && version <= 4 ? Number(request.retentionTimeMs) : -1,
      apiVersion: version,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => ({
          partitionIndex: partition.partitionIndex,
          committedOffset: Number(partition.committedOffset),
          committedLeaderEpoch: version >= 6 ? partition.committedLeaderEpoch : -1,
          committedMetadata: partition.committedMetadata,
          commitTimestampMs: version === 1 ? Number(partition.commitTimestamp) : -1,
        })),
      })),
    });
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(_context, request, errorCode) {
    return allWith(request, errorCode);
  },
});
