// Cluster administration on 3 in-process brokers: controlled shutdown moves leadership away
// before a broker stops, preferred-leader election (ElectLeaders) moves it back, clients
// redirected by NOT_LEADER_OR_FOLLOWER find the new leader, DescribeLogDirs lists replicas,
// partition addition and topic deletion reach every broker, and the controller fails over.
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../broker/support/raw-client.ts';
import { logOf, produceTo, waitFor } from './support/helpers.ts';

const NOT_LEADER_OR_FOLLOWER = 6;
const ELECTION_NOT_NEEDED = 84;

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, config: { 'replica.lag.time.max.ms': '3000' } });
});

afterAll(async () => {
  await cluster?.close();
});

function address(id: number): string {
  const broker = cluster.brokers.find((entry) => entry.id === id)!;
  return `${broker.host}:${broker.port}`;
}

async function request<T = any>(to: string, apiKey: number, version: number, body: object): Promise<T> {
  const client = await RawClient.connect(to);
  try {
    return await client.request<T>(apiKey, version, body);
  } finally {
    client.close();
  }
}

async function createTopic(name: string, partitions: number): Promise<void> {
  const body = await request(cluster.bootstrap, 19, 5, { topics: [{ name, numPartitions: partitions, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(body.topics[0].errorCode).toBe(0);
  await waitFor(() => cluster.metadata.topic(name)?.partitions.every((p) => p.isr.length === 3) ?? false, `${name} fully in sync`);
}

describe('cluster administration', () => {
  it('controlled shutdown hands leadership over; ElectLeaders moves it back to the preferred replica', async () => {
    await createTopic('handover', 3);
    const ledBy2 = () => cluster.metadata.topic('handover')!.partitions.filter((p) => p.leader === 2).length;
    expect(ledBy2()).toBe(1);
    await cluster.stopBroker(2);
    // Leadership had moved before broker 2 stopped: nothing is leaderless, and 2 leads nothing.
    expect(ledBy2()).toBe(0);
    expect(cluster.metadata.topic('handover')!.partitions.every((p) => p.leader > 0)).toBe(true);
    await cluster.restartBroker(2);
    await waitFor(() => cluster.metadata.topic('handover')!.partitions.every((p) => p.isr.length === 3), 'broker 2 back in sync');
    expect(ledBy2()).toBe(0);

    const controller = cluster.controllerId!();
    const other = [1, 2, 3].find((id) => id !== controller)!;
    const refused = await request(address(other), 43, 2, { electionType: 0, topicPartitions: [{ topic: 'handover', partitions: [0, 1, 2] }], timeoutMs: 5000 });
    expect(refused.errorCode).toBe(41); // NOT_CONTROLLER
    const elected = await request(address(controller), 43, 2, { electionType: 0, topicPartitions: [{ topic: 'handover', partitions: [0, 1, 2] }], timeoutMs: 5000 });
    const codes = elected.replicaElectionResults[0].partitionResult.map((result: { errorCode: number }) => result.errorCode);
    expect(codes.filter((code: number) => code === 0)).toHaveLength(1);
    expect(codes.filter((code: number) => code === ELECTION_NOT_NEEDED)).toHaveLength(2);
    await waitFor(() => ledBy2() === 1, 'broker 2 leads its preferred partition again');
    for (const partition of cluster.metadata.topic('handover')!.partitions) expect(partition.leader).toBe(partition.replicas[0]);
  });

  it('answers NOT_LEADER_OR_FOLLOWER on a follower and kafkajs follows the leader across a failover', async () => {
    await createTopic('redirect', 1);
    const state = cluster.metadata.topic('redirect')!.partitions[0];
    const follower = state.replicas.find((id) => id !== state.leader)!;
    expect((await produceTo(address(follower), 'redirect', 0, ['x'], -1)).errorCode).toBe(NOT_LEADER_OR_FOLLOWER);

    const kafka = new Kafka({ clientId: 'redirect', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: 'redirect', acks: -1, messages: [{ value: 'before' }] });
    await cluster.killBroker(state.leader);
    await producer.send({ topic: 'redirect', acks: -1, messages: [{ value: 'after' }] });
    await producer.disconnect();
    const leader = cluster.metadata.topic('redirect')!.partitions[0].leader;
    expect(leader).not.toBe(state.leader);
    await waitFor(() => logOf(cluster.brokers.find((entry) => entry.id === leader)!, 'redirect', 0)!.highWatermark === 2, 'both writes committed');
    await cluster.restartBroker(state.leader);
    await waitFor(() => cluster.metadata.topic('redirect')!.partitions[0].isr.length === 3, 'the old leader back in sync');
  });

  it('describes log dirs, adds partitions and deletes topics on every broker', async () => {
    await createTopic('grow', 1);
    const dirs = await request(address(1), 35, 4, { topics: null });
    const names = dirs.results[0].topics.map((topic: { name: string }) => topic.name);
    expect(names).toContain('grow');
    expect(dirs.results[0].totalBytes > 0n).toBe(true);

    const grown = await request(cluster.bootstrap, 37, 3, { topics: [{ name: 'grow', count: 4, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(grown.results[0].errorCode).toBe(0);
    await waitFor(() => cluster.brokers.every((broker) => [1, 2, 3].every((p) => logOf(broker, 'grow', p) !== undefined)), 'new partitions on every broker');
    expect(new Set(cluster.metadata.topic('grow')!.partitions.map((p) => p.leader)).size).toBe(3);

    const deleted = await request(cluster.bootstrap, 20, 4, { topicNames: ['grow'], timeoutMs: 5000 });
    expect(deleted.responses[0].errorCode).toBe(0);
    await waitFor(() => cluster.brokers.every((broker) => logOf(broker, 'grow', 0) === undefined) && cluster.metadata.topic('grow') === undefined, 'topic gone everywhere');
  });

  it('reassigns a partition (AlterPartitionReassignments): new replica catches up, leadership and data move', async () => {
    const created = await request(cluster.bootstrap, 19, 5, { topics: [{ name: 'move', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(created.topics[0].errorCode).toBe(0);
    await waitFor(() => cluster.metadata.topic('move')?.partitions[0].isr.length === 2, 'move in sync');
    for (const value of ['a', 'b', 'c']) expect((await produceTo(address(1), 'move', 0, [value], -1)).errorCode).toBe(0);
    const controller = cluster.controllerId!();
    const moved = await request(address(controller), 45, 0, { timeoutMs: 5000, topics: [{ name: 'move', partitions: [{ partitionIndex: 0, replicas: [3, 2] }] }] });
    expect(moved.errorCode).toBe(0);
    expect(moved.responses[0].partitions[0].errorCode).toBe(0);
    await waitFor(() => {
      const state = cluster.metadata.topic('move')!.partitions[0];
      return state.replicas.join() === '3,2' && state.leader === 3 && state.isr.length === 2;
    }, 'the reassignment to complete');
    await waitFor(() => logOf(cluster.brokers[0], 'move', 0) === undefined, 'broker 1 dropped its replica');
    expect(logOf(cluster.brokers[2], 'move', 0)!.highWatermark).toBe(3);
    const listed = await request(address(controller), 46, 0, { timeoutMs: 5000, topics: null });
    expect(listed.topics).toEqual([]);
    const cancel = await request(address(controller), 45, 0, { timeoutMs: 5000, topics: [{ name: 'move', partitions: [{ partitionIndex: 0, replicas: null }] }] });
    expect(cancel.responses[0].partitions[0].errorCode).toBe(85); // NO_REASSIGNMENT_IN_PROGRESS
  });

  it('elects a new controller when the controller dies', async () => {
    const controller = cluster.controllerId!();
    await cluster.killBroker(controller);
    await waitFor(() => cluster.controllerId!() > 0 && cluster.controllerId!() !== controller, 'a new controller');
    await cluster.restartBroker(controller);
  });
});

describe('automatic preferred-leader rebalance', () => {
  it('moves leadership back to the preferred replica after it returns', async () => {
    const rebalancing = await startCluster({ brokers: 3, config: { 'leader.imbalance.check.interval.seconds': '1' } });
    try {
      const client = await RawClient.connect(rebalancing.bootstrap);
      const body = await client.request(19, 5, { topics: [{ name: 'prefer', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      client.close();
      expect(body.topics[0].errorCode).toBe(0);
      await waitFor(() => rebalancing.metadata.topic('prefer')!.partitions.every((p) => p.isr.length === 3), 'in sync');
      await rebalancing.killBroker(3);
      expect(rebalancing.metadata.topic('prefer')!.partitions.some((p) => p.leader === 3)).toBe(false);
      await rebalancing.restartBroker(3);
      await waitFor(
        () => rebalancing.metadata.topic('prefer')!.partitions.every((p) => p.leader === p.replicas[0] && p.isr.length === 3),
        'every partition led by its preferred replica again',
        40_000,
      );
    } finally {
      await rebalancing.close();
    }
  }, 90_000);
});
