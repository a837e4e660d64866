import { describe, expect, it } from 'vitest';
import { randomUuid } from '@kafkaesque/protocol';
import type { ConsumerGroupHeartbeatOutcome, ConsumerGroupHeartbeatParams, TopicPartitions } from './consumer-coordinator.ts';
import { GroupError } from './error-codes.ts';
import { createHarness, joinParams, settle, type Harness } from './test-support.ts';

function params(overrides: Partial<ConsumerGroupHeartbeatParams>): ConsumerGroupHeartbeatParams {
  return {
    groupId: 'cg', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null,
    clientId: 'client', clientHost: '/127.0.0.1', ...overrides,
  };
}

/** A simulated KIP-848 member: heartbeats, revokes what it is told to give up, tracks ownership. */
class Member {
  memberId = '';
  epoch = 0;
  owned: TopicPartitions[] = [];
  harness: Harness;
  readonly name: string;
  readonly topics: string[];
  constructor(harness: Harness, name: string, topics: string[]) {
    this.harness = harness;
    this.name = name;
    this.topics = topics;
  }

  async heartbeat(extra: Partial<ConsumerGroupHeartbeatParams> = {}): Promise<ConsumerGroupHeartbeatOutcome> {
    const joining = this.epoch === 0;
    const outcome = await this.harness.coordinator.consumerGroupHeartbeat(params({
      memberId: this.memberId || `${this.name}-id`, memberEpoch: this.epoch, subscribedTopicNames: joining ? this.topics : null,
      topicPartitions: this.owned, clientId: this.name, ...extra,
    }));
    if (outcome.errorCode !== GroupError.NONE) return outcome;
    this.memberId = outcome.memberId ?? this.memberId;
    this.epoch = outcome.memberEpoch;
    if (outcome.assignment !== null) this.owned = outcome.assignment;
    return outcome;
  }

  partitions(): string[] {
    return this.owned.flatMap((entry) => entry.partitions.map((partition) => `${entry.topicId}:${partition}`));
  }
}

/** Real topic ids: the group's records carry them as UUIDs. */
const ORDERS = randomUuid();
const AUDIT = randomUuid();

function harnessWithTopics(): Harness {
  const harness = createHarness();
  harness.topics.set('orders', { name: 'orders', topicId: ORDERS, partitionCount: 6 });
  harness.topics.set('audit', { name: 'audit', topicId: AUDIT, partitionCount: 2 });
  return harness;
}

/** Heartbeats every member until nobody's ownership changes (bounded rounds). */
async function converge(members: Member[], roundsMax = 20): Promise<void> {
  for (let round = 0; round < roundsMax; round++) {
    const before = members.map((member) => `${member.epoch}|${member.partitions().join()}`).join(';');
    for (const member of members) await member.heartbeat();
    const after = members.map((member) => `${member.epoch}|${member.partitions().join()}`).join(';');
    if (before === after) return;
  }
  throw new Error('the group did not converge');
}

function checkDisjoint(members: Member[]): string[] {
  const all = members.flatMap((member) => member.partitions());
  expect(new Set(all).size).toBe(all.length);
  return all.sort();
}

