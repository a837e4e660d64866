// Failover in an in-process 3-broker cluster: leader kills while producing with acks=all,
// fast double failover with truncation (KIP-101), last replica standing (KIP-966), and a leader
// cut off from its followers. Every test checks what Kafka promises: no acknowledged (acks=all)
// write is lost or moves, replicas end identical up to the high watermark, and a partition
// rather stays unavailable than elects a replica that lacks data.
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../broker/support/raw-client.ts';
import { logOf, produceTo, readAll, valuesOf, waitFor } from './support/helpers.ts';

const NOT_ENOUGH_REPLICAS = 19;
const NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20;
const REQUEST_TIMED_OUT = 7;

let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

function address(c: Cluster, id: number): string {
  const broker = c.brokers.find((entry) => entry.id === id)!;
  return `${broker.host}:${broker.port}`;
}

function stateOf(c: Cluster, topic: string, partition = 0) {
  return c.metadata.topic(topic)?.partitions[partition];
}

async function createTopic(c: Cluster, name: string, assignment: number[], configs: Record<string, string> = {}): Promise<void> {
  const client = await RawClient.connect(c.bootstrap);
  try {
    const body = await client.request(19, 5, {
      topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: assignment }], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(body.topics[0].errorCode).toBe(0);
  } finally {
    client.close();
  }
  await waitFor(() => stateOf(c, name)?.leader === assignment[0], `${name} led by ${assignment[0]}`);
}

/** Produces with acks=all to whoever leads now; returns the acknowledged (offset, value) pairs. */
async function produceAcked(c: Cluster, topic: string, values: string[], acked: Map<number, string>): Promise<void> {
  for (const value of values) {
    const leader = stateOf(c, topic)?.leader ?? -1;
    if (leader < 0 || !c.brokers.find((entry) => entry.id === leader)?.running) continue;
    const outcome = await produceTo(address(c, leader), topic, 0, [value], -1);
    if (outcome.errorCode === 0) acked.set(outcome.baseOffset, value);
  }
}

async function expectReplicasIdentical(c: Cluster, topic: string, ids: number[]): Promise<number> {
  const leader = stateOf(c, topic)!.leader;
  const leaderLog = () => logOf(c.brokers.find((entry) => entry.id === leader)!, topic, 0)!;
  await waitFor(
    () => ids.every((id) => {
      const log = logOf(c.brokers.find((entry) => entry.id === id)!, topic, 0);
      return log !== undefined && log.logEndOffset === leaderLog().logEndOffset && log.highWatermark === leaderLog().highWatermark;
    }),
    `replicas ${ids} of ${topic} caught up with leader ${leader}`,
  );
  const highWatermark = leaderLog().highWatermark;
  const reference = await readAll(leaderLog(), highWatermark);
  for (const id of ids) {
    const bytes = await readAll(logOf(c.brokers.find((entry) => entry.id === id)!, topic, 0)!, highWatermark);
    expect(bytes.equals(reference), `broker ${id}'s log equals the leader's`).toBe(true);
  }
  return highWatermark;
}

function expectAckedPresent(acked: Map<number, string>, values: Array<{ offset: number; value: string }>): void {
  const byOffset = new Map(values.map((entry) => [entry.offset, entry.value]));
  for (const [offset, value] of acked) expect(byOffset.get(offset), `acknowledged offset ${offset}`).toBe(value);
}

