import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializers } from '@kafkaesque/client';
import { Harness, take, until } from './support.ts';

const harness = new Harness();
// heartbeats every 500 ms instead of Kafka's 5 s: reconciliation takes a few heartbeats
beforeAll(() => harness.start(1, { 'group.consumer.heartbeat.interval.ms': '500', 'group.consumer.min.heartbeat.interval.ms': '500' }));
afterAll(() => harness.stop());

describe("consumer groups with the KIP-848 protocol (groupProtocol: 'consumer') against kafkaesque", () => {
  it('members split the partitions, commit, and the survivor takes over', async () => {
    const topic = 'kip848-split';
    await harness.admin().createTopics([{ name: topic, numPartitions: 4 }]);
    const producer = harness.producer<never, string>({ serializers: { value: serializers.string } });
    await Promise.all(Array.from({ length: 8 }, (_, i) => producer.send({ topic, value: `v${i}`, partition: i % 4 })));
    const options = { groupId: 'kip848-group', groupProtocol: 'consumer' as const };
    const one = harness.consumer(options);
    await one.subscribe([topic]);
    expect(one.assignment()).toHaveLength(4);
    expect(await take(one, 8)).toHaveLength(8);
    await one.commit();
    const two = harness.consumer(options);
    await two.subscribe([topic]);
    await until(async () => {
      await Promise.all([one.poll(1, 20), two.poll(1, 20)]);
      return one.assignment().length === 2 && two.assignment().length === 2;
    }, 'an even split');
    expect([...one.assignment(), ...two.assignment()].map((tp) => tp.partition).sort()).toEqual([0, 1, 2, 3]);
    await two.close();
    await until(async () => {
      await one.poll(1, 20);
      return one.assignment().length === 4;
    }, 'the survivor to take everything');
    expect(await harness.admin().listGroupOffsets('kip848-group')).toHaveLength(4);
  });
});
