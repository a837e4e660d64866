import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '@kafkaesque/protocol';
import { Consumer, Producer, deserializers, serializers, type ConsumerRecord } from '@kafkaesque/client';
import { startFakeBroker, type FakeBroker } from './support/fake-broker.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function setup(partitions = 2) {
  const broker = await startFakeBroker();
  broker.createTopic('events', partitions);
  const producer = new Producer<string, unknown>({ bootstrapServers: broker.bootstrap, serializers: { key: serializers.string, value: serializers.json } });
  cleanups.push(() => broker.close(), () => producer.close());
  return { broker, producer };
}

function newConsumer(broker: FakeBroker, options: Partial<ConstructorParameters<typeof Consumer>[0]> = {}) {
  const consumer = new Consumer<string | null, unknown>({
    bootstrapServers: broker.bootstrap,
    deserializers: { key: deserializers.string, value: deserializers.json },
    fetchMaxWaitMs: 20,
    autoOffsetReset: 'earliest',
    ...(options as object),
  });
  cleanups.push(() => consumer.close());
  return consumer;
}

async function take<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  if (count === 0) return out;
  for await (const item of iterable) {
    out.push(item);
    if (out.length === count) break;
  }
  return out;
}

describe('Consumer with assign()', () => {
  it('reads what the producer wrote, in order per partition, with keys, values and headers', async () => {
    const { broker, producer } = await setup(1);
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'events', key: `k${i}`, value: { i }, headers: { trace: `t${i}` } });
    const consumer = newConsumer(broker);
    await consumer.assign([{ topic: 'events', partition: 0 }]);
    const records = await take(consumer, 5);
    expect(records.map((record) => record.value)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
    expect(records.map((record) => record.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(records.map((record) => record.offset)).toEqual([0, 1, 2, 3, 4]);
    expect(records[2].headers[0]).toMatchObject({ key: 'trace' });
    expect(records[2].headers[0].value?.toString()).toBe('t2');
  });

  it('keeps receiving records produced after it started (long polling)', async () => {
    const { broker, producer } = await setup(1);
    const consumer = newConsumer(broker, { autoOffsetReset: 'latest' });
    await consumer.assign([{ topic: 'events', partition: 0 }]);
    const pending = take(consumer, 3);
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'events', value: i, partition: 0 });
    expect((await pending).map((record) => record.value)).toEqual([0, 1, 2]);
  });

  it('seeks, seeks to the beginning and to the end', async () => {
    const { broker, producer } = await setup(1);
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'events', value: i, partition: 0 });
    const consumer = newConsumer(broker);
    await consumer.assign([{ topic: 'events', partition: 0, offset: 7 }]);
    expect((await take(consumer, 3)).map((record) => record.offset)).toEqual([7, 8, 9]);
    consumer.seek({ topic: 'events', partition: 0, offset: 2 });
    expect((await take(consumer, 1))[0].offset).toBe(2);
    await consumer.seekToBeginning();
    expect((await take(consumer, 1))[0].offset).toBe(0);
    await consumer.seekToEnd();
    expect(consumer.position({ topic: 'events', partition: 0 })).toBe(10);
    await producer.send({ topic: 'events', value: 'after-end', partition: 0 });
    expect((await take(consumer, 1))[0].value).toBe('after-end');
  });

  it('pauses and resumes a partition without losing records', async () => {
    const { broker, producer } = await setup(2);
    for (let i = 0; i < 3; i++) {
      await producer.send({ topic: 'events', value: `p0-${i}`, partition: 0 });
      await producer.send({ topic: 'events', value: `p1-${i}`, partition: 1 });
    }
    const consumer = newConsumer(broker);
    await consumer.assign([{ topic: 'events', partition: 0 }, { topic: 'events', partition: 1 }]);
    consumer.pause([{ topic: 'events', partition: 0 }]);
    const fromOne = await take(consumer, 3);
    expect(fromOne.every((record) => record.partition === 1)).toBe(true);
    expect(consumer.paused()).toEqual([{ topic: 'events', partition: 0 }]);
    consumer.resume([{ topic: 'events', partition: 0 }]);
    const fromZero = await take(consumer, 3);
    expect(fromZero.map((record) => record.value)).toEqual(['p0-0', 'p0-1', 'p0-2']);
  });

  it('consumes in batches', async () => {
    const { broker, producer } = await setup(1);
    await Promise.all(Array.from({ length: 100 }, (_, i) => producer.send({ topic: 'events', value: i, partition: 0 })));
    const consumer = newConsumer(broker);
    await consumer.assign([{ topic: 'events', partition: 0 }]);
    const seen: ConsumerRecord<string | null, unknown>[] = [];
    for await (const batch of consumer.batches(40)) {
      expect(batch.length).toBeLessThanOrEqual(40);
      seen.push(...batch);
      if (seen.length >= 100) break;
    }
    expect(seen.map((record) => record.value)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('resets to the policy when the position is out of range', async () => {
    const { broker, producer } = await setup(1);
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'events', value: i, partition: 0 });
    const consumer = newConsumer(broker, { autoOffsetReset: 'earliest' });
    await consumer.assign([{ topic: 'events', partition: 0, offset: 1000 }]);
    expect((await take(consumer, 1))[0].offset).toBe(0);
  });

  it('rejects a batch whose CRC does not match (CORRUPT_MESSAGE) unless checkCrcs is off', async () => {
    const { broker, producer } = await setup(1);
    await producer.send({ topic: 'events', value: 'intact', partition: 0 });
    const stored = broker.topics.get('events')!.partitions[0].batches[0];
    // the value is JSON "intact": flip its last letter (the record ends with `t" <header count>`)
    stored[stored.length - 3] ^= 0x01;
    const consumer = newConsumer(broker);
    await consumer.assign([{ topic: 'events', partition: 0 }]);
    const error = await consumer.poll(10, 5000).catch((failure: unknown) => failure);
    expect(error).toMatchObject({ code: 2, errorName: 'CORRUPT_MESSAGE' });
    const trusting = newConsumer(broker, { checkCrcs: false });
    await trusting.assign([{ topic: 'events', partition: 0 }]);
    const [record] = await trusting.poll(10, 5000);
    expect(record.value).toBe('intacu');
  });

  it('retries fetches after a leader error and still delivers', async () => {
    const { broker, producer } = await setup(1);
    await producer.send({ topic: 'events', value: 'x', partition: 0 });
    broker.failNext(ApiKey.Fetch, 6 /* NOT_LEADER_OR_FOLLOWER */, 2);
    const consumer = newConsumer(broker);
    await consumer.assign([{ topic: 'events', partition: 0 }]);
    expect((await take(consumer, 1))[0].value).toBe('x');
    expect(broker.requestsOf(ApiKey.Fetch).length).toBeGreaterThanOrEqual(3);
  });
});
