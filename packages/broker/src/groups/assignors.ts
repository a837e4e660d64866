/**
 * Server-side assignors of the KIP-848 consumer protocol (group.consumer.assignors):
 * - `uniform`: every partition of the subscribed topics goes to one subscribed member, counts
 *   differ by at most one between members with the same subscription, and partitions stay with
 *   their current owner whenever balance allows (sticky), so a rebalance moves little.
 * - `range`: per topic, the subscribed members (sorted by member id) get contiguous ranges,
 *   the first `partitions % members` one extra — Kafka's RangeAssignor layout.
 * Both are deterministic: the same input gives the same assignment on any coordinator.
 */

/** topic id → sorted partition numbers */
export type Assignment = Map<string, number[]>;

export interface AssignorMember {
  memberId: string;
  /** Topic ids the member subscribes to (already resolved from names / regex). */
  subscribedTopicIds: ReadonlySet<string>;
  /** The member's current target assignment, for stickiness. */
  currentAssignment: Assignment;
}

export interface AssignorTopic {
  topicId: string;
  partitionCount: number;
}

export interface AssignmentSpec {
  members: readonly AssignorMember[];
  topics: readonly AssignorTopic[];
}

export interface ServerAssignor {
  readonly name: string;
  assign(spec: AssignmentSpec): Map<string, Assignment>;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toAssignment(partitionsByTopic: Map<string, number[]>): Assignment {
  const assignment: Assignment = new Map();
  for (const [topicId, partitions] of [...partitionsByTopic].sort(([a], [b]) => compareStrings(a, b))) {
    if (partitions.length > 0) assignment.set(topicId, [...partitions].sort((a, b) => a - b));
  }
  return assignment;
}

export const rangeAssignor: ServerAssignor = {
  name: 'range',
  assign(spec) {
    const result = new Map<string, Map<string, number[]>>(spec.members.map((member) => [member.memberId, new Map()]));
    for (const topic of spec.topics) {
      const subscribers = spec.members
        .filter((member) => member.subscribedTopicIds.has(topic.topicId))
        .map((member) => member.memberId)
        .sort(compareStrings);
      if (subscribers.length === 0) continue;
      const base = Math.floor(topic.partitionCount / subscribers.length);
      const extra = topic.partitionCount % subscribers.length;
      let next = 0;
      subscribers.forEach((memberId, index) => {
        const count = base + (index < extra ? 1 : 0);
        const partitions: number[] = [];
        for (let i = 0; i < count; i++) partitions.push(next++);
        if (partitions.length > 0) result.get(memberId)!.set(topic.topicId, partitions);
      });
    }
    return new Map([...result].map(([memberId, byTopic]) => [memberId, toAssignment(byTopic)]));
  },
};

interface PartitionRef {
  topicId: string;
  partition: number;
}

export const uniformAssignor: ServerAssignor = {
  name: 'uniform',
  assign(spec) {
    const members = [...spec.members].sort((a, b) => compareStrings(a.memberId, b.memberId));
    const owned = new Map<string, PartitionRef[]>(members.map((member) => [member.memberId, []]));
    const byId = new Map(members.map((member) => [member.memberId, member]));
    const eligible = (memberId: string, topicId: string): boolean => byId.get(memberId)?.subscribedTopicIds.has(topicId) ?? false;
    const subscribersOf = new Map<string, string[]>();
    for (const topic of spec.topics) {
      subscribersOf.set(topic.topicId, members.filter((member) => member.subscribedTopicIds.has(topic.topicId)).map((member) => member.memberId));
    }
    // 1. Keep every partition with its current owner when that owner still subscribes.
    const previousOwner = new Map<string, string>();
    for (const member of members) {
      for (const [topicId, partitions] of member.currentAssignment) {
        for (const partition of partitions) previousOwner.set(`${topicId}:${partition}`, member.memberId);
      }
    }
    const unassigned: PartitionRef[] = [];
    for (const topic of [...spec.topics].sort((a, b) => compareStrings(a.topicId, b.topicId))) {
      if ((subscribersOf.get(topic.topicId) ?? []).length === 0) continue;
      for (let partition = 0; partition < topic.partitionCount; partition++) {
        const owner = previousOwner.get(`${topic.topicId}:${partition}`);
        if (owner !== undefined && owned.has(owner) && eligible(owner, topic.topicId)) owned.get(owner)!.push({ topicId: topic.topicId, partition });
        else unassigned.push({ topicId: topic.topicId, partition });
      }
    }
    // 2. Give each unassigned partition to the least loaded eligible member.
    for (const ref of unassigned) {
      const candidates = subscribersOf.get(ref.topicId)!;
      let best = candidates[0];
      for (const candidate of candidates) if (owned.get(candidate)!.length < owned.get(best)!.length) best = candidate;
      owned.get(best)!.push(ref);
    }
    // 3. Move partitions from the most to the least loaded eligible member until balanced.
    rebalance(owned, subscribersOf);
    return new Map(members.map((member) => {
      const byTopic = new Map<string, number[]>();
      for (const ref of owned.get(member.memberId)!) {
        let partitions = byTopic.get(ref.topicId);
        if (!partitions) byTopic.set(ref.topicId, (partitions = []));
        partitions.push(ref.partition);
      }
      return [member.memberId, toAssignment(byTopic)];
    }));
  },
};

/**
 * Moves partitions from the most loaded member to the least loaded eligible one until no move
 * narrows the spread. Each move lowers the sum of squared loads, so it ends; bounded anyway by
 * `movesMax`. Cost per move: O(members) to find the donor, O(subscribers) per candidate partition.
 */
function rebalance(owned: Map<string, PartitionRef[]>, subscribersOf: Map<string, string[]>): void {
  let totalPartitions = 0;
  for (const refs of owned.values()) totalPartitions += refs.length;
  const movesMax = totalPartitions * 4 + 16;
  const stuck = new Set<string>();
  for (let moves = 0; moves < movesMax; moves++) {
    let donor: string | undefined;
    for (const [memberId, refs] of owned) {
      if (stuck.has(memberId)) continue;
      if (donor === undefined || refs.length > owned.get(donor)!.length) donor = memberId;
    }
    if (donor === undefined) return;
    const refs = owned.get(donor)!;
    let moved = false;
    // Move the highest partition first so the lowest stay put (stable layouts are easier to read).
    for (let index = refs.length - 1; index >= 0 && !moved; index--) {
      const ref = refs[index];
      let receiver: string | undefined;
      for (const candidate of subscribersOf.get(ref.topicId) ?? []) {
        if (candidate !== donor && (receiver === undefined || owned.get(candidate)!.length < owned.get(receiver)!.length)) receiver = candidate;
      }
      if (receiver === undefined || owned.get(receiver)!.length + 1 >= refs.length) continue;
      refs.splice(index, 1);
      owned.get(receiver)!.push(ref);
      moved = true;
    }
    if (moved) stuck.clear();
    else stuck.add(donor);
  }
}

export const SERVER_ASSIGNORS: ReadonlyMap<string, ServerAssignor> = new Map([
  [uniformAssignor.name, uniformAssignor],
  [rangeAssignor.name, rangeAssignor],
]);
