import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deserializers, serializers } from '@kafkaesque/client';
import { Harness, take } from './support.ts';

const harness = new Harness();
beforeAll(() => harness.start(3));
afterAll(() => harness.stop());

describe('producer and consumer against a 3-broker kafkaesque cluster', () => {
  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)('produces with %s, idempotently, and consumes it back', async (compression) => {
    const topic = `pc-${compression}`;
    await harness.admin().createTopics([{ name: topic, numPartitions: 3 }]);
    const producer = harness.producer<string, unknown>({ compression, serializers: { key: serializers.string, value: serializers.json } });
    const sent = await Promise.all(Array.from({ length: 60 }, (_, i) => producer.send({ topic, key: `k${i}`, value: { i } })));
    expect(producer.producerIdentity.producerId).toBeGreaterThanOrEqual(0n);
    const consumer = harness.consumer<string | null, unknown>({ deserializers: { key: deserializers.string, value: deserializers.json } });
    await consumer.assign([0, 1, 2].map((partition) => ({ topic, partition })));
    const records = await take(consumer, 60);
    expect(records.map((record) => (record.value as { i: number }).i).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    for (const record of records) {
      const metadata = sent[(record.value as { i: number }).i];
      expect({ partition: record.partition, offset: record.offset }).toEqual({ partition: metadata.partition, offset: metadata.offset });
    }
  });

  it('a full default-size batch (1000 records of 1 KB) fits the broker default max.message.bytes', async () => {
    await harness.admin().createTopics([{ name: 'pc-full-batch', numPartitions: 1 }]);
    const producer = harness.producer();
    await producer.send({ topic: 'pc-full-batch', value: 'warm-up: metadata cached' });
    const value = Buffer.alloc(1024, 7);
    const results = await producer.sendBatch(Array.from({ length: 1000 }, () => ({ topic: 'pc-full-batch', value })));
    expect(results.at(-1)?.offset).toBe(1000);
    expect(producer.metrics().batchesSent).toBe(2); // the warm-up, then all 1000 in one batch
  });

  it('acks=1 and acks=0 deliver too', async () => {
    await harness.admin().createTopics([{ name: 'pc-acks', numPartitions: 1 }]);
    const one = harness.producer({ acks: 1 });
    const zero = harness.producer({ acks: 0 });
    expect((await one.send({ topic: 'pc-acks', value: 'one' })).offset).toBe(0);
    expect((await zero.send({ topic: 'pc-acks', value: 'zero' })).offset).toBe(-1);
    await zero.flush();
    const consumer = harness.consumer<Buffer | null, string | null>({ deserializers: { value: deserializers.string } });
    await consumer.assign([{ topic: 'pc-acks', partition: 0 }]);
    expect((await take(consumer, 2)).map((record) => record.value)).toEqual(['one', 'zero']);
  });

  it('finds offsets for times and seeks there', async () => {
    await harness.admin().createTopics([{ name: 'pc-times', numPartitions: 1 }]);
    const producer = harness.producer();
    const base = Date.now() - 60_000;
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'pc-times', value: `v${i}`, timestamp: base + i * 1000 });
    const consumer = harness.consumer<Buffer | null, string | null>({ deserializers: { value: deserializers.string } });
    await consumer.assign([{ topic: 'pc-times', partition: 0 }]);
    const [found] = await consumer.offsetsForTimes([{ topic: 'pc-times', partition: 0, timestamp: base + 6500 }]);
    expect(found.offset).toBe(7);
    consumer.seek(found);
    expect((await take(consumer, 1))[0].value).toBe('v7');
  });

  it('heartbeats continue while user code is busy longer than the session timeout', async () => {
    await harness.admin().createTopics([{ name: 'pc-slow', numPartitions: 1 }]);
    const producer = harness.producer();
    await producer.send({ topic: 'pc-slow', value: 'first' });
    await producer.send({ topic: 'pc-slow', value: 'second' });
    const sessionTimeoutMs = 6000;
    const consumer = harness.consumer<Buffer | null, string | null>({
      groupId: 'pc-slow-group',
      sessionTimeoutMs,
      heartbeatIntervalMs: 500,
      deserializers: { value: deserializers.string },
    });
    await consumer.subscribe('pc-slow');
    const values: string[] = [];
    for await (const record of consumer) {
      values.push(record.value!);
      // slow, asynchronous processing: longer than the session timeout
      if (values.length === 1) await new Promise((resolve) => setTimeout(resolve, sessionTimeoutMs + 1500));
      if (values.length === 2) break;
    }
    expect(values).toEqual(['first', 'second']);
    const [group] = await harness.admin().describeGroups(['pc-slow-group']);
    expect(group.state).toBe('Stable');
    expect(group.members).toHaveLength(1);
  }, 30_000);
});
