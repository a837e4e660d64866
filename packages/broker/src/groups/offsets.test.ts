import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLogManager } from '../log/index.ts';
import { GroupCoordinator } from './coordinator.ts';
import { GroupError } from './error-codes.ts';
import { decodeCoordinatorRecord } from './records.ts';
import { ManualScheduler } from './scheduler.ts';
import { createLogStore, type OffsetsPartitionStore } from './store.ts';
import { createHarness, joinParams, settle, subscription, type Harness } from './test-support.ts';
import type { OffsetCommitParams } from './coordinator.ts';

function commitParams(overrides: Partial<OffsetCommitParams> = {}, offset = 10): OffsetCommitParams {
  return {
    groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null, commitTimestampMs: -1 }] }],
    ...overrides,
  };
}

const errorOf = (result: { partitions: { errorCode: number }[] }[]) => result[0].partitions[0].errorCode;

async function stableMember(harness: Harness, groupId = 'g', topics = ['t']) {
  const pending = harness.coordinator.joinGroup(joinParams({ groupId, protocols: [{ name: 'range', metadata: subscription(topics) }] }));
  await settle();
  harness.scheduler.advance(0);
  const joined = await pending;
  await harness.coordinator.syncGroup({ groupId, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
  return joined;
}

describe('OffsetCommit validation', () => {
  it('accepts simple commits to unknown and empty groups, and checks members and generations otherwise', async () => {
    const harness = createHarness();
    expect(errorOf(await harness.coordinator.commitOffsets(commitParams()))).toBe(GroupError.NONE);
    expect(errorOf(await harness.coordinator.commitOffsets(commitParams({ groupId: 'other', generationIdOrMemberEpoch: 3, memberId: 'm' })))).toBe(GroupError.ILLEGAL_GENERATION);
    expect(errorOf(await harness.coordinator.commitOffsets(commitParams({ groupId: 'other', generationIdOrMemberEpoch: 3, memberId: 'm', apiVersion: 9 })))).toBe(GroupError.GROUP_ID_NOT_FOUND);
    const member = await stableMember(harness);
    expect(errorOf(await harness.coordinator.commitOffsets(commitParams()))).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect(errorOf(await harness.coordinator.commitOffsets(commitParams({ generationIdOrMemberEpoch: 1, memberId: 'ghost' })))).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect(errorOf(await harness.coordinator.commitOffsets(commitParams({ generationIdOrMemberEpoch: 7, memberId: member.memberId })))).toBe(GroupError.ILLEGAL_GENERATION);
    expect(errorOf(await harness.coordinator.commitOffsets(commitParams({ generationIdOrMemberEpoch: 1, memberId: member.memberId }, 20)))).toBe(GroupError.NONE);
    const [fetched] = await harness.coordinator.fetchOffsets([{ groupId: 'g', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0, 1] }] }], 8);
    expect(fetched.topics[0].partitions.map((partition) => partition.committedOffset)).toEqual([20, -1]);
  });

  it('rejects metadata larger than offset.metadata.max.bytes per partition', async () => {
    const harness = createHarness({ offsetMetadataMaxBytes: 4 });
    const result = await harness.coordinator.commitOffsets(commitParams({
      topics: [{ name: 't', partitions: [
        { partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: 'long!', commitTimestampMs: -1 },
        { partitionIndex: 1, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: 'ok', commitTimestampMs: -1 },
      ] }],
    }));
    expect(result[0].partitions.map((partition) => partition.errorCode)).toEqual([GroupError.OFFSET_METADATA_TOO_LARGE, GroupError.NONE]);
  });

  it('answers the store\'s error when the write fails, and keeps nothing', async () => {
    const harness = createHarness();
    await harness.coordinator.commitOffsets(commitParams({}, 1));
    harness.stores.get(harness.coordinator.partitionFor('g'))!.failWith = GroupError.NOT_COORDINATOR;
    expect(errorOf(await harness.coordinator.commitOffsets(commitParams({}, 2)))).toBe(GroupError.NOT_COORDINATOR);
    const [fetched] = await harness.coordinator.fetchOffsets([{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }], 8);
    expect(fetched.topics[0].partitions[0].committedOffset).toBe(1);
  });
});

