/**
 * The classic group protocol (JoinGroup / SyncGroup / Heartbeat / LeaveGroup) as Kafka's group
 * coordinator runs it: joins and leaves trigger rebalances, a rebalance completes when every
 * known member has rejoined or the rebalance timeout expires (members that did not rejoin are
 * removed), the first rebalance of an empty group waits group.initial.rebalance.delay.ms, members
 * expire after session.timeout.ms without heartbeat, static members (group.instance.id) keep
 * their assignment across restarts, and the leader's assignment is persisted before members get it.
 *
 * Pending JoinGroup / SyncGroup calls are promises resolved by the transitions; every timer goes
 * through the injected Scheduler.
 */
import { randomUUID } from 'node:crypto';
import {
  ClassicGroup,
  ClassicGroupState,
  EMPTY_BYTES,
  sameProtocols,
  type ClassicMember,
  type JoinGroupOutcome,
  type Protocol,
  type SyncGroupOutcome,
} from './classic-group.ts';
import type { GroupCoordinatorConfig } from './config.ts';
import { GroupError, errorCodeOf } from './error-codes.ts';
import type { Scheduler } from './scheduler.ts';

export interface ClassicHost {
  readonly config: GroupCoordinatorConfig;
  readonly scheduler: Scheduler;
  /** Persists the group's metadata (a GroupMetadata record); rejects with a Kafka `code`. */
  storeGroup(group: ClassicGroup): Promise<void>;
  /** Called when a group changes state (dashboards, tests). */
  onStateChange?(group: ClassicGroup): void;
}