describe('failover', () => {
  it('kills the leader repeatedly while producing with acks=all: nothing acknowledged is lost', async () => {
    cluster = await startCluster({ brokers: 3, config: { 'min.insync.replicas': '2', 'replica.lag.time.max.ms': '2000' } });
    const c = cluster;
    await createTopic(c, 'kill', [1, 2, 3]);
    const acked = new Map<number, string>();
    let next = 0;
    const batch = (count: number) => Array.from({ length: count }, () => `m${next++}`);
    await produceAcked(c, 'kill', batch(10), acked);
    for (let round = 0; round < 3; round++) {
      const leader = stateOf(c, 'kill')!.leader;
      const epoch = stateOf(c, 'kill')!.leaderEpoch;
      await c.killBroker(leader);
      await waitFor(() => (stateOf(c, 'kill')?.leaderEpoch ?? 0) > epoch && stateOf(c, 'kill')!.leader >= 0, 'a new leader');
      expect(stateOf(c, 'kill')!.leader).not.toBe(leader);
      await produceAcked(c, 'kill', batch(10), acked);
      await c.restartBroker(leader);
      await waitFor(() => stateOf(c, 'kill')!.isr.length === 3, 'the restarted broker back in the ISR');
      await produceAcked(c, 'kill', batch(5), acked);
    }
    expect(acked.size).toBeGreaterThanOrEqual(30);
    const highWatermark = await expectReplicasIdentical(c, 'kill', [1, 2, 3]);
    const leaderId = stateOf(c, 'kill')!.leader;
    const values = await valuesOf(logOf(c.brokers.find((entry) => entry.id === leaderId)!, 'kill', 0)!, highWatermark);
    expectAckedPresent(acked, values);
    // offsets are dense and increasing: nothing went backwards
    values.forEach((entry, index) => expect(entry.offset).toBe(index));
  });

  it('fast double failover (KIP-101): the returning leader truncates what was never committed', async () => {
    cluster = await startCluster({ brokers: 3, config: { 'replica.lag.time.max.ms': '30000' } });
    const c = cluster;
    await createTopic(c, 'double', [1, 2]);
    const acked = new Map<number, string>();
    await produceAcked(c, 'double', ['a0', 'a1', 'a2'], acked);
    expect(acked.size).toBe(3);
    await waitFor(() => logOf(c.brokers[1], 'double', 0)!.logEndOffset === 3, 'follower 2 has a0..a2');
    // Broker 1 takes writes its follower never sees (acks=1), then dies while 2 is still in the ISR.
    c.cutLink!(1, 2);
    for (const value of ['x0', 'x1', 'x2']) expect((await produceTo(address(c, 1), 'double', 0, [value], 1)).errorCode).toBe(0);
    expect(logOf(c.brokers[0], 'double', 0)!.logEndOffset).toBe(6);
    await c.killBroker(1);
    c.healLink!(1, 2);
    await waitFor(() => stateOf(c, 'double')?.leader === 2, 'broker 2 leads');
    await produceAcked(c, 'double', ['b0', 'b1'], acked);
    expect([...acked.values()]).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
    await c.restartBroker(1);
    await waitFor(() => stateOf(c, 'double')!.isr.includes(1), 'broker 1 back in the ISR');
    await expectReplicasIdentical(c, 'double', [1, 2]);
    // Second failover: now broker 2 dies and 1 (truncated, caught up) leads.
    const epoch = stateOf(c, 'double')!.leaderEpoch;
    await c.killBroker(2);
    await waitFor(() => stateOf(c, 'double')?.leader === 1 && stateOf(c, 'double')!.leaderEpoch > epoch, 'broker 1 leads again');
    await produceAcked(c, 'double', ['c0'], acked);
    const values = await valuesOf(logOf(c.brokers[0], 'double', 0)!, logOf(c.brokers[0], 'double', 0)!.highWatermark);
    expect(values.map((entry) => entry.value)).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'c0']);
    expectAckedPresent(acked, values);
  });

  it('last replica standing (KIP-966): no leader rather than one that lost data', async () => {
    cluster = await startCluster({ brokers: 3, config: { 'replica.lag.time.max.ms': '1000' } });
    const c = cluster;
    await createTopic(c, 'last', [1, 2, 3]);
    const acked = new Map<number, string>();
    await produceAcked(c, 'last', ['p0'], acked);
    await c.killBroker(2);
    await c.killBroker(3);
    await waitFor(() => stateOf(c, 'last')!.isr.length === 1, 'ISR down to the leader');
    await produceAcked(c, 'last', ['p1', 'p2'], acked);
    expect(acked.size).toBe(3);
    await c.killBroker(1);
    // Every broker is down; the first to return (2, lacking p1 and p2) becomes controller and
    // must leave the partition leaderless, its ISR still naming broker 1.
    await c.restartBroker(2);
    await waitFor(() => stateOf(c, 'last')?.leader === -1, 'no leader');
    expect(stateOf(c, 'last')!.isr).toEqual([1]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stateOf(c, 'last')!.leader).toBe(-1);
    expect((await produceTo(address(c, 2), 'last', 0, ['lost?'], -1)).errorCode).not.toBe(0);
    await c.restartBroker(1);
    await waitFor(() => stateOf(c, 'last')?.leader === 1, 'broker 1 leads again');
    await waitFor(() => stateOf(c, 'last')!.isr.includes(2), 'broker 2 caught up');
    const values = await valuesOf(logOf(c.brokers[1], 'last', 0)!, 3);
    expect(values.map((entry) => entry.value)).toEqual(['p0', 'p1', 'p2']);
    expectAckedPresent(acked, values);
  });

  it('a leader cut off from its followers leaves acks=all writes failing, then converges', async () => {
    cluster = await startCluster({ brokers: 3, config: { 'min.insync.replicas': '2', 'replica.lag.time.max.ms': '1000' } });
    const c = cluster;
    await createTopic(c, 'cut', [1, 2, 3]);
    const acked = new Map<number, string>();
    await produceAcked(c, 'cut', ['ok0', 'ok1'], acked);
    c.cutLink!(1, 2);
    c.cutLink!(1, 3);
    const during = await produceTo(address(c, 1), 'cut', 0, ['cut0'], -1, 1500);
    expect([REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND]).toContain(during.errorCode);
    await waitFor(() => stateOf(c, 'cut')!.isr.length === 1, 'the ISR shrinks to the leader');
    expect((await produceTo(address(c, 1), 'cut', 0, ['cut1'], -1)).errorCode).toBe(NOT_ENOUGH_REPLICAS);
    c.healLink!(1, 2);
    c.healLink!(1, 3);
    await waitFor(() => stateOf(c, 'cut')!.isr.length === 3, 'the ISR grows back');
    await produceAcked(c, 'cut', ['ok2'], acked);
    expect(acked.size).toBe(3);
    const highWatermark = await expectReplicasIdentical(c, 'cut', [1, 2, 3]);
    expectAckedPresent(acked, await valuesOf(logOf(c.brokers[0], 'cut', 0)!, highWatermark));
  });
});
