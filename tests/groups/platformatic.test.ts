/**
 * The KIP-848 consumer protocol with @platformatic/kafka 2.12.1 (groupProtocol: 'consumer'):
 * two members share a topic with server-side assignment, read everything and commit; when one
 * closes, the other owns every partition; committed offsets read back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { groupService } from '../../packages/broker/src/groups/plugin.ts';

let cluster: Cluster;
let bootstrapBrokers: string[];

beforeAll(async () => {
  // A short KIP-848 heartbeat interval (Kafka: 5 s) so members converge quickly.
  cluster = await startCluster({ brokers: 1, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '10', 'group.consumer.heartbeat.interval.ms': '500' } });
  bootstrapBrokers = cluster.bootstrap.split(',');
});

afterAll(async () => {
  await cluster?.close();
});

function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (condition()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 50);
    };
    poll();
  });
}

type Assigned = { topic: string; partitions: number[] }[] | null;
const partitionsOf = (assignments: Assigned) => (assignments ?? []).flatMap((entry) => entry.partitions);

describe('@platformatic/kafka with groupProtocol consumer (KIP-848)', () => {
  it('assigns disjoint partitions server-side, reads everything, and rebalances when a member leaves', async () => {
    const topic = 'pk-events';
    const admin = new Admin({ clientId: 'pk-admin', bootstrapBrokers });
    await admin.createTopics({ topics: [topic], partitions: 4, replicas: 1 });
    await admin.close();
    const producer = new Producer({ clientId: 'pk-producer', bootstrapBrokers, serializers: stringSerializers });
    await producer.send({ messages: Array.from({ length: 40 }, (_, index) => ({ topic, key: `k${index}`, value: `v${index}`, partition: index % 4 })) });
    await producer.close();

    const seen = new Set<string>();
    const make = (clientId: string) => new Consumer({
      clientId, groupId: 'pk-group', bootstrapBrokers, deserializers: stringDeserializers, groupProtocol: 'consumer',
    });
    const first = make('pk-first');
    const second = make('pk-second');
    for (const consumer of [first, second]) {
      const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: 100 });
      stream.on('data', (message) => { seen.add(message.value as string); });
    }
    await waitFor(() => {
      const a = partitionsOf(first.assignments as Assigned);
      const b = partitionsOf(second.assignments as Assigned);
      return a.length > 0 && b.length > 0 && [...a, ...b].sort().join() === '0,1,2,3';
    }, 'disjoint assignments covering 4 partitions');
    await waitFor(() => seen.size === 40, 'all 40 messages');
    // The group really is a KIP-848 group with two members on one epoch.
    const coordinator = groupService(cluster.brokers[0].broker!.services);
    const [described] = await coordinator.consumerGroupDescribe(['pk-group']);
    expect(described).toMatchObject({ errorCode: 0, groupState: 'Stable', assignorName: 'uniform' });
    expect(described.members).toHaveLength(2);
    expect(described.members.flatMap((member) => member.assignment.flatMap((entry) => entry.partitions)).sort()).toEqual([0, 1, 2, 3]);
    expect(coordinator.listGroups([], ['consumer']).groups.map((group) => group.groupId)).toEqual(['pk-group']);
    await second.close(true);
    await waitFor(() => partitionsOf(first.assignments as Assigned).sort().join() === '0,1,2,3', 'the survivor owning every partition');
    await new Promise((resolve) => setTimeout(resolve, 300)); // one more autocommit round
    const committed = await first.listCommittedOffsets({ topics: [{ topic, partitions: [0, 1, 2, 3] }] });
    expect(committed.get(topic)).toEqual([10n, 10n, 10n, 10n]);
    await first.close(true);
  });
});