describe('KIP-848 consumer groups', () => {
  it('gives three members disjoint partitions that cover the topic, and never two owners at once', async () => {
    const harness = harnessWithTopics();
    const members = ['a', 'b', 'c'].map((name) => new Member(harness, name, ['orders']));
    for (const member of members) {
      await member.heartbeat();
      checkDisjoint(members);
    }
    await converge(members);
    expect(checkDisjoint(members)).toEqual([0, 1, 2, 3, 4, 5].map((partition) => `${ORDERS}:${partition}`).sort());
    for (const member of members) expect(member.partitions()).toHaveLength(2);
    const [described] = await harness.coordinator.consumerGroupDescribe(['cg']);
    expect(described).toMatchObject({ groupState: 'Stable', assignorName: 'uniform' });
    expect(new Set(members.map((member) => member.epoch)).size).toBe(1);
  });

  it('hands a leaving member\'s partitions to the others', async () => {
    const harness = harnessWithTopics();
    const members = ['a', 'b', 'c'].map((name) => new Member(harness, name, ['orders']));
    await converge(members);
    const left = await harness.coordinator.consumerGroupHeartbeat(params({ memberId: members[2].memberId, memberEpoch: -1 }));
    expect(left).toMatchObject({ errorCode: GroupError.NONE, memberEpoch: -1 });
    await converge(members.slice(0, 2));
    expect(checkDisjoint(members.slice(0, 2))).toHaveLength(6);
  });

  it('fences a member whose session expires; its partitions move on', async () => {
    const harness = harnessWithTopics();
    const members = ['a', 'b'].map((name) => new Member(harness, name, ['orders']));
    await converge(members);
    for (let elapsed = 0; elapsed < 50_000; elapsed += 5_000) {
      harness.scheduler.advance(5_000);
      await members[0].heartbeat();
    }
    await converge([members[0]]);
    expect(members[0].partitions()).toHaveLength(6);
    const stale = await members[1].heartbeat();
    expect(stale.errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
  });

  it('fences a member that does not revoke within its rebalance timeout', async () => {
    const harness = harnessWithTopics();
    const a = new Member(harness, 'a', ['orders']);
    await converge([a]);
    const b = new Member(harness, 'b', ['orders']);
    await b.heartbeat({ rebalanceTimeoutMs: 30_000 });
    // a is told to give up half, but keeps claiming every partition.
    const claimed = a.owned;
    await a.heartbeat();
    expect(a.partitions()).toHaveLength(3);
    a.owned = claimed;
    harness.scheduler.advance(30_001);
    expect((await a.heartbeat()).errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
    b.harness.scheduler.advance(0);
    await converge([b]);
    expect(b.partitions()).toHaveLength(6);
  });

  it('rejects stale epochs, unknown members, unknown assignors and bad first requests', async () => {
    const harness = harnessWithTopics();
    const a = new Member(harness, 'a', ['orders']);
    await converge([a]);
    expect((await harness.coordinator.consumerGroupHeartbeat(params({ memberId: a.memberId, memberEpoch: a.epoch + 5, topicPartitions: [] }))).errorCode).toBe(GroupError.FENCED_MEMBER_EPOCH);
    expect((await harness.coordinator.consumerGroupHeartbeat(params({ memberId: 'ghost', memberEpoch: 3 }))).errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect((await harness.coordinator.consumerGroupHeartbeat(params({ memberId: 'x', subscribedTopicNames: ['orders'], topicPartitions: [], serverAssignor: 'sticky' }))).errorCode).toBe(GroupError.UNSUPPORTED_ASSIGNOR);
    expect((await harness.coordinator.consumerGroupHeartbeat(params({ memberId: 'x', subscribedTopicNames: null, topicPartitions: [] }))).errorCode).toBe(GroupError.INVALID_REQUEST);
    expect((await harness.coordinator.consumerGroupHeartbeat(params({ memberId: 'x', subscribedTopicNames: ['orders'], topicPartitions: [], subscribedTopicRegex: '(' }))).errorCode).toBe(GroupError.INVALID_REGULAR_EXPRESSION);
  });

  it('uses the range assignor when members ask for it, and regex subscriptions', async () => {
    const harness = harnessWithTopics();
    const a = new Member(harness, 'a', []);
    const b = new Member(harness, 'b', []);
    await a.heartbeat({ serverAssignor: 'range', subscribedTopicNames: [], subscribedTopicRegex: 'or.*' });
    await b.heartbeat({ serverAssignor: 'range', subscribedTopicNames: [], subscribedTopicRegex: 'or.*' });
    await converge([a, b]);
    const [described] = await harness.coordinator.consumerGroupDescribe(['cg']);
    expect(described.assignorName).toBe('range');
    expect([a.partitions(), b.partitions()].map((list) => list.length)).toEqual([3, 3]);
    expect(checkDisjoint([a, b])).toHaveLength(6);
  });

  it('checks member epochs on OffsetCommit and OffsetFetch', async () => {
    const harness = harnessWithTopics();
    const a = new Member(harness, 'a', ['orders']);
    await converge([a]);
    const commit = (memberEpoch: number) => harness.coordinator.commitOffsets({
      groupId: 'cg', generationIdOrMemberEpoch: memberEpoch, memberId: a.memberId, groupInstanceId: null, retentionTimeMs: -1, apiVersion: 9,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null, commitTimestampMs: -1 }] }],
    });
    expect((await commit(a.epoch))[0].partitions[0].errorCode).toBe(GroupError.NONE);
    expect((await commit(a.epoch - 1))[0].partitions[0].errorCode).toBe(GroupError.STALE_MEMBER_EPOCH);
    const [fetched] = await harness.coordinator.fetchOffsets([{ groupId: 'cg', memberId: a.memberId, memberEpoch: a.epoch, topics: [{ name: 'orders', partitionIndexes: [0] }] }], 9);
    expect(fetched.topics[0].partitions[0].committedOffset).toBe(5);
    const [stale] = await harness.coordinator.fetchOffsets([{ groupId: 'cg', memberId: a.memberId, memberEpoch: a.epoch + 1, topics: null }], 9);
    expect(stale.errorCode).toBe(GroupError.STALE_MEMBER_EPOCH);
  });

  it('keeps classic and consumer groups apart', async () => {
    const harness = harnessWithTopics();
    const a = new Member(harness, 'a', ['orders']);
    await converge([a]);
    const join = await harness.coordinator.joinGroup(joinParams({ groupId: 'cg' }));
    expect(join.errorCode).toBe(GroupError.INCONSISTENT_GROUP_PROTOCOL);
    const [classicView] = await harness.coordinator.describeGroups(['cg']);
    expect(classicView.errorCode).toBe(GroupError.GROUP_ID_NOT_FOUND);
    const pending = harness.coordinator.joinGroup(joinParams({ groupId: 'classic' }));
    await settle();
    harness.scheduler.advance(0);
    await pending;
    const heartbeat = await harness.coordinator.consumerGroupHeartbeat(params({ groupId: 'classic', memberId: 'm', subscribedTopicNames: ['orders'], topicPartitions: [] }));
    expect(heartbeat.errorCode).toBe(GroupError.GROUP_ID_NOT_FOUND);
    expect(harness.coordinator.listGroups([], ['consumer']).groups.map((group) => group.groupId)).toEqual(['cg']);
    expect(harness.coordinator.listGroups(['stable'], []).groups.map((group) => group.groupId)).toEqual(['cg']);
  });

  it('lets a static member come back after a temporary leave (-2) with its partitions', async () => {
    const harness = harnessWithTopics();
    const a = new Member(harness, 'a', ['orders']);
    const b = new Member(harness, 'b', ['orders']);
    await a.heartbeat({ instanceId: 'instance-a' });
    await b.heartbeat();
    await converge([a, b]);
    const before = a.partitions();
    const paused = await harness.coordinator.consumerGroupHeartbeat(params({ memberId: a.memberId, memberEpoch: -2, instanceId: 'instance-a' }));
    expect(paused.memberEpoch).toBe(-2);
    const back = new Member(harness, 'a2', ['orders']);
    const rejoined = await back.heartbeat({ instanceId: 'instance-a' });
    expect(rejoined.errorCode).toBe(GroupError.NONE);
    expect(back.partitions()).toEqual(before);
    const taken = await new Member(harness, 'a3', ['orders']).heartbeat({ instanceId: 'instance-a' });
    expect(taken.errorCode).toBe(GroupError.UNRELEASED_INSTANCE_ID);
  });

  it('keeps members, epochs and assignments across a coordinator change (Kafka\'s KIP-848 records)', async () => {
    const harness = harnessWithTopics();
    const members = ['a', 'b', 'c'].map((name) => new Member(harness, name, ['orders']));
    await converge(members);
    const before = members.map((member) => ({ id: member.memberId, epoch: member.epoch, partitions: member.partitions() }));
    harness.coordinator.close();
    const successor = createHarness({}, harness.stores);
    for (const [name, topic] of harness.topics) successor.topics.set(name, topic);
    for (const member of members) {
      member.harness = successor;
      const outcome = await member.heartbeat();
      expect(outcome.errorCode).toBe(GroupError.NONE);
    }
    expect(members.map((member) => ({ id: member.memberId, epoch: member.epoch, partitions: member.partitions() }))).toEqual(before);
    const [described] = await successor.coordinator.consumerGroupDescribe(['cg']);
    expect(described).toMatchObject({ groupState: 'Stable', groupEpoch: before[0].epoch });
    // A member leaving after the move is written too: a third coordinator sees two members.
    await successor.coordinator.consumerGroupHeartbeat(params({ memberId: members[2].memberId, memberEpoch: -1 }));
    successor.coordinator.close();
    const third = createHarness({}, harness.stores);
    for (const [name, topic] of harness.topics) third.topics.set(name, topic);
    const [again] = await third.coordinator.consumerGroupDescribe(['cg']);
    expect(again.members.map((member) => member.memberId).sort()).toEqual([members[0].memberId, members[1].memberId].sort());
    expect(await third.coordinator.deleteGroups(['cg'])).toEqual([{ groupId: 'cg', errorCode: GroupError.NON_EMPTY_GROUP }]);
  });

  it('removes an empty consumer group without offsets at the retention check, with tombstones', async () => {
    const harness = createHarness({ offsetsRetentionCheckIntervalMs: 10_000 });
    harness.topics.set('orders', { name: 'orders', topicId: ORDERS, partitionCount: 6 });
    const a = new Member(harness, 'a', ['orders']);
    await converge([a]);
    await harness.coordinator.consumerGroupHeartbeat(params({ memberId: a.memberId, memberEpoch: -1 }));
    expect(harness.coordinator.listGroups([], ['consumer']).groups.map((group) => group.groupId)).toEqual(['cg']);
    harness.scheduler.advance(10_000);
    await settle();
    expect(harness.coordinator.listGroups().groups).toEqual([]);
    harness.coordinator.close();
    const successor = createHarness({}, harness.stores);
    const [described] = await successor.coordinator.consumerGroupDescribe(['cg']);
    expect(described.errorCode).toBe(GroupError.GROUP_ID_NOT_FOUND);
  });
});
