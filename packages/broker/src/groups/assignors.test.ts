import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rangeAssignor, uniformAssignor, type Assignment, type AssignmentSpec, type ServerAssignor } from './assignors.ts';

const specArbitrary = fc.record({
  topics: fc.uniqueArray(fc.record({ topicId: fc.constantFrom('tA', 'tB', 'tC', 'tD'), partitionCount: fc.integer({ min: 1, max: 12 }) }), { selector: (topic) => topic.topicId, minLength: 1 }),
  memberCount: fc.integer({ min: 1, max: 7 }),
  subscriptionSeed: fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: 7, maxLength: 7 }),
  homogeneous: fc.boolean(),
});

interface SpecInput {
  topics: { topicId: string; partitionCount: number }[];
  memberCount: number;
  subscriptionSeed: boolean[][];
  homogeneous: boolean;
}

function buildSpec(input: SpecInput, previous?: Map<string, Assignment>): AssignmentSpec {
  const topicIds = input.topics.map((topic) => topic.topicId);
  return {
    topics: input.topics,
    members: Array.from({ length: input.memberCount }, (_, index) => {
      const memberId = `member-${index}`;
      const subscribed = input.homogeneous ? topicIds : topicIds.filter((_, topicIndex) => input.subscriptionSeed[index][topicIndex]);
      return { memberId, subscribedTopicIds: new Set(subscribed), currentAssignment: previous?.get(memberId) ?? new Map() };
    }),
  };
}

/** Every partition of a topic someone subscribes to is owned exactly once, by a subscriber. */
function checkValid(spec: AssignmentSpec, result: Map<string, Assignment>): void {
  const owners = new Map<string, string>();
  for (const [memberId, assignment] of result) {
    const member = spec.members.find((candidate) => candidate.memberId === memberId)!;
    for (const [topicId, partitions] of assignment) {
      expect(member.subscribedTopicIds.has(topicId)).toBe(true);
      for (const partition of partitions) {
        const key = `${topicId}:${partition}`;
        expect(owners.has(key)).toBe(false);
        owners.set(key, memberId);
      }
    }
  }
  for (const topic of spec.topics) {
    const subscribed = spec.members.some((member) => member.subscribedTopicIds.has(topic.topicId));
    for (let partition = 0; partition < topic.partitionCount; partition++) expect(owners.has(`${topic.topicId}:${partition}`)).toBe(subscribed);
  }
}

const count = (assignment: Assignment | undefined) => [...(assignment ?? new Map()).values()].reduce((sum, partitions) => sum + partitions.length, 0);

describe.each<[string, ServerAssignor]>([['uniform', uniformAssignor], ['range', rangeAssignor]])('%s assignor', (_name, assignor) => {
  it('assigns every subscribed partition exactly once, to a subscriber', () => {
    fc.assert(fc.property(specArbitrary, (input) => {
      const spec = buildSpec(input);
      checkValid(spec, assignor.assign(spec));
    }), { numRuns: 150 });
  });

  it('is deterministic', () => {
    fc.assert(fc.property(specArbitrary, (input) => {
      const spec = buildSpec(input);
      expect(assignor.assign(spec)).toEqual(assignor.assign(spec));
    }), { numRuns: 50 });
  });
});

describe('uniform assignor', () => {
  it('balances homogeneous subscriptions to within one partition', () => {
    fc.assert(fc.property(specArbitrary, (input) => {
      const spec = buildSpec({ ...input, homogeneous: true });
      const counts = [...uniformAssignor.assign(spec).values()].map(count);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }), { numRuns: 150 });
  });

  it('is sticky: when a member leaves, the others keep what they had', () => {
    fc.assert(fc.property(specArbitrary, (input) => {
      fc.pre(input.memberCount >= 2);
      const before = uniformAssignor.assign(buildSpec({ ...input, homogeneous: true }));
      const after = uniformAssignor.assign(buildSpec({ ...input, homogeneous: true, memberCount: input.memberCount - 1 }, before));
      for (const [memberId, assignment] of after) {
        for (const [topicId, partitions] of before.get(memberId)!) {
          for (const partition of partitions) expect(assignment.get(topicId) ?? []).toContain(partition);
        }
      }
    }), { numRuns: 100 });
  });
});

describe('range assignor', () => {
  it('gives contiguous ranges per topic, the first members one extra', () => {
    const spec = buildSpec({ topics: [{ topicId: 'tA', partitionCount: 7 }], memberCount: 3, subscriptionSeed: [], homogeneous: true });
    const result = rangeAssignor.assign(spec);
    expect(result.get('member-0')!.get('tA')).toEqual([0, 1, 2]);
    expect(result.get('member-1')!.get('tA')).toEqual([3, 4]);
    expect(result.get('member-2')!.get('tA')).toEqual([5, 6]);
  });
});
