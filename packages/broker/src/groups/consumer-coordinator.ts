/**
 * The KIP-848 consumer group protocol (ConsumerGroupHeartbeat / ConsumerGroupDescribe): members
 * join with epoch 0, leave with -1 (static members pause with -2), the group epoch moves on every
 * membership or subscription change, a server-side assignor computes the target assignment, and
 * each member converges to it through its heartbeats: it first gives up partitions it must
 * revoke (keeping its epoch), then moves to the new epoch and receives partitions as soon as
 * their previous owners have released them. Session and revocation (rebalance) timeouts fence
 * members. Group state lives in memory; committed offsets are persisted by the coordinator.
 */
import { randomUUID } from 'node:crypto';
import { SERVER_ASSIGNORS, type Assignment, type AssignorMember, type AssignorTopic } from './assignors.ts';
import type { GroupCoordinatorConfig } from './config.ts';
import {
  ConsumerGroup,
  ConsumerMemberState,
  assignmentIntersect,
  assignmentKey,
  assignmentMinus,
  assignmentSize,
  assignmentUnion,
  type ConsumerMember,
} from './consumer-group.ts';
import { GroupError } from './error-codes.ts';
import type { Scheduler } from './scheduler.ts';

export interface TopicInfo {
  topicId: string;
  name: string;
  partitionCount: number;
}

/** Topic metadata the assignors need (the broker's metadata cache provides it). */
export interface TopicMetadataSource {
  topicByName(name: string): TopicInfo | undefined;
  topicById(topicId: string): TopicInfo | undefined;
  /** Every topic name (regex subscriptions), internal topics excluded. */
  topicNames(): string[];
}

export interface TopicPartitions {
  topicId: string;
  partitions: number[];
}

export interface ConsumerGroupHeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: TopicPartitions[] | null;
  clientId: string;
  clientHost: string;
}

export interface ConsumerGroupHeartbeatOutcome {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: TopicPartitions[] | null;
}

export interface DescribedTopicPartitions {
  topicId: string;
  topicName: string;
  partitions: number[];
}

export interface DescribedConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  assignment: DescribedTopicPartitions[];
  targetAssignment: DescribedTopicPartitions[];
}

export interface DescribedConsumerGroup {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: DescribedConsumerMember[];
}

export interface ConsumerCoordinatorHost {
  readonly config: GroupCoordinatorConfig;
  readonly scheduler: Scheduler;
  readonly topics?: TopicMetadataSource;
  onMemberRemoved?(group: ConsumerGroup, memberId: string): void;
}

const LEAVE_EPOCH = -1;
const STATIC_LEAVE_EPOCH = -2;
/** Longest subscription regex accepted (a bound on per-heartbeat matching work). */
const SUBSCRIBED_TOPIC_REGEX_CHARS_MAX = 1024;
const EMPTY_ASSIGNMENT: Assignment = new Map();

class HeartbeatError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

function toTopicPartitions(assignment: Assignment): TopicPartitions[] {
  return [...assignment].map(([topicId, partitions]) => ({ topicId, partitions: [...partitions] }));
}

function fromTopicPartitions(list: readonly TopicPartitions[]): Assignment {
  const assignment: Assignment = new Map();
  for (const entry of list) {
    if (entry.partitions.length === 0) continue;
    const merged = new Set([...(assignment.get(entry.topicId) ?? []), ...entry.partitions]);
    assignment.set(entry.topicId, [...merged].sort((a, b) => a - b));
  }
  return assignment;
}

export class ConsumerGroupCoordinator {
  readonly #host: ConsumerCoordinatorHost;

  constructor(host: ConsumerCoordinatorHost) {
    this.#host = host;
  }

