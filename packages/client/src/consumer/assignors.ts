/**
 * Partition assignors run by the group leader (classic protocol). Names match the Java client's
 * (`range`, `roundrobin`, `cooperative-sticky`) so mixed-client groups agree on a protocol, and
 * so do the algorithms, so a kafkaesque leader assigns what a Java leader would:
 *
 * - range: per topic, members sorted by id; partitions split in contiguous ranges, the first
 *   `partitions % members` members get one extra.
 * - roundrobin: all topic-partitions sorted by topic then partition, dealt to the members
 *   (sorted by id) in turn, skipping members not subscribed to the topic.
 * - cooperative-sticky: keeps every owned partition with its owner while balanced, moves only
 *   the surplus; a partition that changes owner is withheld for one rebalance (the owner first
 *   revokes it), which is what makes the protocol cooperative.
 */
export interface MemberSubscription {
  memberId: string;
  groupInstanceId: string | null;
  topics: string[];
  /** Partitions the member owned before this rebalance (cooperative protocol). */
  ownedPartitions: { topic: string; partitions: number[] }[];
  generationId: number;
  userData: Buffer | null;
}

/** memberId → topic → partitions. */
export type GroupAssignment = Map<string, Map<string, number[]>>;

export interface Assignor {
  name: string;
  /** 'eager' revokes everything before rejoining; 'cooperative' only what moves. */
  protocol: 'eager' | 'cooperative';
  assign(members: MemberSubscription[], partitionCounts: ReadonlyMap<string, number>): GroupAssignment;
}

function emptyAssignment(members: MemberSubscription[]): GroupAssignment {
  const assignment: GroupAssignment = new Map();
  for (const member of members) assignment.set(member.memberId, new Map());
  return assignment;
}

function add(assignment: GroupAssignment, memberId: string, topic: string, partition: number): void {
  const topics = assignment.get(memberId)!;
  let partitions = topics.get(topic);
  if (!partitions) topics.set(topic, (partitions = []));
  partitions.push(partition);
}

/** Static members sort by their instance id (Java does so to keep assignments stable across restarts). */
function memberSortKey(member: MemberSubscription): string {
  return member.groupInstanceId ?? member.memberId;
}

function byMemberKey(a: MemberSubscription, b: MemberSubscription): number {
  const left = memberSortKey(a);
  const right = memberSortKey(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

export const rangeAssignor: Assignor = {
  name: 'range',
  protocol: 'eager',
  assign(members, partitionCounts) {
    const assignment = emptyAssignment(members);
    const topics = new Set(members.flatMap((member) => member.topics));
    for (const topic of [...topics].sort()) {
      const count = partitionCounts.get(topic) ?? 0;
      const subscribers = members.filter((member) => member.topics.includes(topic)).sort(byMemberKey);
      if (subscribers.length === 0 || count === 0) continue;
      const per = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      let next = 0;
      subscribers.forEach((member, index) => {
        const length = per + (index < extra ? 1 : 0);
        for (let i = 0; i < length; i++) add(assignment, member.memberId, topic, next++);
      });
    }
    return assignment;
  },
};

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  protocol: 'eager',
  assign(members, partitionCounts) {
    const assignment = emptyAssignment(members);
    const sorted = [...members].sort(byMemberKey);
    const topics = [...new Set(members.flatMap((member) => member.topics))].sort();
    let cursor = 0;
    for (const topic of topics) {
      const count = partitionCounts.get(topic) ?? 0;
      for (let partition = 0; partition < count; partition++) {
        // the next member in the circle that subscribes to this topic
        for (let step = 0; step < sorted.length; step++) {
          const member = sorted[(cursor + step) % sorted.length];
          if (member.topics.includes(topic)) {
            add(assignment, member.memberId, topic, partition);
            cursor = (cursor + step + 1) % sorted.length;
            break;
          }
        }
      }
    }
    return assignment;
  },
};

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  protocol: 'cooperative',
  assign(members, partitionCounts) {
    const assignment = emptyAssignment(members);
    const sorted = [...members].sort(byMemberKey);
    const all: { topic: string; partition: number }[] = [];
    for (const topic of [...new Set(members.flatMap((member) => member.topics))].sort()) {
      for (let partition = 0; partition < (partitionCounts.get(topic) ?? 0); partition++) all.push({ topic, partition });
    }
    const load = new Map<string, number>(sorted.map((member) => [member.memberId, 0]));
    const subscribed = (member: MemberSubscription, topic: string) => member.topics.includes(topic);
    const quota = (member: MemberSubscription) => {
      const eligible = all.filter((entry) => subscribed(member, entry.topic)).length;
      const sharing = sorted.filter((other) => other.topics.some((topic) => member.topics.includes(topic))).length;
      return Math.ceil(eligible / Math.max(1, sharing));
    };
    // 1. keep owned partitions (highest generation wins a disputed partition), up to the quota
    const owner = new Map<string, string>();
    const ownerGeneration = new Map<string, number>();
    for (const member of sorted) {
      for (const owned of member.ownedPartitions) {
        for (const partition of owned.partitions) {
          const key = `${owned.topic}\u0000${partition}`;
          if (!subscribed(member, owned.topic) || partition >= (partitionCounts.get(owned.topic) ?? 0)) continue;
          if ((ownerGeneration.get(key) ?? -2) < member.generationId) {
            owner.set(key, member.memberId);
            ownerGeneration.set(key, member.generationId);
          }
        }
      }
    }
    const previousOwner = new Map(owner);
    const unassigned: { topic: string; partition: number }[] = [];
    for (const entry of all) {
      const key = `${entry.topic}\u0000${entry.partition}`;
      const memberId = owner.get(key);
      const member = memberId === undefined ? undefined : sorted.find((candidate) => candidate.memberId === memberId);
      if (member && load.get(member.memberId)! < quota(member)) {
        add(assignment, member.memberId, entry.topic, entry.partition);
        load.set(member.memberId, load.get(member.memberId)! + 1);
      } else {
        unassigned.push(entry);
      }
    }
    // 2. give the rest to the least-loaded subscribed member; a partition taken from another
    //    owner is withheld this round so that owner can revoke it first
    for (const entry of unassigned) {
      const key = `${entry.topic}\u0000${entry.partition}`;
      const candidates = sorted.filter((member) => subscribed(member, entry.topic));
      if (candidates.length === 0) continue;
      candidates.sort((a, b) => load.get(a.memberId)! - load.get(b.memberId)! || byMemberKey(a, b));
      const chosen = candidates[0];
      const before = previousOwner.get(key);
      const stillMember = before !== undefined && sorted.some((member) => member.memberId === before);
      load.set(chosen.memberId, load.get(chosen.memberId)! + 1);
      if (stillMember && before !== chosen.memberId) continue;
      add(assignment, chosen.memberId, entry.topic, entry.partition);
    }
    return assignment;
  },
};

export const ASSIGNORS = { range: rangeAssignor, roundrobin: roundRobinAssignor, 'cooperative-sticky': cooperativeStickyAssignor } as const;
export type AssignorName = keyof typeof ASSIGNORS;
