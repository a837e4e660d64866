// --processes mode (one OS process per broker and per coordinator member), Node only: a leader
// frozen with SIGSTOP loses its coordinator session and its leadership; acks=all writes go on
// through the new leader; resumed, the old leader starts a new session, follows, and rejoins
// the ISR with the same data. A SIGKILLed broker's partitions move after its session expires.
import { startProcessCluster, type ProcessCluster } from '@kafkaesque/broker';
import { decodeRecordBatches } from '@kafkaesque/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../broker/support/raw-client.ts';
import { produceTo, waitFor } from './support/helpers.ts';

let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await startProcessCluster({
    brokers: 3,
    config: { 'zookeeper.session.timeout.ms': '1500', 'replica.lag.time.max.ms': '2000', 'min.insync.replicas': '2', 'auto.leader.rebalance.enable': 'false' },
  });
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

function address(id: number): string {
  const broker = cluster.brokers.find((entry) => entry.id === id)!;
  return `${broker.host}:${broker.port}`;
}

const state = (topic: string) => cluster.metadata.topic(topic)?.partitions[0];

async function valuesFrom(id: number, topic: string): Promise<string[]> {
  const client = await RawClient.connect(address(id));
  try {
    const body = await client.request(1, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, topicId: '', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const records = body.responses[0].partitions[0].records as Buffer;
    return decodeRecordBatches(Buffer.from(records)).batches.flatMap((batch) => batch.records.map((record) => String(record.value)));
  } finally {
    client.close();
  }
}

async function createTopic(name: string): Promise<void> {
  const client = await RawClient.connect(cluster.bootstrap);
  try {
    const body = await client.request(19, 5, { topics: [{ name, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    expect(body.topics[0].errorCode).toBe(0);
  } finally {
    client.close();
  }
  await waitFor(() => state(name)?.isr.length === 3, `${name} in sync`, 30_000);
}

describe('--processes', () => {
  it('a paused leader loses leadership, then rejoins as a follower with identical data', async () => {
    await createTopic('paused');
    const leader = state('paused')!.leader;
    for (const value of ['a', 'b']) expect((await produceTo(address(leader), 'paused', 0, [value], -1)).errorCode).toBe(0);
    cluster.pauseBroker(leader);
    try {
      await waitFor(() => (state('paused')?.leader ?? leader) !== leader && state('paused')!.leader > 0, 'a new leader', 30_000);
      const next = state('paused')!.leader;
      expect((await produceTo(address(next), 'paused', 0, ['c'], -1)).errorCode).toBe(0);
    } finally {
      cluster.resumeBroker(leader);
    }
    await waitFor(() => state('paused')!.isr.length === 3, 'the resumed broker back in the ISR', 30_000);
    const current = state('paused')!.leader;
    expect(await valuesFrom(current, 'paused')).toEqual(['a', 'b', 'c']);
  }, 90_000);

  it('moves leadership after a SIGKILL once the session expires, and takes the broker back', async () => {
    await createTopic('killed');
    const leader = state('killed')!.leader;
    expect((await produceTo(address(leader), 'killed', 0, ['x'], -1)).errorCode).toBe(0);
    await cluster.killBroker(leader);
    await waitFor(() => state('killed')!.leader > 0 && state('killed')!.leader !== leader, 'a new leader', 30_000);
    expect((await produceTo(address(state('killed')!.leader), 'killed', 0, ['y'], -1)).errorCode).toBe(0);
    await cluster.restartBroker(leader);
    await waitFor(() => state('killed')!.isr.length === 3, 'the restarted broker in the ISR', 30_000);
    expect(await valuesFrom(state('killed')!.leader, 'killed')).toEqual(['x', 'y']);
  }, 90_000);
});