  errorOutcome(errorCode: number, errorMessage: string | null): ConsumerGroupHeartbeatOutcome {
    return { errorCode, errorMessage, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
  }

  heartbeat(group: ConsumerGroup, params: ConsumerGroupHeartbeatParams): ConsumerGroupHeartbeatOutcome {
    try {
      this.#validate(params);
      if (params.memberEpoch === LEAVE_EPOCH || params.memberEpoch === STATIC_LEAVE_EPOCH) return this.#leave(group, params);
      const membersBefore = group.members.size;
      const member = params.memberEpoch === 0 ? this.#join(group, params) : this.#existingMember(group, params);
      let bump = this.#updateMember(group, member, params) || group.members.size !== membersBefore;
      const signature = this.#metadataSignature(group);
      if (group.metadataSignature === null) group.metadataSignature = signature;
      if (signature !== group.metadataSignature) {
        group.metadataSignature = signature;
        bump = true;
      }
      if (bump) group.groupEpoch++;
      if (group.groupEpoch > group.assignmentEpoch) this.#computeTargetAssignment(group);
      this.#scheduleSession(group, member);
      const owned = params.topicPartitions === null ? null : fromTopicPartitions(params.topicPartitions);
      this.#reconcile(group, member, owned);
      return this.#response(member, params, owned);
    } catch (error) {
      if (error instanceof HeartbeatError) return this.errorOutcome(error.code, error.message);
      throw error;
    }
  }

  #validate(params: ConsumerGroupHeartbeatParams): void {
    if (params.groupId.length === 0) throw new HeartbeatError(GroupError.INVALID_REQUEST, 'GroupId can not be empty.');
    if (params.memberEpoch < STATIC_LEAVE_EPOCH) throw new HeartbeatError(GroupError.INVALID_REQUEST, `MemberEpoch ${params.memberEpoch} is invalid.`);
    if (params.memberEpoch !== 0 && params.memberId.length === 0) throw new HeartbeatError(GroupError.INVALID_REQUEST, 'MemberId can not be empty.');
    if (params.memberEpoch === STATIC_LEAVE_EPOCH && params.instanceId === null) {
      throw new HeartbeatError(GroupError.INVALID_REQUEST, 'InstanceId can not be null if MemberEpoch is -2.');
    }
    if (params.memberEpoch === 0) {
      if (params.rebalanceTimeoutMs < 0) throw new HeartbeatError(GroupError.INVALID_REQUEST, 'RebalanceTimeoutMs must be provided in first request.');
      if (params.topicPartitions === null || params.topicPartitions.length > 0) {
        throw new HeartbeatError(GroupError.INVALID_REQUEST, 'TopicPartitions must be empty when (re-)joining.');
      }
      if (params.subscribedTopicNames === null && params.subscribedTopicRegex === null) {
        throw new HeartbeatError(GroupError.INVALID_REQUEST, 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
      }
    }
    if (params.serverAssignor !== null && !this.#host.config.consumerGroupAssignors.includes(params.serverAssignor)) {
      throw new HeartbeatError(GroupError.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${params.serverAssignor} is not supported. Supported assignors: ${this.#host.config.consumerGroupAssignors.join(', ')}.`);
    }
    if (params.subscribedTopicRegex !== null) {
      if (params.subscribedTopicRegex.length > SUBSCRIBED_TOPIC_REGEX_CHARS_MAX) throw new HeartbeatError(GroupError.INVALID_REQUEST, 'SubscribedTopicRegex is too long.');
      try {
        new RegExp(params.subscribedTopicRegex);
      } catch {
        throw new HeartbeatError(GroupError.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex ${params.subscribedTopicRegex} is not a valid regular expression.`);
      }
    }
  }

  #leave(group: ConsumerGroup, params: ConsumerGroupHeartbeatParams): ConsumerGroupHeartbeatOutcome {
    let member = group.members.get(params.memberId);
    if (!member && params.instanceId !== null) {
      const staticId = group.staticMembers.get(params.instanceId);
      member = staticId === undefined ? undefined : group.members.get(staticId);
    }
    if (!member) throw new HeartbeatError(GroupError.UNKNOWN_MEMBER_ID, `Member ${params.memberId} is not a member of group ${params.groupId}.`);
    if (params.instanceId !== null && member.instanceId !== null && member.memberId !== params.memberId) {
      throw new HeartbeatError(GroupError.FENCED_INSTANCE_ID, `Instance ${params.instanceId} belongs to member ${member.memberId}.`);
    }
    if (params.memberEpoch === STATIC_LEAVE_EPOCH && member.instanceId !== null) {
      // A static member restarting keeps its partitions for its session (no rebalance).
      member.leftTemporarily = true;
      this.#scheduleSession(group, member);
    } else {
      this.removeMember(group, member);
    }
    return { errorCode: GroupError.NONE, errorMessage: null, memberId: params.memberId, memberEpoch: params.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  #join(group: ConsumerGroup, params: ConsumerGroupHeartbeatParams): ConsumerMember {
    const memberId = params.memberId.length > 0 ? params.memberId : randomUUID();
    if (params.instanceId !== null) {
      const previousId = group.staticMembers.get(params.instanceId);
      const previous = previousId === undefined ? undefined : group.members.get(previousId);
      if (previous && previous.memberId !== memberId && !previous.leftTemporarily) {
        throw new HeartbeatError(GroupError.UNRELEASED_INSTANCE_ID, `Static member ${params.instanceId} is still in use by ${previous.memberId}.`);
      }
      if (previous) return this.#replaceStaticMember(group, previous, memberId);
    }
    const existing = group.members.get(memberId);
    if (existing) {
      // A member rejoining with epoch 0 lost its state: it starts from scratch.
      this.#releaseAll(existing);
      existing.memberEpoch = 0;
      existing.state = ConsumerMemberState.Stable;
      return existing;
    }
    if (group.members.size >= this.#host.config.consumerGroupMaxSize) {
      throw new HeartbeatError(GroupError.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.#host.config.consumerGroupMaxSize} members.`);
    }
    const member: ConsumerMember = {
      memberId,
      instanceId: params.instanceId,
      rackId: params.rackId,
      clientId: params.clientId,
      clientHost: params.clientHost,
      rebalanceTimeoutMs: params.rebalanceTimeoutMs,
      subscribedTopicNames: [],
      subscribedTopicRegex: null,
      serverAssignor: null,
      memberEpoch: 0,
      previousMemberEpoch: -1,
      state: ConsumerMemberState.Stable,
      assigned: new Map(),
      pendingRevocation: new Map(),
      lastSentAssignmentKey: null,
      sessionTimer: null,
      revocationTimer: null,
      leftTemporarily: false,
    };
    group.members.set(memberId, member);
    if (member.instanceId !== null) group.staticMembers.set(member.instanceId, memberId);
    return member;
  }

  #replaceStaticMember(group: ConsumerGroup, previous: ConsumerMember, memberId: string): ConsumerMember {
    previous.sessionTimer?.cancel();
    previous.sessionTimer = null;
    group.members.delete(previous.memberId);
    group.removedSincePersist.add(previous.memberId);
    const target = group.targetAssignment.get(previous.memberId);
    group.targetAssignment.delete(previous.memberId);
    if (target) group.targetAssignment.set(memberId, target);
    previous.memberId = memberId;
    previous.leftTemporarily = false;
    previous.lastSentAssignmentKey = null;
    group.members.set(memberId, previous);
    group.staticMembers.set(previous.instanceId!, memberId);
    return previous;
  }

  #existingMember(group: ConsumerGroup, params: ConsumerGroupHeartbeatParams): ConsumerMember {
    const member = group.members.get(params.memberId);
    if (!member || member.leftTemporarily) {
      throw new HeartbeatError(GroupError.UNKNOWN_MEMBER_ID, `Member ${params.memberId} is not a member of group ${params.groupId}.`);
    }
    if (params.instanceId !== null && member.instanceId !== null && member.instanceId !== params.instanceId) {
      throw new HeartbeatError(GroupError.FENCED_INSTANCE_ID, `Member ${params.memberId} has instance ${member.instanceId}.`);
    }
    if (params.memberEpoch === member.memberEpoch) return member;
    // The member missed our last response: it may still use its previous epoch if it owns
    // nothing beyond what it has now (Kafka's rule), else it is fenced and must rejoin.
    const ownedWithinAssigned = params.topicPartitions !== null &&
      assignmentSize(assignmentMinus(fromTopicPartitions(params.topicPartitions), member.assigned)) === 0;
    if (params.memberEpoch === member.previousMemberEpoch && ownedWithinAssigned) return member;
    throw new HeartbeatError(GroupError.FENCED_MEMBER_EPOCH, `The member epoch ${params.memberEpoch} does not match the expected epoch ${member.memberEpoch}.`);
  }

  /** Applies the fields the member sent; true when the change needs a new group epoch. */
  #updateMember(group: ConsumerGroup, member: ConsumerMember, params: ConsumerGroupHeartbeatParams): boolean {
    let bump = false;
    if (params.subscribedTopicNames !== null) {
      const names = [...new Set(params.subscribedTopicNames)].sort();
      if (names.join('\u0000') !== member.subscribedTopicNames.join('\u0000')) bump = true;
      member.subscribedTopicNames = names;
    }
    if (params.subscribedTopicRegex !== null) {
      const regex = params.subscribedTopicRegex.length > 0 ? params.subscribedTopicRegex : null;
      if (regex !== member.subscribedTopicRegex) bump = true;
      member.subscribedTopicRegex = regex;
    }
    if (params.serverAssignor !== null && params.serverAssignor !== member.serverAssignor) {
      member.serverAssignor = params.serverAssignor;
      bump = true;
    }
    if (params.rebalanceTimeoutMs >= 0) member.rebalanceTimeoutMs = params.rebalanceTimeoutMs;
    if (params.rackId !== null) member.rackId = params.rackId;
    member.clientId = params.clientId;
    member.clientHost = params.clientHost;
    void group;
    return bump;
  }

  #subscribedTopics(member: ConsumerMember): TopicInfo[] {
    const topics = this.#host.topics;
    if (!topics) return [];
    const result = new Map<string, TopicInfo>();
    for (const name of member.subscribedTopicNames) {
      const info = topics.topicByName(name);
      if (info) result.set(info.topicId, info);
    }
    if (member.subscribedTopicRegex !== null) {
      const pattern = new RegExp(`^(?:${member.subscribedTopicRegex})$`);
      for (const name of topics.topicNames()) {
        if (!pattern.test(name)) continue;
        const info = topics.topicByName(name);
        if (info) result.set(info.topicId, info);
      }
    }
    return [...result.values()];
  }

