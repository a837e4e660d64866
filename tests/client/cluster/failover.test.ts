import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deserializers, serializers } from '@kafkaesque/client';
import { Harness, take } from './support.ts';

const harness = new Harness();
beforeAll(() => harness.start(3));
afterAll(() => harness.stop());

describe('client across a broker failure (3 brokers, replication factor 3)', () => {
  it('keeps producing through a leader kill, without losing or duplicating records', async () => {
    const admin = harness.admin();
    await admin.createTopics([{ name: 'failover', numPartitions: 1, replicationFactor: 3 }]);
    const producer = harness.producer<never, string>({ serializers: { value: serializers.string }, retryBackoffMs: 50, requestTimeoutMs: 5000 });
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) sends.push(producer.send({ topic: 'failover', value: `v${i}` }));
    await Promise.all(sends);
    const leader = (await admin.describeTopics(['failover']))[0].partitions[0].leaderId;
    // some records are in flight or buffered while the leader dies
    for (let i = 100; i < 150; i++) sends.push(producer.send({ topic: 'failover', value: `v${i}` }));
    await harness.cluster.killBroker(leader);
    for (let i = 150; i < 200; i++) sends.push(producer.send({ topic: 'failover', value: `v${i}` }));
    await Promise.all(sends);
    const consumer = harness.consumer<Buffer | null, string | null>({ deserializers: { value: deserializers.string } });
    await consumer.assign([{ topic: 'failover', partition: 0 }]);
    const values = (await take(consumer, 200)).map((record) => record.value);
    expect(values).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`));
    await harness.cluster.restartBroker(leader);
  }, 60_000);
});
