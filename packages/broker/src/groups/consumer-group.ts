/**
 * The state of one KIP-848 consumer group: the group epoch (bumped by every change of members
 * or subscriptions), the target assignment computed by a server-side assignor for the
 * assignment epoch, and per member its epoch, the partitions it may use now, those it must
 * revoke first, and its reconciliation state.
 */
import type { Assignment } from './assignors.ts';
import type { TimerHandle } from './scheduler.ts';

export const ConsumerMemberState = {
  Stable: 'stable',
  UnrevokedPartitions: 'unrevoked_partitions',
  UnreleasedPartitions: 'unreleased_partitions',
} as const;
export type ConsumerMemberStateName = (typeof ConsumerMemberState)[keyof typeof ConsumerMemberState];

export interface ConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: ConsumerMemberStateName;
  /** Partitions the member may use now. */
  assigned: Assignment;
  /** Partitions the member was told to give up and has not confirmed yet. */
  pendingRevocation: Assignment;
  /** Assignment key last sent to the member (to send the assignment only when it changed). */
  lastSentAssignmentKey: string | null;
  sessionTimer: TimerHandle | null;
  revocationTimer: TimerHandle | null;
  /** Static member that left with epoch -2: kept for its session so it can come back. */
  leftTemporarily: boolean;
}

export type ConsumerGroupStateName = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

export class ConsumerGroup {
  readonly groupId: string;
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  readonly staticMembers = new Map<string, string>();
  /** member id → target assignment of the assignment epoch. */
  targetAssignment = new Map<string, Assignment>();
  /**
   * Signature of the subscribed topics' metadata the target was computed from; null after a
   * load (the next heartbeat records it without starting a new epoch).
   */
  metadataSignature: string | null = '';
  /** key hex → value hex of the records last written for this group (to write only changes). */
  readonly persisted = new Map<string, string>();
  /** Members removed (or renamed) since the last write: their records get tombstones. */
  readonly removedSincePersist = new Set<string>();
  /** Assignment epoch whose targets were last written (-1: never). */
  persistedAssignmentEpoch = -1;
  /** When the group last became empty (offset retention). */
  emptySinceMs: number;
  dead = false;

  constructor(groupId: string, nowMs: number) {
    this.groupId = groupId;
    this.emptySinceMs = nowMs;
  }

  isEmpty(): boolean {
    return this.members.size === 0;
  }

  stateName(): ConsumerGroupStateName {
    if (this.dead) return 'Dead';
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const member of this.members.values()) {
      if (member.memberEpoch !== this.assignmentEpoch || member.state !== ConsumerMemberState.Stable) return 'Reconciling';
    }
    return 'Stable';
  }

  subscribedTopicNames(): Set<string> {
    const names = new Set<string>();
    for (const member of this.members.values()) for (const name of member.subscribedTopicNames) names.add(name);
    return names;
  }

  /** The assignor the members prefer (most votes, then the configured order), as Kafka picks. */
  preferredAssignor(configured: readonly string[]): string {
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      if (member.serverAssignor !== null) votes.set(member.serverAssignor, (votes.get(member.serverAssignor) ?? 0) + 1);
    }
    let best = configured[0];
    for (const name of configured) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
    return best;
  }
}

export function assignmentKey(assignment: Assignment): string {
  return [...assignment].map(([topicId, partitions]) => `${topicId}:${partitions.join(',')}`).join(';');
}

export function copyAssignment(assignment: Assignment): Assignment {
  return new Map([...assignment].map(([topicId, partitions]) => [topicId, [...partitions]]));
}

export function assignmentMinus(a: Assignment, b: Assignment): Assignment {
  const result: Assignment = new Map();
  for (const [topicId, partitions] of a) {
    const other = new Set(b.get(topicId) ?? []);
    const left = partitions.filter((partition) => !other.has(partition));
    if (left.length > 0) result.set(topicId, left);
  }
  return result;
}

export function assignmentIntersect(a: Assignment, b: Assignment): Assignment {
  const result: Assignment = new Map();
  for (const [topicId, partitions] of a) {
    const other = new Set(b.get(topicId) ?? []);
    const both = partitions.filter((partition) => other.has(partition));
    if (both.length > 0) result.set(topicId, both);
  }
  return result;
}

export function assignmentUnion(a: Assignment, b: Assignment): Assignment {
  const result = copyAssignment(a);
  for (const [topicId, partitions] of b) {
    const merged = new Set([...(result.get(topicId) ?? []), ...partitions]);
    result.set(topicId, [...merged].sort((x, y) => x - y));
  }
  return result;
}

export function assignmentSize(assignment: Assignment): number {
  let size = 0;
  for (const partitions of assignment.values()) size += partitions.length;
  return size;
}
