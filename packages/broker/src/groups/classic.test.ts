import { describe, expect, it } from 'vitest';
import { GroupError } from './error-codes.ts';
import { createHarness, joinParams, settle, subscription, type Harness } from './test-support.ts';
import type { JoinGroupOutcome } from './classic-group.ts';

/** Runs a join until its outcome (firing the zero initial delay on the way). */
async function joinNow(harness: Harness, params = joinParams()): Promise<JoinGroupOutcome> {
  const pending = harness.coordinator.joinGroup(params);
  await settle();
  harness.scheduler.advance(0);
  return pending;
}

/** Join + sync of a single member that assigns `assignment` to itself. */
async function singleMemberGroup(harness: Harness, groupId = 'group-a') {
  const joined = await joinNow(harness, joinParams({ groupId }));
  expect(joined.errorCode).toBe(GroupError.NONE);
  const synced = await harness.coordinator.syncGroup({
    groupId, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null,
    protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: joined.memberId, assignment: Buffer.from('A') }],
  });
  expect(synced.errorCode).toBe(GroupError.NONE);
  return joined;
}

describe('classic group: join and sync', () => {
  it('answers MEMBER_ID_REQUIRED from JoinGroup v4, then admits the member with that id', async () => {
    const harness = createHarness();
    const first = await harness.coordinator.joinGroup(joinParams({ requireKnownMemberId: true }));
    expect(first.errorCode).toBe(GroupError.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^client-/);
    const second = await joinNow(harness, joinParams({ requireKnownMemberId: true, memberId: first.memberId }));
    expect(second).toMatchObject({ errorCode: GroupError.NONE, generationId: 1, leader: first.memberId, memberId: first.memberId, protocolName: 'range' });
    expect(second.members.map((member) => member.memberId)).toEqual([first.memberId]);
  });

  it('delivers the leader assignment to every member and becomes Stable', async () => {
    const harness = createHarness();
    const a = harness.coordinator.joinGroup(joinParams({ clientId: 'a' }));
    const b = harness.coordinator.joinGroup(joinParams({ clientId: 'b' }));
    await settle();
    harness.scheduler.advance(0);
    const [joinedA, joinedB] = await Promise.all([a, b]);
    expect(joinedA.generationId).toBe(1);
    expect(joinedB.generationId).toBe(1);
    const leader = joinedA.leader === joinedA.memberId ? joinedA : joinedB;
    const follower = leader === joinedA ? joinedB : joinedA;
    expect(leader.members).toHaveLength(2);
    expect(follower.members).toHaveLength(0);
    const followerSync = harness.coordinator.syncGroup({ groupId: 'group-a', generationId: 1, memberId: follower.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    const leaderSync = harness.coordinator.syncGroup({
      groupId: 'group-a', generationId: 1, memberId: leader.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: leader.memberId, assignment: Buffer.from('L') }, { memberId: follower.memberId, assignment: Buffer.from('F') }],
    });
    expect((await followerSync).assignment.toString()).toBe('F');
    expect((await leaderSync).assignment.toString()).toBe('L');
    const [described] = await harness.coordinator.describeGroups(['group-a']);
    expect(described).toMatchObject({ groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(await harness.coordinator.heartbeat({ groupId: 'group-a', generationId: 1, memberId: follower.memberId, groupInstanceId: null })).toBe(GroupError.NONE);
  });

  it('rejects bad session timeouts, empty group ids and mismatched protocols', async () => {
    const harness = createHarness();
    expect((await harness.coordinator.joinGroup(joinParams({ sessionTimeoutMs: 1000 }))).errorCode).toBe(GroupError.INVALID_SESSION_TIMEOUT);
    expect((await harness.coordinator.joinGroup(joinParams({ groupId: '' }))).errorCode).toBe(GroupError.INVALID_GROUP_ID);
    await singleMemberGroup(harness);
    const other = await harness.coordinator.joinGroup(joinParams({ protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }));
    expect(other.errorCode).toBe(GroupError.INCONSISTENT_GROUP_PROTOCOL);
    const otherType = await harness.coordinator.joinGroup(joinParams({ protocolType: 'connect' }));
    expect(otherType.errorCode).toBe(GroupError.INCONSISTENT_GROUP_PROTOCOL);
    const unknown = await harness.coordinator.joinGroup(joinParams({ groupId: 'nope', memberId: 'ghost' }));
    expect(unknown.errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
  });

  it('selects the protocol most members prefer among those all support', async () => {
    const harness = createHarness();
    const protocols = (names: string[]) => names.map((name) => ({ name, metadata: subscription(['t']) }));
    const a = harness.coordinator.joinGroup(joinParams({ protocols: protocols(['range', 'roundrobin', 'sticky']) }));
    const b = harness.coordinator.joinGroup(joinParams({ protocols: protocols(['roundrobin', 'range']) }));
    const c = harness.coordinator.joinGroup(joinParams({ protocols: protocols(['roundrobin', 'range']) }));
    await settle();
    harness.scheduler.advance(0);
    for (const outcome of await Promise.all([a, b, c])) expect(outcome.protocolName).toBe('roundrobin');
  });
});

describe('classic group: rebalances', () => {
  it('rebalances when a member joins a stable group; the old member learns it from its heartbeat', async () => {
    const harness = createHarness();
    const first = await singleMemberGroup(harness);
    const newcomer = harness.coordinator.joinGroup(joinParams({ clientId: 'second' }));
    await settle();
    expect(await harness.coordinator.heartbeat({ groupId: 'group-a', generationId: 1, memberId: first.memberId, groupInstanceId: null })).toBe(GroupError.REBALANCE_IN_PROGRESS);
    const rejoin = harness.coordinator.joinGroup(joinParams({ memberId: first.memberId }));
    const [second, again] = await Promise.all([newcomer, rejoin]);
    expect(second.generationId).toBe(2);
    expect(again.generationId).toBe(2);
    expect(again.leader).toBe(first.memberId);
    expect(again.members).toHaveLength(2);
  });

  it('removes a member whose session expires and rebalances the others', async () => {
    const harness = createHarness();
    const a = harness.coordinator.joinGroup(joinParams({ clientId: 'a', sessionTimeoutMs: 10_000 }));
    const b = harness.coordinator.joinGroup(joinParams({ clientId: 'b', sessionTimeoutMs: 20_000 }));
    await settle();
    harness.scheduler.advance(0);
    const [joinedA, joinedB] = await Promise.all([a, b]);
    const leader = joinedA.leader === joinedA.memberId ? joinedA : joinedB;
    const assignments = [{ memberId: joinedA.memberId, assignment: Buffer.from('a') }, { memberId: joinedB.memberId, assignment: Buffer.from('b') }];
    const syncs = [joinedA, joinedB].map((joined) => harness.coordinator.syncGroup({
      groupId: 'group-a', generationId: 1, memberId: joined.memberId, groupInstanceId: null, protocolType: null, protocolName: null,
      assignments: joined === leader ? assignments : [],
    }));
    await Promise.all(syncs);
    // b keeps heartbeating, a goes silent.
    for (let elapsed = 0; elapsed < 12_000; elapsed += 3_000) {
      harness.scheduler.advance(3_000);
      const errorCode = await harness.coordinator.heartbeat({ groupId: 'group-a', generationId: 1, memberId: joinedB.memberId, groupInstanceId: null });
      if (errorCode !== GroupError.NONE) {
        expect(errorCode).toBe(GroupError.REBALANCE_IN_PROGRESS);
        break;
      }
    }
    const rejoin = await harness.coordinator.joinGroup(joinParams({ memberId: joinedB.memberId, sessionTimeoutMs: 20_000 }));
    expect(rejoin).toMatchObject({ errorCode: GroupError.NONE, generationId: 2, leader: joinedB.memberId });
    expect(rejoin.members.map((member) => member.memberId)).toEqual([joinedB.memberId]);
    expect(await harness.coordinator.heartbeat({ groupId: 'group-a', generationId: 1, memberId: joinedA.memberId, groupInstanceId: null })).toBe(GroupError.UNKNOWN_MEMBER_ID);
  });

  it('completes a rebalance at the rebalance timeout without the members that did not rejoin', async () => {
    const harness = createHarness();
    const a = harness.coordinator.joinGroup(joinParams({ clientId: 'a', rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 }));
    const b = harness.coordinator.joinGroup(joinParams({ clientId: 'b', rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 }));
    await settle();
    harness.scheduler.advance(0);
    const [joinedA, joinedB] = await Promise.all([a, b]);
    const leader = joinedA.leader === joinedA.memberId ? joinedA : joinedB;
    await harness.coordinator.syncGroup({ groupId: 'group-a', generationId: 1, memberId: leader.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    // A third member triggers a rebalance; only b rejoins.
    const c = harness.coordinator.joinGroup(joinParams({ clientId: 'c', rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 }));
    await settle();
    const rejoinB = harness.coordinator.joinGroup(joinParams({ memberId: joinedB.memberId, rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 }));
    await settle();
    let done = false;
    void Promise.all([c, rejoinB]).then(() => { done = true; });
    harness.scheduler.advance(19_000);
    await settle();
    expect(done).toBe(false);
    harness.scheduler.advance(1_000);
    const [joinedC, againB] = await Promise.all([c, rejoinB]);
    expect(joinedC.generationId).toBe(2);
    expect(againB.generationId).toBe(2);
    const [described] = await harness.coordinator.describeGroups(['group-a']);
    expect(described.members.map((member) => member.memberId).sort()).toEqual([joinedB.memberId, joinedC.memberId].sort());
  });

  it('waits group.initial.rebalance.delay.ms for more members before the first generation', async () => {
    const harness = createHarness({ groupInitialRebalanceDelayMs: 3_000 });
    const a = harness.coordinator.joinGroup(joinParams({ clientId: 'a' }));
    await settle();
    harness.scheduler.advance(2_000);
    const b = harness.coordinator.joinGroup(joinParams({ clientId: 'b' }));
    await settle();
    harness.scheduler.advance(1_000); // first delay ends; b's join extends it once
    await settle();
    let done = false;
    void Promise.all([a, b]).then(() => { done = true; });
    await settle();
    expect(done).toBe(false);
    harness.scheduler.advance(3_000);
    const [joinedA, joinedB] = await Promise.all([a, b]);
    expect(joinedA.generationId).toBe(1);
    expect(joinedB.generationId).toBe(1);
    expect([joinedA, joinedB].find((joined) => joined.memberId === joined.leader)!.members).toHaveLength(2);
  });

  it('rebalances the remaining members after a LeaveGroup', async () => {
    const harness = createHarness();
    const a = harness.coordinator.joinGroup(joinParams({ clientId: 'a' }));
    const b = harness.coordinator.joinGroup(joinParams({ clientId: 'b' }));
    await settle();
    harness.scheduler.advance(0);
    const [joinedA, joinedB] = await Promise.all([a, b]);
    const left = await harness.coordinator.leaveGroup('group-a', [{ memberId: joinedA.memberId, groupInstanceId: null }]);
    expect(left.members).toEqual([{ memberId: joinedA.memberId, groupInstanceId: null, errorCode: GroupError.NONE }]);
    const sync = await harness.coordinator.syncGroup({ groupId: 'group-a', generationId: 1, memberId: joinedB.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(sync.errorCode).toBe(GroupError.REBALANCE_IN_PROGRESS);
    const rejoin = await harness.coordinator.joinGroup(joinParams({ memberId: joinedB.memberId }));
    expect(rejoin).toMatchObject({ generationId: 2, leader: joinedB.memberId });
    const unknown = await harness.coordinator.leaveGroup('group-a', [{ memberId: 'ghost', groupInstanceId: null }]);
    expect(unknown.members[0].errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
    const last = await harness.coordinator.leaveGroup('group-a', [{ memberId: joinedB.memberId, groupInstanceId: null }]);
    expect(last.members[0].errorCode).toBe(GroupError.NONE);
    harness.scheduler.advance(0);
    await settle();
    const [described] = await harness.coordinator.describeGroups(['group-a']);
    expect(described.groupState).toBe('Empty');
  });
});

describe('classic group: static membership', () => {
  it('gives a restarted static member its old assignment without a rebalance and fences the old id', async () => {
    const harness = createHarness();
    const first = await joinNow(harness, joinParams({ groupInstanceId: 'instance-1' }));
    await harness.coordinator.syncGroup({
      groupId: 'group-a', generationId: 1, memberId: first.memberId, groupInstanceId: 'instance-1', protocolType: null, protocolName: null,
      assignments: [{ memberId: first.memberId, assignment: Buffer.from('mine') }],
    });
    const restarted = await harness.coordinator.joinGroup(joinParams({ groupInstanceId: 'instance-1' }));
    expect(restarted.errorCode).toBe(GroupError.NONE);
    expect(restarted.generationId).toBe(1);
    expect(restarted.memberId).not.toBe(first.memberId);
    expect(restarted.skipAssignment).toBe(true);
    const synced = await harness.coordinator.syncGroup({ groupId: 'group-a', generationId: 1, memberId: restarted.memberId, groupInstanceId: 'instance-1', protocolType: null, protocolName: null, assignments: [] });
    expect(synced.assignment.toString()).toBe('mine');
    expect(await harness.coordinator.heartbeat({ groupId: 'group-a', generationId: 1, memberId: first.memberId, groupInstanceId: 'instance-1' })).toBe(GroupError.FENCED_INSTANCE_ID);
    const leave = await harness.coordinator.leaveGroup('group-a', [{ memberId: '', groupInstanceId: 'instance-1' }]);
    expect(leave.members[0].errorCode).toBe(GroupError.NONE);
  });
});

describe('coordinator ownership and loading', () => {
  it('answers NOT_COORDINATOR for groups whose offsets partition is led elsewhere', async () => {
    const harness = createHarness();
    harness.led.delete(harness.coordinator.partitionFor('group-a'));
    expect((await harness.coordinator.joinGroup(joinParams())).errorCode).toBe(GroupError.NOT_COORDINATOR);
    const [fetched] = await harness.coordinator.fetchOffsets([{ groupId: 'group-a', memberId: null, memberEpoch: -1, topics: null }], 8);
    expect(fetched.errorCode).toBe(GroupError.NOT_COORDINATOR);
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS while a partition loads', async () => {
    const harness = createHarness({ loadWaitMs: 100 });
    const partition = harness.coordinator.partitionFor('group-a');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const { MemoryOffsetsStore } = await import('./store.ts');
    const slow = new MemoryOffsetsStore(partition);
    slow.load = async function* () { await gate; yield []; };
    harness.stores.set(partition, slow);
    const pending = harness.coordinator.heartbeat({ groupId: 'group-a', generationId: 1, memberId: 'm', groupInstanceId: null });
    await settle();
    harness.scheduler.advance(100);
    expect(await pending).toBe(GroupError.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    await settle();
    expect(await harness.coordinator.heartbeat({ groupId: 'group-a', generationId: 1, memberId: 'm', groupInstanceId: null })).toBe(GroupError.UNKNOWN_MEMBER_ID);
  });

  it('fails pending joins with NOT_COORDINATOR when the partition is unloaded', async () => {
    const harness = createHarness({ groupInitialRebalanceDelayMs: 3_000 });
    const pending = harness.coordinator.joinGroup(joinParams());
    await settle();
    harness.coordinator.unloadPartition(harness.coordinator.partitionFor('group-a'));
    expect((await pending).errorCode).toBe(GroupError.NOT_COORDINATOR);
  });

  it('restores groups and offsets from the records after a coordinator change', async () => {
    const harness = createHarness();
    const member = await singleMemberGroup(harness);
    const committed = await harness.coordinator.commitOffsets({
      groupId: 'group-a', generationIdOrMemberEpoch: member.generationId, memberId: member.memberId, groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8,
      topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, committedMetadata: 'meta', commitTimestampMs: -1 }] }],
    });
    expect(committed[0].partitions[0].errorCode).toBe(GroupError.NONE);
    harness.coordinator.close();
    const successor = createHarness({}, harness.stores);
    const [fetched] = await successor.coordinator.fetchOffsets([{ groupId: 'group-a', memberId: null, memberEpoch: -1, topics: null }], 8);
    expect(fetched.topics).toEqual([{ name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, metadata: 'meta', errorCode: 0 }] }]);
    const [described] = await successor.coordinator.describeGroups(['group-a']);
    expect(described).toMatchObject({ groupState: 'Stable', protocolData: 'range' });
    expect(described.members.map((m) => m.memberId)).toEqual([member.memberId]);
    expect(described.members[0].memberAssignment.toString()).toBe('A');
    // The member keeps its generation across the move; its session starts again.
    expect(await successor.coordinator.heartbeat({ groupId: 'group-a', generationId: 1, memberId: member.memberId, groupInstanceId: null })).toBe(GroupError.NONE);
    successor.scheduler.advance(10_001);
    expect(await successor.coordinator.heartbeat({ groupId: 'group-a', generationId: 1, memberId: member.memberId, groupInstanceId: null })).toBe(GroupError.UNKNOWN_MEMBER_ID);
  });
});
