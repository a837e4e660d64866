/**
 * The group coordinator's own writes to __consumer_offsets (group metadata at SyncGroup, offset
 * commits) are acks=all writes like a producer's: they complete when the followers have fetched
 * them. A leader append must wake the followers' pending long polls, as a Produce does —
 * otherwise every commit waits out replica.fetch.wait.max.ms (500 ms by default; kafka-python
 * 3.x gave up on such slow SyncGroups). Here the followers' long poll (4 s) outlasts the commit
 * timeout (1.5 s): once the followers follow the offsets partition, a commit that did not wake
 * them would fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@kafkaesque/protocol';
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { RawClient } from '../broker/support/raw-client.ts';

const OFFSET_COMMIT_API_KEY = 8;
const FIND_COORDINATOR_API_KEY = 10;
const CREATE_TOPICS_API_KEY = 19;

let cluster: Cluster;
let coordinator: RawClient | undefined;

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    config: {
      'offsets.topic.num.partitions': '1',
      'offsets.topic.replication.factor': '3',
      'replica.fetch.wait.max.ms': '4000',
      'offsets.commit.timeout.ms': '1500',
    },
  });
});

afterAll(async () => {
  coordinator?.close();
  await cluster?.close();
});

/** OffsetCommit v8 outside any generation (as admin tools commit): the partition's error code. */
async function commit(client: RawClient, groupId: string, offset: number): Promise<number> {
  const response = await client.request(OFFSET_COMMIT_API_KEY, 8, {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 'rw-topic', partitions: [{ partitionIndex: 0, committedOffset: BigInt(offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
  });
  return response.topics[0].partitions[0].errorCode;
}

describe('coordinator writes to a replicated __consumer_offsets', () => {
  it('commits complete without waiting out the followers\' long poll', { timeout: 90_000 }, async () => {
    const bootstrap = await RawClient.connect(cluster.bootstrap);
    let node: { host: string; port: number } | undefined;
    try {
      await bootstrap.request(CREATE_TOPICS_API_KEY, 5, { topics: [{ name: 'rw-topic', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
      // Until the offsets partition exists, is led and its followers' fetchers have picked it up
      // (their in-flight long poll ends first), a commit may fail; that warm-up is retried.
      for (let attempt = 0; attempt < 150 && node === undefined; attempt++) {
        const found = await bootstrap.request(FIND_COORDINATOR_API_KEY, 4, { keyType: 0, coordinatorKeys: ['rw-warm-up'] });
        const entry = found.coordinators[0];
        if (entry.errorCode === ErrorCode.NONE) node = { host: entry.host, port: entry.port };
        else await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(node).toBeDefined();
      coordinator = await RawClient.connect(`${node!.host}:${node!.port}`);
      let warmedUp = false;
      for (let attempt = 0; attempt < 30 && !warmedUp; attempt++) warmedUp = (await commit(coordinator, 'rw-warm-up', 1)) === ErrorCode.NONE;
      expect(warmedUp).toBe(true);
      // One offsets partition: every group below is coordinated by the same broker.
      for (let round = 0; round < 3; round++) {
        expect(await commit(coordinator, `rw-group-${round}`, round + 1)).toBe(ErrorCode.NONE);
      }
    } finally {
      bootstrap.close();
    }
  });
});
