/**
 * Bad or strange input never crashes or hangs the coordinator: random calls of every API with
 * arbitrary ids, epochs, timeouts, protocols and offsets only ever produce Kafka error codes,
 * and every pending request is answered once the coordinator closes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorInfo, randomUuid } from '@kafkaesque/protocol';
import { createHarness, settle } from './test-support.ts';

const id = fc.oneof(fc.constantFrom('', 'g', 'member', 'client-1'), fc.string({ maxLength: 12 }));
const int32 = fc.oneof(fc.constantFrom(-2, -1, 0, 1, 2, 6_000, 2_147_483_647, -2_147_483_648), fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }));
const bytes = fc.uint8Array({ maxLength: 16 }).map((array) => Buffer.from(array));
const protocols = fc.array(fc.record({ name: fc.constantFrom('range', 'roundrobin', ''), metadata: bytes }), { maxLength: 3 });
const topics = fc.array(fc.record({ name: id, partitions: fc.array(fc.record({ partitionIndex: int32, committedOffset: fc.integer({ min: -2, max: 1e12 }), committedLeaderEpoch: int32, committedMetadata: fc.option(fc.string({ maxLength: 8 }), { nil: null }), commitTimestampMs: fc.constantFrom(-1, 0, 5) }), { maxLength: 3 }) }), { maxLength: 2 });

const call = fc.oneof(
  fc.record({ api: fc.constant('join' as const), groupId: id, memberId: id, instance: fc.option(id, { nil: null }), protocolType: fc.constantFrom('consumer', 'connect', ''), protocols, session: int32, rebalance: int32, requireKnown: fc.boolean() }),
  fc.record({ api: fc.constant('sync' as const), groupId: id, memberId: id, generation: int32, instance: fc.option(id, { nil: null }), assignments: fc.array(fc.record({ memberId: id, assignment: bytes }), { maxLength: 3 }) }),
  fc.record({ api: fc.constant('heartbeat' as const), groupId: id, memberId: id, generation: int32 }),
  fc.record({ api: fc.constant('leave' as const), groupId: id, members: fc.array(fc.record({ memberId: id, groupInstanceId: fc.option(id, { nil: null }) }), { maxLength: 3 }) }),
  fc.record({ api: fc.constant('commit' as const), groupId: id, memberId: id, generation: int32, retention: fc.constantFrom(-1, 0, 1000), version: fc.integer({ min: 0, max: 9 }), topics }),
  fc.record({ api: fc.constant('fetch' as const), groupId: id, memberId: fc.option(id, { nil: null }), epoch: int32, all: fc.boolean(), stable: fc.boolean() }),
  fc.record({ api: fc.constant('cgh' as const), groupId: id, memberId: id, epoch: int32, instance: fc.option(id, { nil: null }), names: fc.option(fc.array(id, { maxLength: 3 }), { nil: null }), regex: fc.option(fc.constantFrom('t.*', '(', ''), { nil: null }), assignor: fc.option(fc.constantFrom('uniform', 'range', 'nope'), { nil: null }), owned: fc.option(fc.array(fc.record({ topicId: id, partitions: fc.array(int32, { maxLength: 3 }) }), { maxLength: 2 }), { nil: null }), rebalance: int32 }),
  fc.record({ api: fc.constant('admin' as const), groupId: id, which: fc.constantFrom('describe', 'list', 'delete', 'offsetDelete', 'cgDescribe', 'inspect') }),
  fc.record({ api: fc.constant('advance' as const), ms: fc.constantFrom(0, 3_000, 50_000) }),
);

function isKafkaCode(code: number): boolean {
  return Number.isInteger(code) && !errorInfo(code).name.startsWith('UNKNOWN_ERROR_CODE');
}

describe('coordinator robustness', () => {
  it('answers arbitrary calls with Kafka error codes and never leaves a request hanging', async () => {
    await fc.assert(fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 30 }), async (calls) => {
      const harness = createHarness({ groupInitialRebalanceDelayMs: 100 });
      harness.topics.set('t1', { name: 't1', topicId: randomUuid(), partitionCount: 3 });
      const codes: number[] = [];
      const pending: Promise<unknown>[] = [];
      const c = harness.coordinator;
      for (const step of calls) {
        switch (step.api) {
          case 'join':
            pending.push(c.joinGroup({ groupId: step.groupId, memberId: step.memberId, groupInstanceId: step.instance, protocolType: step.protocolType, protocols: step.protocols, sessionTimeoutMs: step.session, rebalanceTimeoutMs: step.rebalance, clientId: 'c', clientHost: '/h', requireKnownMemberId: step.requireKnown }).then((outcome) => codes.push(outcome.errorCode)));
            break;
          case 'sync':
            pending.push(c.syncGroup({ groupId: step.groupId, generationId: step.generation, memberId: step.memberId, groupInstanceId: step.instance, protocolType: null, protocolName: null, assignments: step.assignments }).then((outcome) => codes.push(outcome.errorCode)));
            break;
          case 'heartbeat':
            codes.push(await c.heartbeat({ groupId: step.groupId, generationId: step.generation, memberId: step.memberId, groupInstanceId: null }));
            break;
          case 'leave': {
            const left = await c.leaveGroup(step.groupId, step.members);
            codes.push(left.errorCode, ...left.members.map((member) => member.errorCode));
            break;
          }
          case 'commit': {
            const result = await c.commitOffsets({ groupId: step.groupId, generationIdOrMemberEpoch: step.generation, memberId: step.memberId, groupInstanceId: null, retentionTimeMs: step.retention, apiVersion: step.version, topics: step.topics });
            codes.push(...result.flatMap((topic) => topic.partitions.map((partition) => partition.errorCode)));
            break;
          }
          case 'fetch': {
            const [result] = await c.fetchOffsets([{ groupId: step.groupId, memberId: step.memberId, memberEpoch: step.epoch, topics: step.all ? null : [{ name: 't', partitionIndexes: [0] }] }], 9, step.stable);
            codes.push(result.errorCode, ...result.topics.flatMap((topic) => topic.partitions.map((partition) => partition.errorCode)));
            break;
          }
          case 'cgh': {
            const outcome = await c.consumerGroupHeartbeat({ groupId: step.groupId, memberId: step.memberId, memberEpoch: step.epoch, instanceId: step.instance, rackId: null, rebalanceTimeoutMs: step.rebalance, subscribedTopicNames: step.names, subscribedTopicRegex: step.regex, serverAssignor: step.assignor, topicPartitions: step.owned, clientId: 'c', clientHost: '/h' });
            codes.push(outcome.errorCode);
            break;
          }
          case 'admin':
            if (step.which === 'describe') codes.push(...(await c.describeGroups([step.groupId])).map((group) => group.errorCode));
            else if (step.which === 'list') codes.push(c.listGroups(['Stable', 'bogus'], ['classic']).errorCode);
            else if (step.which === 'delete') codes.push(...(await c.deleteGroups([step.groupId])).map((group) => group.errorCode));
            else if (step.which === 'offsetDelete') codes.push((await c.deleteOffsets(step.groupId, [{ name: 't', partitionIndexes: [0, -1] }])).errorCode);
            else if (step.which === 'cgDescribe') codes.push(...(await c.consumerGroupDescribe([step.groupId])).map((group) => group.errorCode));
            else expect(Array.isArray(c.inspect())).toBe(true);
            break;
          case 'advance':
            harness.scheduler.advance(step.ms);
            break;
        }
        await settle(1);
      }
      harness.scheduler.advance(60_000);
      await settle(2);
      c.close();
      let answered = false;
      void Promise.all(pending).then(() => { answered = true; });
      await settle(3);
      expect(answered).toBe(true);
      for (const code of codes) expect(isKafkaCode(code), `code ${code}`).toBe(true);
    }), { numRuns: 100 });
  });
});
