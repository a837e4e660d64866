/**
 * Model-based property test of the classic protocol: random interleavings of JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup and clock jumps by a few simulated clients. Checked: every
 * successful join of one generation agrees on leader and protocol, generations only grow, a
 * successful SyncGroup returns exactly what that generation's leader assigned to the member,
 * member ids are never reused, and closing the coordinator answers every pending request.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JoinGroupOutcome, SyncGroupOutcome } from './classic-group.ts';
import { GroupError } from './error-codes.ts';
import { createHarness, joinParams, settle } from './test-support.ts';

interface Client {
  memberId: string;
  generationId: number;
  leaderMembers: string[] | null;
  pending: number;
}

const action = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('join' as const), client: fc.integer({ min: 0, max: 3 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('sync' as const), client: fc.integer({ min: 0, max: 3 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), client: fc.integer({ min: 0, max: 3 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('leave' as const), client: fc.integer({ min: 0, max: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(0, 1_000, 5_000, 11_000, 31_000) }), weight: 3 },
);

const stats = { runs: 0, generations: 0, steps: 0, successfulSyncs: 0 };

describe('classic protocol (model-based)', () => {
  it('keeps generations, leaders and assignments consistent under any interleaving', async () => {
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 20, maxLength: 60 }), fc.boolean(), async (actions, requireKnownMemberId) => {
      const harness = createHarness({ groupInitialRebalanceDelayMs: requireKnownMemberId ? 0 : 3_000 });
      const clients: Client[] = Array.from({ length: 4 }, () => ({ memberId: '', generationId: -1, leaderMembers: null, pending: 0 }));
      const generations = new Map<number, { leader: string; protocol: string | null }>();
      const issuedIds = new Set<string>();
      const pending: Promise<unknown>[] = [];
      let highestGeneration = 0;
      const failures: string[] = [];

      const onJoin = (client: Client, outcome: JoinGroupOutcome) => {
        client.pending--;
        if (outcome.errorCode === GroupError.MEMBER_ID_REQUIRED) {
          if (issuedIds.has(outcome.memberId)) failures.push(`member id ${outcome.memberId} handed out twice`);
          issuedIds.add(outcome.memberId);
          client.memberId = outcome.memberId;
          return;
        }
        if (outcome.errorCode === GroupError.UNKNOWN_MEMBER_ID) client.memberId = '';
        if (outcome.errorCode !== GroupError.NONE) return;
        if (client.memberId !== outcome.memberId && issuedIds.has(outcome.memberId) && !requireKnownMemberId) failures.push(`member id ${outcome.memberId} reused`);
        issuedIds.add(outcome.memberId);
        client.memberId = outcome.memberId;
        client.generationId = outcome.generationId;
        const known = generations.get(outcome.generationId);
        if (known && (known.leader !== outcome.leader || known.protocol !== outcome.protocolName)) failures.push(`generation ${outcome.generationId} disagrees`);
        generations.set(outcome.generationId, { leader: outcome.leader, protocol: outcome.protocolName });
        if (outcome.generationId < highestGeneration - 1_000) failures.push('generation went backwards');
        highestGeneration = Math.max(highestGeneration, outcome.generationId);
        client.leaderMembers = outcome.leader === outcome.memberId ? outcome.members.map((member) => member.memberId) : null;
        if (outcome.leader === outcome.memberId && outcome.members.every((member) => member.memberId !== outcome.memberId)) failures.push('leader missing from its member list');
      };
      const onSync = (client: Client, generationId: number, memberId: string, outcome: SyncGroupOutcome) => {
        client.pending--;
        if (outcome.errorCode !== GroupError.NONE) return;
        stats.successfulSyncs++;
        const expected = `${generationId}:${memberId}`;
        if (outcome.assignment.toString() !== expected) failures.push(`sync of ${memberId} in generation ${generationId} got "${outcome.assignment.toString()}"`);
      };

      for (const step of actions) {
        if (step.kind === 'advance') {
          harness.scheduler.advance(step.ms);
        } else {
          const client = clients[step.client];
          if (step.kind === 'join' && client.pending === 0) {
            client.pending++;
            const promise = harness.coordinator.joinGroup(joinParams({ memberId: client.memberId, requireKnownMemberId, clientId: `c${step.client}` })).then((outcome) => onJoin(client, outcome));
            pending.push(promise);
          } else if (step.kind === 'sync' && client.pending === 0 && client.generationId > 0) {
            client.pending++;
            const generationId = client.generationId;
            const memberId = client.memberId;
            const assignments = (client.leaderMembers ?? []).map((id) => ({ memberId: id, assignment: Buffer.from(`${generationId}:${id}`) }));
            const promise = harness.coordinator.syncGroup({ groupId: 'group-a', generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: null, assignments })
              .then((outcome) => onSync(client, generationId, memberId, outcome));
            pending.push(promise);
          } else if (step.kind === 'heartbeat' && client.memberId !== '') {
            const errorCode = await harness.coordinator.heartbeat({ groupId: 'group-a', generationId: client.generationId, memberId: client.memberId, groupInstanceId: null });
            if (errorCode === GroupError.UNKNOWN_MEMBER_ID) client.memberId = '';
          } else if (step.kind === 'leave' && client.memberId !== '') {
            await harness.coordinator.leaveGroup('group-a', [{ memberId: client.memberId, groupInstanceId: null }]);
            client.memberId = '';
            client.generationId = -1;
          }
        }
        await settle(2);
        const [described] = await harness.coordinator.describeGroups(['group-a']);
        if (described.groupState === 'Stable') {
          const generation = Math.max(...generations.keys());
          for (const member of described.members) {
            const assignment = member.memberAssignment.toString();
            if (assignment !== '' && assignment !== `${generation}:${member.memberId}`) failures.push(`stable member ${member.memberId} holds "${assignment}"`);
          }
        }
        const ids = described.members.map((member) => member.memberId);
        if (new Set(ids).size !== ids.length) failures.push('duplicate member ids in the group');
      }
      stats.runs++; stats.generations += generations.size; stats.steps += actions.length;
      harness.coordinator.close();
      let allAnswered = false;
      void Promise.all(pending).then(() => { allAnswered = true; });
      await settle(3);
      expect(failures).toEqual([]);
      expect(allAnswered).toBe(true);
    }), { numRuns: 80 });
    // The interleavings must reach real rebalances, not only errors.
    expect(stats.generations, JSON.stringify(stats)).toBeGreaterThan(5);
    expect(stats.successfulSyncs, JSON.stringify(stats)).toBeGreaterThan(5);
  });
});