export interface JoinGroupParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Protocol[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  clientId: string;
  clientHost: string;
  /** JoinGroup ≥ 4: a member without id first gets MEMBER_ID_REQUIRED and its id. */
  requireKnownMemberId: boolean;
  reason?: string | null;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveMember {
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

export interface LeaveMemberOutcome {
  memberId: string;
  groupInstanceId: string | null;
  errorCode: number;
}

export const UNKNOWN_MEMBER_ID = '';

export function joinError(memberId: string, errorCode: number): JoinGroupOutcome {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncGroupOutcome {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export class ClassicCoordinator {
  readonly #host: ClassicHost;

  constructor(host: ClassicHost) {
    this.#host = host;
  }

  get #config(): GroupCoordinatorConfig {
    return this.#host.config;
  }

  get #nowMs(): number {
    return this.#host.scheduler.nowMs();
  }

  // -------------------------------------------------------------------------------------------
  // JoinGroup

  /** Validations that do not depend on the group (the facade also checks coordinator ownership). */
  validateJoin(params: JoinGroupParams): number {
    if (params.groupId.length === 0) return GroupError.INVALID_GROUP_ID;
    if (params.sessionTimeoutMs < this.#config.groupMinSessionTimeoutMs || params.sessionTimeoutMs > this.#config.groupMaxSessionTimeoutMs) {
      return GroupError.INVALID_SESSION_TIMEOUT;
    }
    return GroupError.NONE;
  }

  join(group: ClassicGroup, params: JoinGroupParams): Promise<JoinGroupOutcome> {
    if (params.memberId === UNKNOWN_MEMBER_ID) return this.#joinUnknownMember(group, params);
    return this.#joinKnownMember(group, params);
  }

  #joinUnknownMember(group: ClassicGroup, params: JoinGroupParams): Promise<JoinGroupOutcome> {
    if (group.is(ClassicGroupState.Dead)) return Promise.resolve(joinError(params.memberId, GroupError.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(params.protocolType, params.protocols.map((protocol) => protocol.name))) {
      return Promise.resolve(joinError(params.memberId, GroupError.INCONSISTENT_GROUP_PROTOCOL));
    }
    const existingStatic = group.staticMemberId(params.groupInstanceId);
    if (existingStatic === undefined && group.size + group.pendingMembers.size >= this.#config.groupMaxSize) {
      return Promise.resolve(joinError(params.memberId, GroupError.GROUP_MAX_SIZE_REACHED));
    }
    const newMemberId = `${params.clientId}-${randomUUID()}`;
    if (params.groupInstanceId !== null) return this.#joinStaticMember(group, params, newMemberId, existingStatic);
    if (params.requireKnownMemberId) {
      // KIP-394: remember the id, let the client come back with it.
      this.#addPendingMember(group, newMemberId, params.sessionTimeoutMs);
      return Promise.resolve(joinError(newMemberId, GroupError.MEMBER_ID_REQUIRED));
    }
    return this.#addMemberAndRebalance(group, params, newMemberId);
  }

  #joinStaticMember(
    group: ClassicGroup,
    params: JoinGroupParams,
    newMemberId: string,
    existingMemberId: string | undefined,
  ): Promise<JoinGroupOutcome> {
    if (existingMemberId === undefined) return this.#addMemberAndRebalance(group, params, newMemberId);
    return this.#replaceStaticMember(group, params, existingMemberId, newMemberId);
  }

  /** A static member restarted (new member id, same group.instance.id): fence the old id. */
  #replaceStaticMember(group: ClassicGroup, params: JoinGroupParams, oldMemberId: string, newMemberId: string): Promise<JoinGroupOutcome> {
    const old = group.members.get(oldMemberId)!;
    const oldProtocols = old.protocols;
    old.heartbeatTimer?.cancel();
    old.heartbeatTimer = null;
    if (old.awaitingJoin) {
      const reply = old.awaitingJoin;
      old.awaitingJoin = null;
      reply(joinError(oldMemberId, GroupError.FENCED_INSTANCE_ID));
    }
    if (old.awaitingSync) {
      const reply = old.awaitingSync;
      old.awaitingSync = null;
      reply(syncError(GroupError.FENCED_INSTANCE_ID));
    }
    const member = group.replaceStaticMember(params.groupInstanceId!, oldMemberId, newMemberId);
    this.#updateMember(member, params);
    switch (group.state) {
      case ClassicGroupState.Stable: {
        const protocolUnchanged = sameProtocols(oldProtocols, params.protocols) || group.selectProtocol() === group.protocolName;
        if (protocolUnchanged) return this.#answerStableStaticRejoin(group, member, oldMemberId, oldProtocols);
        return this.#rejoinAndRebalance(group, member, 'static member changed its protocols');
      }
      case ClassicGroupState.CompletingRebalance:
        return this.#rejoinAndRebalance(group, member, 'static member rejoined during rebalance');
      default:
        return this.#awaitJoin(group, member);
    }
  }

  /**
   * A static member rejoining a stable group keeps the generation: persist its new id and answer
   * at once (the leader gets the member list with skipAssignment, as Kafka does).
   */
  async #answerStableStaticRejoin(group: ClassicGroup, member: ClassicMember, oldMemberId: string, oldProtocols: Protocol[]): Promise<JoinGroupOutcome> {
    const generationId = group.generationId;
    try {
      await this.#host.storeGroup(group);
    } catch (error) {
      // Undo the replacement so the old member id stays valid, as Kafka does on a failed store.
      if (group.has(member.memberId) && group.generationId === generationId) {
        const newMemberId = member.memberId;
        group.replaceStaticMember(member.groupInstanceId!, newMemberId, oldMemberId);
        member.protocols = oldProtocols;
        this.#scheduleHeartbeatExpiry(group, member);
      }
      return joinError(UNKNOWN_MEMBER_ID, errorCodeOf(error));
    }
    this.#scheduleHeartbeatExpiry(group, member);
    const isLeader = group.isLeader(member.memberId);
    return {
      errorCode: GroupError.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: isLeader,
      memberId: member.memberId,
      members: isLeader ? group.currentMemberMetadata() : [],
    };
  }

  #joinKnownMember(group: ClassicGroup, params: JoinGroupParams): Promise<JoinGroupOutcome> {
    if (group.is(ClassicGroupState.Dead)) return Promise.resolve(joinError(params.memberId, GroupError.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(params.protocolType, params.protocols.map((protocol) => protocol.name))) {
      return Promise.resolve(joinError(params.memberId, GroupError.INCONSISTENT_GROUP_PROTOCOL));
    }
    const pending = group.pendingMembers.get(params.memberId);
    if (pending) {
      pending.cancel();
      group.pendingMembers.delete(params.memberId);
      return this.#addMemberAndRebalance(group, params, params.memberId);
    }
    if (group.isStaticMemberFenced(params.memberId, params.groupInstanceId)) {
      return Promise.resolve(joinError(params.memberId, GroupError.FENCED_INSTANCE_ID));
    }
    const member = group.members.get(params.memberId);
    if (!member) return Promise.resolve(joinError(params.memberId, GroupError.UNKNOWN_MEMBER_ID));
    switch (group.state) {
      case ClassicGroupState.PreparingRebalance:
        this.#updateMember(member, params);
        return this.#awaitJoin(group, member);
      case ClassicGroupState.CompletingRebalance:
        if (sameProtocols(member.protocols, params.protocols)) {
          // The member missed our JoinGroup response: send the current generation again.
          this.#scheduleHeartbeatExpiry(group, member);
          return Promise.resolve(this.#currentGenerationOutcome(group, member));
        }
        this.#updateMember(member, params);
        return this.#rejoinAndRebalance(group, member, 'member changed its protocols');
      case ClassicGroupState.Stable:
        if (group.isLeader(member.memberId) || !sameProtocols(member.protocols, params.protocols)) {
          this.#updateMember(member, params);
          return this.#rejoinAndRebalance(group, member, 'leader or protocol change rejoined');
        }
        this.#scheduleHeartbeatExpiry(group, member);
        return Promise.resolve(this.#currentGenerationOutcome(group, member));
      default:
        return Promise.resolve(joinError(params.memberId, GroupError.UNKNOWN_MEMBER_ID));
    }
  }

  #currentGenerationOutcome(group: ClassicGroup, member: ClassicMember): JoinGroupOutcome {
    const isLeader = group.isLeader(member.memberId);
    return {
      errorCode: GroupError.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members: isLeader ? group.currentMemberMetadata() : [],
    };
  }

  #updateMember(member: ClassicMember, params: JoinGroupParams): void {
    member.protocols = params.protocols;
    member.protocolType = params.protocolType;
    member.sessionTimeoutMs = params.sessionTimeoutMs;
    member.rebalanceTimeoutMs = params.rebalanceTimeoutMs;
    member.clientId = params.clientId;
    member.clientHost = params.clientHost;
  }

  #addPendingMember(group: ClassicGroup, memberId: string, sessionTimeoutMs: number): void {
    const timer = this.#host.scheduler.schedule(sessionTimeoutMs, () => {
      if (group.pendingMembers.get(memberId) !== timer) return;
      group.pendingMembers.delete(memberId);
      if (group.is(ClassicGroupState.PreparingRebalance)) this.#tryCompleteJoin(group);
    });
    group.pendingMembers.set(memberId, timer);
  }

  #addMemberAndRebalance(group: ClassicGroup, params: JoinGroupParams, memberId: string): Promise<JoinGroupOutcome> {
    const member: ClassicMember = {
      memberId,
      groupInstanceId: params.groupInstanceId,
      clientId: params.clientId,
      clientHost: params.clientHost,
      rebalanceTimeoutMs: params.rebalanceTimeoutMs,
      sessionTimeoutMs: params.sessionTimeoutMs,
      protocolType: params.protocolType,
      protocols: params.protocols,
      assignment: EMPTY_BYTES,
      awaitingJoin: null,
      awaitingSync: null,
      isNew: group.is(ClassicGroupState.PreparingRebalance) && group.generationId === 0,
      heartbeatTimer: null,
    };
    const outcome = new Promise<JoinGroupOutcome>((resolve) => { member.awaitingJoin = resolve; });
    if (member.isNew) group.newMemberAdded = true;
    group.add(member);
    this.#scheduleHeartbeatExpiry(group, member, member.isNew ? this.#config.groupNewMemberJoinTimeoutMs : member.sessionTimeoutMs);
    this.#maybePrepareRebalance(group);
    return outcome;
  }

  #awaitJoin(group: ClassicGroup, member: ClassicMember): Promise<JoinGroupOutcome> {
    const previous = member.awaitingJoin;
    const outcome = new Promise<JoinGroupOutcome>((resolve) => { member.awaitingJoin = resolve; });
    // A member that re-sends JoinGroup while one is pending: the older request is superseded.
    previous?.(joinError(member.memberId, GroupError.REBALANCE_IN_PROGRESS));
    if (group.is(ClassicGroupState.PreparingRebalance)) this.#tryCompleteJoin(group);
    else this.#maybePrepareRebalance(group);
    return outcome;
  }

  #rejoinAndRebalance(group: ClassicGroup, member: ClassicMember, _reason: string): Promise<JoinGroupOutcome> {
    const outcome = new Promise<JoinGroupOutcome>((resolve) => { member.awaitingJoin = resolve; });
    this.#maybePrepareRebalance(group);
    return outcome;
  }

  #maybePrepareRebalance(group: ClassicGroup): void {
    if (group.canTransitionTo(ClassicGroupState.PreparingRebalance)) this.prepareRebalance(group);
    else if (group.is(ClassicGroupState.PreparingRebalance)) this.#tryCompleteJoin(group);
  }

  /** Starts a rebalance: waits for every member to rejoin (bounded by the rebalance timeout). */
  prepareRebalance(group: ClassicGroup): void {
    if (group.is(ClassicGroupState.CompletingRebalance)) this.#resetAndPropagateAssignmentError(group, GroupError.REBALANCE_IN_PROGRESS);
    group.syncTimer?.cancel();
    group.syncTimer = null;
    group.pendingSyncMembers.clear();
    const wasEmpty = group.is(ClassicGroupState.Empty);
    group.transitionTo(ClassicGroupState.PreparingRebalance, this.#nowMs);
    this.#host.onStateChange?.(group);
    group.joinTimer?.cancel();
    if (wasEmpty) {
      const delayMs = this.#config.groupInitialRebalanceDelayMs;
      this.#scheduleInitialDelayedJoin(group, delayMs, Math.max(group.rebalanceTimeoutMs() - delayMs, 0));
    } else {
      const generationId = group.generationId;
      group.inInitialDelay = false;
      group.joinTimer = this.#host.scheduler.schedule(group.rebalanceTimeoutMs(), () => {
        group.joinTimer = null;
        if (group.is(ClassicGroupState.PreparingRebalance) && group.generationId === generationId) this.#completeJoin(group);
      });
      this.#tryCompleteJoin(group);
    }
  }

  /** Kafka's InitialDelayedJoin: each new member extends the wait, up to the rebalance timeout. */
  #scheduleInitialDelayedJoin(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    const generationId = group.generationId;
    group.inInitialDelay = true;
    group.joinTimer = this.#host.scheduler.schedule(delayMs, () => {
      group.joinTimer = null;
      group.inInitialDelay = false;
      if (!group.is(ClassicGroupState.PreparingRebalance) || group.generationId !== generationId) return;
      if (group.newMemberAdded && remainingMs > 0) {
        group.newMemberAdded = false;
        const nextDelayMs = Math.min(this.#config.groupInitialRebalanceDelayMs, remainingMs);
        this.#scheduleInitialDelayedJoin(group, nextDelayMs, Math.max(remainingMs - nextDelayMs, 0));
        return;
      }
      this.#completeJoin(group);
    });
  }

  #tryCompleteJoin(group: ClassicGroup): void {
    if (!group.is(ClassicGroupState.PreparingRebalance)) return;
    // During the initial delay Kafka completes only on the timer (it waits for more members).
    if (group.joinTimer !== null && group.inInitialDelay) return;
    if (group.hasAllMembersJoined()) {
      group.joinTimer?.cancel();
      group.joinTimer = null;
      group.inInitialDelay = false;
      this.#completeJoin(group);
    }
  }

  /** Rebalance done: drop members that did not rejoin, start the next generation, answer joins. */
  #completeJoin(group: ClassicGroup): void {
    for (const member of group.notYetRejoinedMembers()) this.#removeMemberSilently(group, member);
    if (group.is(ClassicGroupState.Dead)) return;
    this.#initNextGeneration(group);
    if (group.is(ClassicGroupState.Empty)) {
      this.#host.storeGroup(group).catch(() => { /* best effort, as Kafka: the next state change rewrites it */ });
      return;
    }
    for (const member of group.members.values()) {
      const reply = member.awaitingJoin!;
      member.awaitingJoin = null;
      member.isNew = false;
      this.#scheduleHeartbeatExpiry(group, member);
      reply(this.#currentGenerationOutcome(group, member));
    }
  }

  #initNextGeneration(group: ClassicGroup): void {
    group.generationId++;
    if (group.size > 0) {
      group.protocolName = group.selectProtocol();
      group.transitionTo(ClassicGroupState.CompletingRebalance, this.#nowMs);
      for (const memberId of group.members.keys()) group.pendingSyncMembers.add(memberId);
      this.#schedulePendingSync(group);
    } else {
      group.protocolName = null;
      group.transitionTo(ClassicGroupState.Empty, this.#nowMs);
    }
    this.#host.onStateChange?.(group);
  }

  /** Members that do not send SyncGroup within the rebalance timeout are removed (Kafka 2.8+). */
  #schedulePendingSync(group: ClassicGroup): void {
    group.syncTimer?.cancel();
    const generationId = group.generationId;
    group.syncTimer = this.#host.scheduler.schedule(group.rebalanceTimeoutMs(), () => {
      group.syncTimer = null;
      if (group.generationId !== generationId || group.pendingSyncMembers.size === 0) return;
      if (!group.is(ClassicGroupState.CompletingRebalance) && !group.is(ClassicGroupState.Stable)) return;
      for (const memberId of [...group.pendingSyncMembers]) {
        const member = group.members.get(memberId);
        if (member) this.#removeMemberSilently(group, member);
      }
      group.pendingSyncMembers.clear();
      this.#afterMemberRemoved(group);
    });
  }

  // -------------------------------------------------------------------------------------------
  // SyncGroup

  sync(group: ClassicGroup | undefined, params: SyncGroupParams): Promise<SyncGroupOutcome> {
    if (!group) return Promise.resolve(syncError(GroupError.UNKNOWN_MEMBER_ID));
    if (group.is(ClassicGroupState.Dead)) return Promise.resolve(syncError(GroupError.COORDINATOR_NOT_AVAILABLE));
    if (group.isStaticMemberFenced(params.memberId, params.groupInstanceId)) return Promise.resolve(syncError(GroupError.FENCED_INSTANCE_ID));
    const member = group.members.get(params.memberId);
    if (!member) return Promise.resolve(syncError(GroupError.UNKNOWN_MEMBER_ID));
    if (params.generationId !== group.generationId) return Promise.resolve(syncError(GroupError.ILLEGAL_GENERATION));
    if ((params.protocolType !== null && params.protocolType !== group.protocolType) ||
        (params.protocolName !== null && params.protocolName !== group.protocolName)) {
      return Promise.resolve(syncError(GroupError.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (group.state) {
      case ClassicGroupState.PreparingRebalance:
        return Promise.resolve(syncError(GroupError.REBALANCE_IN_PROGRESS));
      case ClassicGroupState.CompletingRebalance:
        return this.#syncDuringCompletingRebalance(group, member, params);
      case ClassicGroupState.Stable:
        group.pendingSyncMembers.delete(member.memberId);
        this.#scheduleHeartbeatExpiry(group, member);
        return Promise.resolve(this.#syncSuccess(group, member));
      default:
        return Promise.resolve(syncError(GroupError.UNKNOWN_MEMBER_ID));
    }
  }

  #syncSuccess(group: ClassicGroup, member: ClassicMember): SyncGroupOutcome {
    return { errorCode: GroupError.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
  }

  #syncDuringCompletingRebalance(group: ClassicGroup, member: ClassicMember, params: SyncGroupParams): Promise<SyncGroupOutcome> {
    const previous = member.awaitingSync;
    const outcome = new Promise<SyncGroupOutcome>((resolve) => { member.awaitingSync = resolve; });
    previous?.(syncError(GroupError.REBALANCE_IN_PROGRESS));
    group.pendingSyncMembers.delete(member.memberId);
    this.#scheduleHeartbeatExpiry(group, member);
    if (group.isLeader(member.memberId)) void this.#storeLeaderAssignment(group, params.assignments);
    return outcome;
  }

  async #storeLeaderAssignment(group: ClassicGroup, assignments: SyncGroupParams['assignments']): Promise<void> {
    const byMember = new Map(assignments.map((entry) => [entry.memberId, entry.assignment]));
    for (const member of group.members.values()) member.assignment = byMember.get(member.memberId) ?? EMPTY_BYTES;
    const generationId = group.generationId;
    let errorCode: number = GroupError.NONE;
    try {
      await this.#host.storeGroup(group);
    } catch (error) {
      errorCode = errorCodeOf(error);
    }
    // The group may have moved on while the write was in flight (a member left, a new join).
    if (!group.is(ClassicGroupState.CompletingRebalance) || group.generationId !== generationId) return;
    if (errorCode !== GroupError.NONE) {
      this.#resetAndPropagateAssignmentError(group, errorCode);
      this.prepareRebalance(group);
      return;
    }
    this.#propagateAssignment(group);
    group.transitionTo(ClassicGroupState.Stable, this.#nowMs);
    this.#host.onStateChange?.(group);
  }

  #propagateAssignment(group: ClassicGroup): void {
    for (const member of group.members.values()) {
      if (!member.awaitingSync) continue;
      const reply = member.awaitingSync;
      member.awaitingSync = null;
      this.#scheduleHeartbeatExpiry(group, member);
      reply(this.#syncSuccess(group, member));
    }
  }

  #resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: number): void {
    for (const member of group.members.values()) {
      member.assignment = EMPTY_BYTES;
      if (!member.awaitingSync) continue;
      const reply = member.awaitingSync;
      member.awaitingSync = null;
      reply(syncError(errorCode));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Heartbeat

  heartbeat(group: ClassicGroup | undefined, params: HeartbeatParams): number {
    if (!group) return GroupError.UNKNOWN_MEMBER_ID;
    if (group.is(ClassicGroupState.Dead)) return GroupError.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(params.memberId, params.groupInstanceId)) return GroupError.FENCED_INSTANCE_ID;
    const member = group.members.get(params.memberId);
    if (!member) return GroupError.UNKNOWN_MEMBER_ID;
    if (params.generationId !== group.generationId) return GroupError.ILLEGAL_GENERATION;
    switch (group.state) {
      case ClassicGroupState.CompletingRebalance:
      case ClassicGroupState.Stable:
        this.#scheduleHeartbeatExpiry(group, member);
        return GroupError.NONE;
      case ClassicGroupState.PreparingRebalance:
        this.#scheduleHeartbeatExpiry(group, member);
        return GroupError.REBALANCE_IN_PROGRESS;
      default:
        return GroupError.UNKNOWN_MEMBER_ID;
    }
  }

  #scheduleHeartbeatExpiry(group: ClassicGroup, member: ClassicMember, timeoutMs = member.sessionTimeoutMs): void {
    member.heartbeatTimer?.cancel();
    const timer = this.#host.scheduler.schedule(timeoutMs, () => {
      if (member.heartbeatTimer !== timer || group.members.get(member.memberId) !== member) return;
      member.heartbeatTimer = null;
      this.#onHeartbeatExpired(group, member);
    });
    member.heartbeatTimer = timer;
  }

  /** Kafka's shouldKeepAlive: a member waiting in a rebalance is not expired by its session. */
  #onHeartbeatExpired(group: ClassicGroup, member: ClassicMember): void {
    const waitingInRebalance = (member.awaitingJoin !== null && !member.isNew) || member.awaitingSync !== null;
    if (waitingInRebalance) {
      this.#scheduleHeartbeatExpiry(group, member);
      return;
    }
    this.removeMemberAndRebalance(group, member, GroupError.UNKNOWN_MEMBER_ID);
  }

  // -------------------------------------------------------------------------------------------
  // LeaveGroup

  leave(group: ClassicGroup | undefined, members: readonly LeaveMember[]): LeaveMemberOutcome[] {
    return members.map((leaving) => ({
      memberId: leaving.memberId,
      groupInstanceId: leaving.groupInstanceId,
      errorCode: group ? this.#leaveOne(group, leaving) : GroupError.UNKNOWN_MEMBER_ID,
    }));
  }

  #leaveOne(group: ClassicGroup, leaving: LeaveMember): number {
    if (group.is(ClassicGroupState.Dead)) return GroupError.COORDINATOR_NOT_AVAILABLE;
    let memberId = leaving.memberId;
    if (memberId === UNKNOWN_MEMBER_ID && leaving.groupInstanceId !== null) {
      const staticId = group.staticMemberId(leaving.groupInstanceId);
      if (staticId === undefined) return GroupError.UNKNOWN_MEMBER_ID;
      memberId = staticId;
    }
    if (group.isStaticMemberFenced(memberId, leaving.groupInstanceId)) return GroupError.FENCED_INSTANCE_ID;
    const pending = group.pendingMembers.get(memberId);
    if (pending) {
      pending.cancel();
      group.pendingMembers.delete(memberId);
      if (group.is(ClassicGroupState.PreparingRebalance)) this.#tryCompleteJoin(group);
      return GroupError.NONE;
    }
    const member = group.members.get(memberId);
    if (!member) return GroupError.UNKNOWN_MEMBER_ID;
    this.removeMemberAndRebalance(group, member, GroupError.UNKNOWN_MEMBER_ID);
    return GroupError.NONE;
  }

  /** Removes a member (left, expired, fenced) and rebalances the rest. */
  removeMemberAndRebalance(group: ClassicGroup, member: ClassicMember, pendingErrorCode: number): void {
    if (member.awaitingJoin) {
      const reply = member.awaitingJoin;
      member.awaitingJoin = null;
      reply(joinError(member.memberId, pendingErrorCode));
    }
    if (member.awaitingSync) {
      const reply = member.awaitingSync;
      member.awaitingSync = null;
      reply(syncError(pendingErrorCode));
    }
    this.#removeMemberSilently(group, member);
    this.#afterMemberRemoved(group);
  }

  #removeMemberSilently(group: ClassicGroup, member: ClassicMember): void {
    member.heartbeatTimer?.cancel();
    member.heartbeatTimer = null;
    group.remove(member.memberId);
  }

  #afterMemberRemoved(group: ClassicGroup): void {
    switch (group.state) {
      case ClassicGroupState.Stable:
      case ClassicGroupState.CompletingRebalance:
        this.prepareRebalance(group);
        break;
      case ClassicGroupState.PreparingRebalance:
        this.#tryCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Unload / delete

  /** The coordinator lost the group (unloaded or deleted): answer everything pending, stop timers. */
  shutdownGroup(group: ClassicGroup, errorCode: number): void {
    group.joinTimer?.cancel();
    group.joinTimer = null;
    group.inInitialDelay = false;
    group.syncTimer?.cancel();
    group.syncTimer = null;
    for (const timer of group.pendingMembers.values()) timer.cancel();
    group.pendingMembers.clear();
    for (const member of group.members.values()) {
      member.heartbeatTimer?.cancel();
      member.heartbeatTimer = null;
      if (member.awaitingJoin) {
        const reply = member.awaitingJoin;
        member.awaitingJoin = null;
        reply(joinError(member.memberId, errorCode));
      }
      if (member.awaitingSync) {
        const reply = member.awaitingSync;
        member.awaitingSync = null;
        reply(syncError(errorCode));
      }
    }
  }

  /** After loading a group from the log: members must heartbeat within their session again. */
  resumeLoadedGroup(group: ClassicGroup): void {
    for (const member of group.members.values()) this.#scheduleHeartbeatExpiry(group, member);
  }
}
