import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deserializers, serializers, type TopicPartition } from '@kafkaesque/client';
import { Harness, take, until } from './support.ts';

const harness = new Harness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

async function topicWithRecords(name: string, partitions: number, count: number): Promise<void> {
  await harness.admin().createTopics([{ name, numPartitions: partitions }]);
  const producer = harness.producer<string, string>({ serializers: { key: serializers.string, value: serializers.string } });
  await Promise.all(Array.from({ length: count }, (_, i) => producer.send({ topic: name, key: `key-${i}`, value: `value-${i}` })));
  await producer.close();
}

describe('consumer groups against kafkaesque', () => {
  it('a single member gets every partition and reads everything', async () => {
    await topicWithRecords('group-single', 3, 30);
    const assigned: TopicPartition[] = [];
    const consumer = harness.consumer<string | null, string | null>({
      groupId: 'g-single',
      deserializers: { key: deserializers.string, value: deserializers.string },
      onPartitionsAssigned: (partitions) => void assigned.push(...partitions),
    });
    await consumer.subscribe(['group-single']);
    const records = await take(consumer, 30);
    expect(new Set(records.map((record) => record.value)).size).toBe(30);
    expect(assigned.map((tp) => tp.partition).sort()).toEqual([0, 1, 2]);
    await consumer.close();
  });

  it('commits offsets and a new member resumes after them', async () => {
    await topicWithRecords('group-commit', 1, 10);
    const first = harness.consumer({ groupId: 'g-commit', enableAutoCommit: false });
    await first.subscribe('group-commit');
    const firstRecords = await take(first, 4);
    await first.commit([{ topic: 'group-commit', partition: 0, offset: firstRecords[3].offset + 1 }]);
    await first.close();
    const second = harness.consumer({ groupId: 'g-commit' });
    await second.subscribe('group-commit');
    const [next] = await take(second, 1);
    expect(next.offset).toBe(4);
    const committed = await second.committed([{ topic: 'group-commit', partition: 0 }]);
    expect(committed[0].offset).toBe(4);
    await second.close();
  });

  it('auto-commits what was consumed on close', async () => {
    await topicWithRecords('group-autocommit', 1, 5);
    const consumer = harness.consumer({ groupId: 'g-auto' });
    await consumer.subscribe('group-autocommit');
    await take(consumer, 5);
    await consumer.close();
    const offsets = await harness.admin().listGroupOffsets('g-auto');
    expect(offsets).toEqual([{ topic: 'group-autocommit', partition: 0, offset: 5 }]);
  });

  it.each(['range', 'roundrobin', 'cooperative-sticky'] as const)('two members split the partitions with %s and rebalance when one leaves', async (assignor) => {
    const topic = `group-split-${assignor}`;
    await topicWithRecords(topic, 4, 0);
    const revokedFromOne: number[] = [];
    const one = harness.consumer({
      groupId: `g-split-${assignor}`,
      assignors: [assignor],
      heartbeatIntervalMs: 100,
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 5000,
      onPartitionsRevoked: (partitions) => void revokedFromOne.push(...partitions.map((tp) => tp.partition)),
    });
    const two = harness.consumer({ groupId: `g-split-${assignor}`, assignors: [assignor], heartbeatIntervalMs: 100, sessionTimeoutMs: 6000, rebalanceTimeoutMs: 5000 });
    await one.subscribe([topic]);
    expect(one.assignment()).toHaveLength(4);
    // the second member joins; the first learns of the rebalance through its heartbeat and polls
    const joining = two.subscribe([topic]);
    const pollOne = (async () => {
      for (let i = 0; i < 400 && one.assignment().length !== 2; i++) await one.poll(1, 50).catch(() => []);
    })();
    await joining;
    await pollOne;
    await until(() => one.assignment().length === 2 && two.assignment().length === 2, 'an even split');
    const all = [...one.assignment(), ...two.assignment()].map((tp) => tp.partition).sort();
    expect(all).toEqual([0, 1, 2, 3]);
    // eager assignors revoke everything before rejoining; cooperative-sticky only what moved
    if (assignor === 'cooperative-sticky') expect(revokedFromOne.sort()).toEqual(two.assignment().map((tp) => tp.partition).sort());
    else expect(revokedFromOne.sort()).toEqual([0, 1, 2, 3]);
    await two.close();
    await until(async () => {
      await one.poll(1, 50).catch(() => []);
      return one.assignment().length === 4;
    }, 'the survivor to take everything');
    await one.close();
  });

  it('subscribes by pattern', async () => {
    await topicWithRecords('pattern-orders', 1, 2);
    await topicWithRecords('pattern-payments', 1, 2);
    await topicWithRecords('other-topic', 1, 2);
    const consumer = harness.consumer<Buffer | null, string | null>({ groupId: 'g-pattern', deserializers: { value: deserializers.string } });
    await consumer.subscribe(/^pattern-/);
    const records = await take(consumer, 4);
    expect(new Set(records.map((record) => record.topic))).toEqual(new Set(['pattern-orders', 'pattern-payments']));
    await consumer.close();
  });

  it('static members keep their assignment across a restart without leaving', async () => {
    await topicWithRecords('group-static', 2, 0);
    const first = harness.consumer({ groupId: 'g-static', groupInstanceId: 'instance-1' });
    await first.subscribe('group-static');
    const memberBefore = (await harness.admin().describeGroups(['g-static']))[0].members;
    expect(memberBefore).toHaveLength(1);
    expect(memberBefore[0].groupInstanceId).toBe('instance-1');
    await first.close();
    // a static member does not send LeaveGroup: the group still lists it
    const after = (await harness.admin().describeGroups(['g-static']))[0];
    expect(after.members.map((member) => member.groupInstanceId)).toEqual(['instance-1']);
    const again = harness.consumer({ groupId: 'g-static', groupInstanceId: 'instance-1' });
    await again.subscribe('group-static');
    expect(again.assignment()).toHaveLength(2);
    await again.close();
  });

  it('admin lists, describes, alters and deletes groups and their offsets', async () => {
    await topicWithRecords('group-admin', 2, 4);
    const admin = harness.admin();
    const consumer = harness.consumer({ groupId: 'g-admin' });
    await consumer.subscribe('group-admin');
    await take(consumer, 4);
    expect((await admin.listGroups()).map((group) => group.groupId)).toContain('g-admin');
    const [description] = await admin.describeGroups(['g-admin']);
    expect(description.state).toBe('Stable');
    expect(description.members[0].assignment).toHaveLength(2);
    expect(description.members[0].subscribedTopics).toEqual(['group-admin']);
    await consumer.close();
    await admin.alterGroupOffsets('g-admin', [{ topic: 'group-admin', partition: 0, offset: 1 }]);
    expect(await admin.listGroupOffsets('g-admin', ['group-admin'])).toEqual(expect.arrayContaining([{ topic: 'group-admin', partition: 0, offset: 1 }]));
    await admin.deleteGroupOffsets('g-admin', [{ topic: 'group-admin', partition: 0 }]);
    expect((await admin.listGroupOffsets('g-admin')).filter((entry) => entry.partition === 0)).toEqual([]);
    await admin.deleteGroups(['g-admin']);
    expect((await admin.listGroups()).map((group) => group.groupId)).not.toContain('g-admin');
  });
});
