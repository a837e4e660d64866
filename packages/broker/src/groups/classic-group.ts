/**
 * The state of one classic group (JoinGroup / SyncGroup protocol): members, generation, leader,
 * selected protocol and the state machine Empty → PreparingRebalance → CompletingRebalance →
 * Stable (→ Dead), as Kafka's ClassicGroup keeps it. Pure data + small queries; the transitions
 * with their timers and replies live in `classic-coordinator.ts`.
 */
import type { TimerHandle } from './scheduler.ts';

export const ClassicGroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type ClassicGroupStateName = (typeof ClassicGroupState)[keyof typeof ClassicGroupState];

/** Kafka's allowed transitions (ClassicGroupState.validPreviousStates). */
const VALID_PREVIOUS: Record<ClassicGroupStateName, readonly ClassicGroupStateName[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupOutcome {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinGroupMemberInfo[];
}

export interface SyncGroupOutcome {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface ClassicMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Buffer;
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  awaitingJoin: ((outcome: JoinGroupOutcome) => void) | null;
  /** Set while the member's SyncGroup waits for the leader's assignment. */
  awaitingSync: ((outcome: SyncGroupOutcome) => void) | null;
  /** Joined during the group's first rebalance: expires after the new-member timeout instead. */
  isNew: boolean;
  heartbeatTimer: TimerHandle | null;
}

export const EMPTY_BYTES = Buffer.alloc(0);

export class ClassicGroup {
  readonly groupId: string;
  state: ClassicGroupStateName = ClassicGroupState.Empty;
  /** When the group entered its current state (GroupMetadataValue.currentStateTimestamp). */
  currentStateTimestampMs: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Insertion-ordered: the first remaining member becomes leader when the leader leaves. */
  readonly members = new Map<string, ClassicMember>();
  /** group.instance.id → member id of static members. */
  readonly staticMembers = new Map<string, string>();
  /** Members told MEMBER_ID_REQUIRED that have not joined yet, with their expiry timers. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** A member joined since the initial rebalance delay last fired (extends the delay). */
  newMemberAdded = false;
  joinTimer: TimerHandle | null = null;
  /** The join timer is the initial rebalance delay: joins do not complete the rebalance early. */
  inInitialDelay = false;
  syncTimer: TimerHandle | null = null;

  constructor(groupId: string, nowMs: number) {
    this.groupId = groupId;
    this.currentStateTimestampMs = nowMs;
  }

  is(state: ClassicGroupStateName): boolean {
    return this.state === state;
  }

  canTransitionTo(state: ClassicGroupStateName): boolean {
    return VALID_PREVIOUS[state].includes(this.state);
  }

  transitionTo(state: ClassicGroupStateName, nowMs: number): void {
    if (!this.canTransitionTo(state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} → ${state}`);
    }
    this.state = state;
    this.currentStateTimestampMs = nowMs;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  get size(): number {
    return this.members.size;
  }

  /** Largest rebalance timeout of the members: how long a rebalance waits for rejoins. */
  rebalanceTimeoutMs(): number {
    let timeoutMs = 0;
    for (const member of this.members.values()) timeoutMs = Math.max(timeoutMs, member.rebalanceTimeoutMs);
    return timeoutMs;
  }

  awaitingJoinCount(): number {
    let count = 0;
    for (const member of this.members.values()) if (member.awaitingJoin) count++;
    return count;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.awaitingJoinCount() && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): ClassicMember[] {
    return [...this.members.values()].filter((member) => !member.awaitingJoin);
  }

  add(member: ClassicMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): ClassicMember | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) this.leaderId = this.#preferredLeader();
    return member;
  }

  /** Prefer a member already waiting in the rebalance, as Kafka's maybeElectNewJoinedLeader. */
  #preferredLeader(): string | null {
    let first: string | null = null;
    for (const member of this.members.values()) {
      if (member.awaitingJoin) return member.memberId;
      first ??= member.memberId;
    }
    return first;
  }

  /** The member id a static instance currently has, if any. */
  staticMemberId(groupInstanceId: string | null): string | undefined {
    return groupInstanceId === null ? undefined : this.staticMembers.get(groupInstanceId);
  }

  /** A static member is fenced when its instance id now maps to another member id. */
  isStaticMemberFenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /** Moves a static member to a new member id, keeping its assignment. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): ClassicMember {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`group ${this.groupId}: static member ${oldMemberId} is missing`);
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  /** Protocol names every member supports, in the order the first member lists them. */
  candidateProtocols(): string[] {
    const members = [...this.members.values()];
    if (members.length === 0) return [];
    return members[0].protocols
      .map((protocol) => protocol.name)
      .filter((name) => members.every((member) => member.protocols.some((protocol) => protocol.name === name)));
  }

  /** Whether a member with this protocol type and these protocols may be in the group. */
  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocolNames.length > 0;
    if (this.protocolType !== protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocolNames.some((name) => candidates.includes(name));
  }

  /**
   * Kafka's selection: among the protocols all members support, each member votes for the first
   * one in its own preference order; the most votes wins (ties: the earlier candidate).
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    if (candidates.length === 0) throw new Error(`group ${this.groupId}: no protocol supported by every member`);
    const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
    for (const member of this.members.values()) {
      const vote = member.protocols.find((protocol) => votes.has(protocol.name));
      if (vote) votes.set(vote.name, (votes.get(vote.name) ?? 0) + 1);
    }
    let best = candidates[0];
    for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  /** The member's metadata for the selected protocol (empty when it has none). */
  memberMetadata(member: ClassicMember, protocolName: string | null): Buffer {
    return member.protocols.find((protocol) => protocol.name === protocolName)?.metadata ?? EMPTY_BYTES;
  }

  /** JoinGroup response member list, sent to the leader only. */
  currentMemberMetadata(): JoinGroupMemberInfo[] {
    return [...this.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: this.memberMetadata(member, this.protocolName),
    }));
  }
}

export function sameProtocols(a: readonly Protocol[], b: readonly Protocol[]): boolean {
  return a.length === b.length && a.every((protocol, index) => protocol.name === b[index].name && protocol.metadata.equals(b[index].metadata));
}
