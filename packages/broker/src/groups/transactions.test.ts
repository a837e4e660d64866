import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeControlBatch } from '@kafkaesque/protocol';
import { openLogManager } from '../log/index.ts';
import { GroupCoordinator, type TxnOffsetCommitParams } from './coordinator.ts';
import { GroupError } from './error-codes.ts';
import { ManualScheduler } from './scheduler.ts';
import { createLogStore } from './store.ts';
import { createHarness } from './test-support.ts';

function txnParams(overrides: Partial<TxnOffsetCommitParams> = {}, offset = 7): TxnOffsetCommitParams {
  return {
    transactionalId: 'txn', producerId: 42n, producerEpoch: 0, groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
    ...overrides,
  };
}

describe('transactional offset commits (TxnOffsetCommit)', () => {
  it('hides the offsets until the commit marker, answers UNSTABLE_OFFSET_COMMIT meanwhile, and drops them on abort', async () => {
    const harness = createHarness();
    const partition = harness.coordinator.partitionFor('g');
    const committed = await harness.coordinator.commitTransactionalOffsets(txnParams());
    expect(committed[0].partitions[0].errorCode).toBe(GroupError.NONE);
    const request = [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0] }] }];
    expect((await harness.coordinator.fetchOffsets(request, 8))[0].topics[0].partitions[0].committedOffset).toBe(-1);
    expect((await harness.coordinator.fetchOffsets(request, 8, true))[0].topics[0].partitions[0].errorCode).toBe(GroupError.UNSTABLE_OFFSET_COMMIT);
    harness.stores.get(partition)!.appendMarker(42n, 'commit');
    harness.coordinator.completeTransaction(partition, 42n, true);
    expect((await harness.coordinator.fetchOffsets(request, 8, true))[0].topics[0].partitions[0]).toMatchObject({ committedOffset: 7, errorCode: 0 });

    await harness.coordinator.commitTransactionalOffsets(txnParams({ producerId: 43n }, 99));
    harness.stores.get(partition)!.appendMarker(43n, 'abort');
    harness.coordinator.completeTransaction(partition, 43n, false);
    expect((await harness.coordinator.fetchOffsets(request, 8, true))[0].topics[0].partitions[0].committedOffset).toBe(7);

    // A new coordinator replays the same outcome from the records and markers.
    await harness.coordinator.commitTransactionalOffsets(txnParams({ producerId: 44n }, 500));
    harness.coordinator.close();
    const successor = createHarness({}, harness.stores);
    expect((await successor.coordinator.fetchOffsets(request, 8))[0].topics[0].partitions[0].committedOffset).toBe(7);
    expect((await successor.coordinator.fetchOffsets(request, 8, true))[0].topics[0].partitions[0].errorCode).toBe(GroupError.UNSTABLE_OFFSET_COMMIT);
    successor.coordinator.completeTransaction(partition, 44n, true);
    expect((await successor.coordinator.fetchOffsets(request, 8))[0].topics[0].partitions[0].committedOffset).toBe(500);
  });

  it('checks generation and member of a group with members', async () => {
    const harness = createHarness();
    const pending = harness.coordinator.joinGroup({
      groupId: 'g', memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
      sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, clientId: 'c', clientHost: '/h', requireKnownMemberId: false,
    });
    await new Promise((resolve) => setImmediate(resolve));
    harness.scheduler.advance(0);
    const joined = await pending;
    const errorOf = async (overrides: Partial<TxnOffsetCommitParams>) => (await harness.coordinator.commitTransactionalOffsets(txnParams(overrides)))[0].partitions[0].errorCode;
    expect(await errorOf({ generationId: joined.generationId, memberId: joined.memberId })).toBe(GroupError.NONE);
    expect(await errorOf({ generationId: joined.generationId + 1, memberId: joined.memberId })).toBe(GroupError.ILLEGAL_GENERATION);
    expect(await errorOf({ generationId: joined.generationId, memberId: 'ghost' })).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect(await errorOf({})).toBe(GroupError.NONE);
  });

  it('reads transactional batches and markers back from a real partition log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'groups-txn-'));
    try {
      const logs = await openLogManager({ logDirs: [dir], brokerId: 1, backgroundTasks: false });
      const log = await logs.getOrCreateLog({ topic: '__consumer_offsets', partition: 0 });
      const make = () => new GroupCoordinator({
        scheduler: new ManualScheduler(), config: { offsetsTopicPartitions: 1 }, source: { storeFor: () => store },
      });
      let store = createLogStore({ partition: 0, log, leaderEpoch: 0 });
      const first = make();
      for (const [producerId, offset] of [[10n, 1], [11n, 2], [12n, 3]] as const) {
        const result = await first.commitTransactionalOffsets(txnParams({ producerId }, offset));
        expect(result[0].partitions[0].errorCode).toBe(GroupError.NONE);
      }
      const marker = (producerId: bigint, type: 'commit' | 'abort') =>
        encodeControlBatch({ type, producerId, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1 });
      for (const [producerId, type] of [[10n, 'commit'], [11n, 'abort']] as const) {
        const appended = await log.appendAsLeader(marker(producerId, type), { leaderEpoch: 0, origin: 'coordinator' });
        expect(appended.ok).toBe(true);
        first.completeTransaction(0, producerId, type === 'commit');
      }
      log.setHighWatermark(log.logEndOffset);
      first.close();
      store = createLogStore({ partition: 0, log, leaderEpoch: 1 });
      const second = make();
      const request = [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0] }] }];
      expect((await second.fetchOffsets(request, 8))[0].topics[0].partitions[0].committedOffset).toBe(1);
      expect((await second.fetchOffsets(request, 8, true))[0].topics[0].partitions[0].errorCode).toBe(GroupError.UNSTABLE_OFFSET_COMMIT);
      second.close();
      await logs.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