  #metadataSignature(group: ConsumerGroup): string {
    const topicSource = this.#host.topics;
    if (!topicSource) return '';
    // Distinct names and patterns first: the cost stays O(members) plus one lookup per topic.
    const names = new Set<string>();
    const patterns = new Set<string>();
    for (const member of group.members.values()) {
      for (const name of member.subscribedTopicNames) names.add(name);
      if (member.subscribedTopicRegex !== null) patterns.add(member.subscribedTopicRegex);
    }
    if (patterns.size > 0) {
      const compiled = [...patterns].map((pattern) => new RegExp(`^(?:${pattern})$`));
      for (const name of topicSource.topicNames()) if (compiled.some((regex) => regex.test(name))) names.add(name);
    }
    const parts: string[] = [];
    for (const name of names) {
      const topic = topicSource.topicByName(name);
      if (topic) parts.push(`${topic.name}:${topic.topicId}:${topic.partitionCount}`);
    }
    return parts.sort().join(';');
  }

  #computeTargetAssignment(group: ConsumerGroup): void {
    const assignor = SERVER_ASSIGNORS.get(group.preferredAssignor(this.#host.config.consumerGroupAssignors)) ?? SERVER_ASSIGNORS.get('uniform')!;
    const topics = new Map<string, AssignorTopic>();
    const members: AssignorMember[] = [];
    for (const member of group.members.values()) {
      const subscribed = this.#subscribedTopics(member);
      for (const topic of subscribed) topics.set(topic.topicId, { topicId: topic.topicId, partitionCount: topic.partitionCount });
      members.push({
        memberId: member.memberId,
        subscribedTopicIds: new Set(subscribed.map((topic) => topic.topicId)),
        currentAssignment: group.targetAssignment.get(member.memberId) ?? EMPTY_ASSIGNMENT,
      });
    }
    group.targetAssignment = assignor.assign({ members, topics: [...topics.values()] });
    group.assignmentEpoch = group.groupEpoch;
  }

  /** Partitions of `wanted` held (assigned or still to be revoked) by members other than `except`. */
  #heldByOthers(group: ConsumerGroup, except: ConsumerMember, wanted: Assignment): Assignment {
    const held: Assignment = new Map();
    if (assignmentSize(wanted) === 0) return held;
    for (const member of group.members.values()) {
      if (member === except) continue;
      for (const source of [member.assigned, member.pendingRevocation]) {
        for (const [topicId, partitions] of source) {
          const wantedPartitions = wanted.get(topicId);
          if (!wantedPartitions) continue;
          const overlap = partitions.filter((partition) => wantedPartitions.includes(partition));
          if (overlap.length > 0) held.set(topicId, [...(held.get(topicId) ?? []), ...overlap]);
        }
      }
    }
    return held;
  }

  /** Moves the member towards the target assignment (Kafka's CurrentAssignmentBuilder). */
  #reconcile(group: ConsumerGroup, member: ConsumerMember, owned: Assignment | null): void {
    if (member.state === ConsumerMemberState.UnrevokedPartitions) {
      const stillOwned = owned === null ? member.pendingRevocation : assignmentIntersect(owned, member.pendingRevocation);
      if (assignmentSize(stillOwned) > 0) return;
      member.pendingRevocation = new Map();
      member.revocationTimer?.cancel();
      member.revocationTimer = null;
      member.state = ConsumerMemberState.Stable;
    }
    if (member.memberEpoch === group.assignmentEpoch && member.state === ConsumerMemberState.Stable) return;
    const target = group.targetAssignment.get(member.memberId) ?? EMPTY_ASSIGNMENT;
    const toRevoke = assignmentMinus(member.assigned, target);
    if (assignmentSize(toRevoke) > 0) {
      member.pendingRevocation = assignmentUnion(member.pendingRevocation, toRevoke);
      member.assigned = assignmentIntersect(member.assigned, target);
      member.state = ConsumerMemberState.UnrevokedPartitions;
      this.#scheduleRevocationTimeout(group, member);
      return;
    }
    const missing = assignmentMinus(target, member.assigned);
    const assignable = assignmentMinus(missing, this.#heldByOthers(group, member, missing));
    member.assigned = assignmentUnion(member.assigned, assignable);
    if (member.memberEpoch !== group.assignmentEpoch) {
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = group.assignmentEpoch;
    }
    member.state = assignmentKey(member.assigned) === assignmentKey(target) ? ConsumerMemberState.Stable : ConsumerMemberState.UnreleasedPartitions;
  }

  #response(member: ConsumerMember, params: ConsumerGroupHeartbeatParams, owned: Assignment | null): ConsumerGroupHeartbeatOutcome {
    const key = assignmentKey(member.assigned);
    const ownedDiffers = owned !== null && assignmentKey(owned) !== key;
    const send = key !== member.lastSentAssignmentKey || params.memberEpoch === 0 || ownedDiffers;
    if (send) member.lastSentAssignmentKey = key;
    return {
      errorCode: GroupError.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.#host.config.consumerGroupHeartbeatIntervalMs,
      assignment: send ? toTopicPartitions(member.assigned) : null,
    };
  }

  #scheduleSession(group: ConsumerGroup, member: ConsumerMember): void {
    member.sessionTimer?.cancel();
    const timer = this.#host.scheduler.schedule(this.#host.config.consumerGroupSessionTimeoutMs, () => {
      if (member.sessionTimer !== timer || group.members.get(member.memberId) !== member) return;
      this.removeMember(group, member);
    });
    member.sessionTimer = timer;
  }

  #scheduleRevocationTimeout(group: ConsumerGroup, member: ConsumerMember): void {
    member.revocationTimer?.cancel();
    const timer = this.#host.scheduler.schedule(member.rebalanceTimeoutMs, () => {
      if (member.revocationTimer !== timer || group.members.get(member.memberId) !== member) return;
      if (member.state === ConsumerMemberState.UnrevokedPartitions) this.removeMember(group, member);
    });
    member.revocationTimer = timer;
  }

  #releaseAll(member: ConsumerMember): void {
    member.assigned = new Map();
    member.pendingRevocation = new Map();
    member.revocationTimer?.cancel();
    member.revocationTimer = null;
    member.lastSentAssignmentKey = null;
  }

  /** Fences / removes a member: its partitions are free at once, the group epoch moves. */
  removeMember(group: ConsumerGroup, member: ConsumerMember): void {
    member.sessionTimer?.cancel();
    member.sessionTimer = null;
    this.#releaseAll(member);
    group.members.delete(member.memberId);
    group.removedSincePersist.add(member.memberId);
    group.targetAssignment.delete(member.memberId);
    if (member.instanceId !== null && group.staticMembers.get(member.instanceId) === member.memberId) group.staticMembers.delete(member.instanceId);
    group.groupEpoch++;
    if (group.members.size === 0) group.emptySinceMs = this.#host.scheduler.nowMs();
    this.#host.onMemberRemoved?.(group, member.memberId);
  }

  /** After a load: every member must heartbeat within its session again. */
  resumeLoadedGroup(group: ConsumerGroup): void {
    for (const member of group.members.values()) {
      this.#scheduleSession(group, member);
      if (member.state === ConsumerMemberState.UnrevokedPartitions) this.#scheduleRevocationTimeout(group, member);
    }
  }

  shutdownGroup(group: ConsumerGroup): void {
    for (const member of group.members.values()) {
      member.sessionTimer?.cancel();
      member.sessionTimer = null;
      member.revocationTimer?.cancel();
      member.revocationTimer = null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Offsets and describe

  validateOffsetCommit(group: ConsumerGroup, memberId: string, memberEpoch: number, _apiVersion: number): number {
    if (memberEpoch < 0 && memberId.length === 0) return group.isEmpty() ? GroupError.NONE : GroupError.UNKNOWN_MEMBER_ID;
    const member = group.members.get(memberId);
    if (!member) return GroupError.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== member.memberEpoch) return GroupError.STALE_MEMBER_EPOCH;
    return GroupError.NONE;
  }

  validateOffsetFetch(group: ConsumerGroup, memberId: string, memberEpoch: number): number {
    if (memberEpoch < 0 && memberId.length === 0) return GroupError.NONE;
    const member = group.members.get(memberId);
    if (!member) return GroupError.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== member.memberEpoch) return GroupError.STALE_MEMBER_EPOCH;
    return GroupError.NONE;
  }

  describeError(groupId: string, errorCode: number, errorMessage: string | null): DescribedConsumerGroup {
    return { errorCode, errorMessage, groupId, groupState: 'Dead', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [] };
  }

  describe(group: ConsumerGroup): DescribedConsumerGroup {
    const describeAssignment = (assignment: Assignment): DescribedTopicPartitions[] =>
      [...assignment].map(([topicId, partitions]) => ({ topicId, topicName: this.#host.topics?.topicById(topicId)?.name ?? '', partitions: [...partitions] }));
    return {
      errorCode: GroupError.NONE,
      errorMessage: null,
      groupId: group.groupId,
      groupState: group.stateName(),
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: group.preferredAssignor(this.#host.config.consumerGroupAssignors),
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        instanceId: member.instanceId,
        rackId: member.rackId,
        memberEpoch: member.memberEpoch,
        clientId: member.clientId,
        clientHost: member.clientHost,
        subscribedTopicNames: member.subscribedTopicNames,
        subscribedTopicRegex: member.subscribedTopicRegex,
        assignment: describeAssignment(member.assigned),
        targetAssignment: describeAssignment(group.targetAssignment.get(member.memberId) ?? EMPTY_ASSIGNMENT),
      })),
    };
  }
}
