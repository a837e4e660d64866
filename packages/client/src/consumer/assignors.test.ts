import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor, type MemberSubscription } from './assignors.ts';

function member(memberId: string, topics: string[], owned: { topic: string; partitions: number[] }[] = [], generationId = 1): MemberSubscription {
  return { memberId, groupInstanceId: null, topics, ownedPartitions: owned, generationId, userData: null };
}

function flatten(assignment: Map<string, Map<string, number[]>>, memberId: string): string[] {
  return [...(assignment.get(memberId) ?? new Map<string, number[]>())].flatMap(([topic, partitions]) => partitions.map((p: number) => `${topic}-${p}`)).sort();
}

describe('assignors', () => {
  it('range gives contiguous ranges, extras to the first members (as Java RangeAssignor)', () => {
    const result = rangeAssignor.assign([member('c1', ['t']), member('c0', ['t'])], new Map([['t', 5]]));
    expect(result.get('c0')?.get('t')).toEqual([0, 1, 2]);
    expect(result.get('c1')?.get('t')).toEqual([3, 4]);
  });

  it('roundrobin deals partitions in turn across topics (as Java RoundRobinAssignor)', () => {
    const result = roundRobinAssignor.assign([member('b', ['t0', 't1']), member('a', ['t0', 't1'])], new Map([['t0', 3], ['t1', 3]]));
    expect(flatten(result, 'a')).toEqual(['t0-0', 't0-2', 't1-1']);
    expect(flatten(result, 'b')).toEqual(['t0-1', 't1-0', 't1-2']);
  });

  it('cooperative-sticky keeps owned partitions and withholds moved ones for a round', () => {
    const first = cooperativeStickyAssignor.assign([member('a', ['t'])], new Map([['t', 4]]));
    expect(flatten(first, 'a')).toEqual(['t-0', 't-1', 't-2', 't-3']);
    const second = cooperativeStickyAssignor.assign(
      [member('a', ['t'], [{ topic: 't', partitions: [0, 1, 2, 3] }]), member('b', ['t'])],
      new Map([['t', 4]]),
    );
    expect(flatten(second, 'a')).toHaveLength(2);
    expect(flatten(second, 'b')).toEqual([]); // a must revoke first
    const kept = second.get('a')!.get('t')!;
    const third = cooperativeStickyAssignor.assign(
      [member('a', ['t'], [{ topic: 't', partitions: kept }], 2), member('b', ['t'], [], 2)],
      new Map([['t', 4]]),
    );
    expect(third.get('a')!.get('t')).toEqual(kept);
    expect(flatten(third, 'b')).toHaveLength(2);
  });

  it.each([rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor])('$name assigns every partition at most once, only to subscribers', (assignor) => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.subarray(['x', 'y', 'z'], { minLength: 1 }), { minLength: 6, maxLength: 6 }),
        (memberIds, counts, subscriptions) => {
          const members = memberIds.map((id, index) => member(id, subscriptions[index]));
          const partitionCounts = new Map([['x', counts[0]], ['y', counts[1]], ['z', counts[2]]]);
          const result = assignor.assign(members, partitionCounts);
          const seen = new Set<string>();
          for (const m of members) {
            for (const [topic, partitions] of result.get(m.memberId) ?? new Map()) {
              expect(m.topics).toContain(topic);
              for (const partition of partitions) {
                expect(seen.has(`${topic}-${partition}`)).toBe(false);
                seen.add(`${topic}-${partition}`);
              }
            }
          }
          // with no previous owners nothing is withheld: every subscribed partition is assigned
          const subscribedTopics = new Set(members.flatMap((m) => m.topics));
          const total = [...subscribedTopics].reduce((sum, topic) => sum + (partitionCounts.get(topic) ?? 0), 0);
          expect(seen.size).toBe(total);
        },
      ),
      { numRuns: 100 },
    );
  });
});