describe('offset retention, DeleteGroups, OffsetDelete, ListGroups', () => {
  it('expires offsets of an empty group after the retention and removes the group', async () => {
    const harness = createHarness({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
    await harness.coordinator.commitOffsets(commitParams());
    await harness.coordinator.commitOffsets(commitParams({ groupId: 'explicit', retentionTimeMs: 5_000, apiVersion: 2 }));
    harness.scheduler.advance(10_000);
    await settle();
    expect(harness.coordinator.listGroups().groups.map((group) => group.groupId)).toEqual(['g']);
    for (let step = 0; step < 6; step++) {
      harness.scheduler.advance(10_000);
      await settle();
    }
    expect(harness.coordinator.listGroups().groups).toEqual([]);
    const [fetched] = await harness.coordinator.fetchOffsets([{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }], 8);
    expect(fetched.topics).toEqual([]);
    const records = harness.stores.get(harness.coordinator.partitionFor('g'))!.records.map((record) => decodeCoordinatorRecord(record.key, record.value));
    expect(records.filter((record) => record.type === 'offset' && record.offset === null && record.groupId === 'g')).toHaveLength(1);
  });

  it('deletes only empty groups and writes tombstones', async () => {
    const harness = createHarness();
    await harness.coordinator.commitOffsets(commitParams());
    await stableMember(harness, 'busy');
    expect(await harness.coordinator.deleteGroups(['g', 'busy', 'none'])).toEqual([
      { groupId: 'g', errorCode: GroupError.NONE },
      { groupId: 'busy', errorCode: GroupError.NON_EMPTY_GROUP },
      { groupId: 'none', errorCode: GroupError.GROUP_ID_NOT_FOUND },
    ]);
    harness.coordinator.close();
    const successor = createHarness({}, harness.stores);
    const [fetched] = await successor.coordinator.fetchOffsets([{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }], 8);
    expect(fetched.topics).toEqual([]);
  });

  it('refuses to delete offsets of subscribed topics', async () => {
    const harness = createHarness();
    const member = await stableMember(harness, 'g', ['t']);
    for (const topic of ['t', 'u']) {
      await harness.coordinator.commitOffsets(commitParams({ generationIdOrMemberEpoch: 1, memberId: member.memberId, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: null, commitTimestampMs: -1 }] }] }));
    }
    const result = await harness.coordinator.deleteOffsets('g', [{ name: 't', partitionIndexes: [0] }, { name: 'u', partitionIndexes: [0] }]);
    expect(result.topics.map((topic) => topic.partitions[0].errorCode)).toEqual([GroupError.GROUP_SUBSCRIBED_TO_TOPIC, GroupError.NONE]);
    const [fetched] = await harness.coordinator.fetchOffsets([{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }], 8);
    expect(fetched.topics.map((topic) => topic.name)).toEqual(['t']);
    expect((await harness.coordinator.deleteOffsets('none', [])).errorCode).toBe(GroupError.GROUP_ID_NOT_FOUND);
  });

  it('filters ListGroups by state and type', async () => {
    const harness = createHarness();
    await harness.coordinator.commitOffsets(commitParams({ groupId: 'empty-one' }));
    await stableMember(harness, 'stable-one');
    expect(harness.coordinator.listGroups(['Stable']).groups.map((group) => group.groupId)).toEqual(['stable-one']);
    expect(harness.coordinator.listGroups(['empty']).groups.map((group) => group.groupId)).toEqual(['empty-one']);
    expect(harness.coordinator.listGroups([], ['classic']).groups).toHaveLength(2);
    expect(harness.coordinator.listGroups([], ['consumer']).groups).toHaveLength(0);
  });
});

describe('log-backed store', () => {
  it('writes batches to a real partition log and loads them back into a new coordinator', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'groups-store-'));
    try {
      const logs = await openLogManager({ logDirs: [dir], brokerId: 1, backgroundTasks: false });
      const log = await logs.getOrCreateLog({ topic: '__consumer_offsets', partition: 0 });
      const store = createLogStore({ partition: 0, log, leaderEpoch: 0 });
      const make = (offsetsStore: OffsetsPartitionStore) => new GroupCoordinator({
        scheduler: new ManualScheduler(), config: { offsetsTopicPartitions: 1 }, source: { storeFor: () => offsetsStore },
      });
      const first = make(store);
      for (let offset = 1; offset <= 50; offset++) {
        expect(errorOf(await first.commitOffsets(commitParams({ topics: [{ name: 't', partitions: [{ partitionIndex: offset % 5, committedOffset: offset, committedLeaderEpoch: 2, committedMetadata: `m${offset}`, commitTimestampMs: -1 }] }] })))).toBe(GroupError.NONE);
      }
      first.close();
      expect(log.logEndOffset).toBe(50);
      expect(log.highWatermark).toBe(50);
      await logs.close();
      const reopened = await openLogManager({ logDirs: [dir], brokerId: 1, backgroundTasks: false });
      const second = make(createLogStore({ partition: 0, log: reopened.getLog({ topic: '__consumer_offsets', partition: 0 })!, leaderEpoch: 1, loadChunkBytes: 256 }));
      const [fetched] = await second.fetchOffsets([{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }], 8);
      expect(fetched.topics[0].partitions.map((partition) => [partition.partitionIndex, partition.committedOffset, partition.metadata])).toEqual([
        [0, 50, 'm50'], [1, 46, 'm46'], [2, 47, 'm47'], [3, 48, 'm48'], [4, 49, 'm49'],
      ]);
      second.close();
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
