import diagnosticsChannel from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiKey, decodeRecordBatch } from '@kafkaesque/protocol';
import { Producer, KafkaResponseError, KafkaAuthenticationError, defaultKeyPartition, serializers, type ProducerOptions } from '@kafkaesque/client';
import { startFakeBroker, type FakeBroker } from './support/fake-broker.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function setup(options: Partial<ProducerOptions<any, any>> = {}, brokerOptions: Parameters<typeof startFakeBroker>[0] = {}) {
  const broker = await startFakeBroker(brokerOptions);
  const producer = new Producer<any, any>({ bootstrapServers: broker.bootstrap, retryBackoffMs: 5, ...options });
  cleanups.push(() => broker.close(), () => producer.close());
  return { broker, producer };
}

function storedRecords(broker: FakeBroker, topic: string, partition: number) {
  return broker.topics.get(topic)!.partitions[partition].batches.flatMap((batch) => decodeRecordBatch(batch).records);
}

describe('Producer against a scripted broker', () => {
  it('sends JSON values and resolves each record with its partition and offset', async () => {
    const { broker, producer } = await setup({ serializers: { value: serializers.json } });
    broker.createTopic('bankbranch', 1);
    const first = await producer.send({ topic: 'bankbranch', value: { atmid: 1, transid: 100 } });
    const second = await producer.send({ topic: 'bankbranch', value: { atmid: 2, transid: 101 } });
    expect(first).toMatchObject({ topic: 'bankbranch', partition: 0, offset: 0 });
    expect(second.offset).toBe(1);
    const values = storedRecords(broker, 'bankbranch', 0).map((record) => JSON.parse(record.value!.toString()));
    expect(values).toEqual([{ atmid: 1, transid: 100 }, { atmid: 2, transid: 101 }]);
  });

  it('puts keyed records on the Java partition and gathers one turn of sends into one request', async () => {
    const { broker, producer } = await setup({ serializers: { key: serializers.string, value: serializers.string } });
    broker.createTopic('keys', 12);
    await producer.connect();
    await producer.send({ topic: 'keys', key: 'warmup', value: 'x' });
    const before = broker.requestsOf(ApiKey.Produce).length;
    const keys = ['21', 'foobar', 'abc', 'a-little-bit-long-string'];
    const expected = [(-973932308 & 0x7fffffff) % 12, (-790332482 & 0x7fffffff) % 12, (479470107 & 0x7fffffff) % 12, (-985981536 & 0x7fffffff) % 12];
    const results = await Promise.all(keys.map((key) => producer.send({ topic: 'keys', key, value: `v-${key}` })));
    expect(results.map((result) => result.partition)).toEqual(expected);
    expect(broker.requestsOf(ApiKey.Produce).length - before).toBe(1);
    const stored = storedRecords(broker, 'keys', expected[1]);
    expect(stored.map((record) => record.key?.toString())).toContain('foobar');
  });

  it('sendBatch resolves every record in order with one promise, and rejects on failure', async () => {
    const { broker, producer } = await setup({ serializers: { key: serializers.string, value: serializers.string } });
    broker.createTopic('bulk', 3);
    await producer.connect();
    await producer.send({ topic: 'bulk', value: 'warm-up', partition: 0 });
    const results = await producer.sendBatch(Array.from({ length: 30 }, (_, i) => ({ topic: 'bulk', key: `k${i}`, value: `v${i}` })));
    expect(results).toHaveLength(30);
    results.forEach((metadata, i) => expect(metadata.partition).toBe(defaultKeyPartition(Buffer.from(`k${i}`), 3)));
    expect(new Set(results.map((metadata) => `${metadata.partition}:${metadata.offset}`)).size).toBe(30);
    const stored = [0, 1, 2].flatMap((partition) => storedRecords(broker, 'bulk', partition)).map((record) => record.value?.toString());
    expect(stored).toEqual(expect.arrayContaining(Array.from({ length: 30 }, (_, i) => `v${i}`)));
    broker.failNext(ApiKey.Produce, 10 /* MESSAGE_TOO_LARGE */);
    await expect(producer.sendBatch([{ topic: 'bulk', value: 'a', partition: 0 }, { topic: 'bulk', value: 'b', partition: 0 }])).rejects.toBeInstanceOf(KafkaResponseError);
  });

  it('keeps keyless records on one sticky partition per batch', async () => {
    const { broker, producer } = await setup();
    broker.createTopic('sticky', 6);
    await producer.connect();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => producer.send({ topic: 'sticky', value: `record-${i}` })));
    expect(new Set(results.map((result) => result.partition)).size).toBe(1);
  });

  it('is idempotent by default: producer id and consecutive sequence numbers', async () => {
    const { broker, producer } = await setup();
    broker.createTopic('idem', 1);
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'idem', value: `v${i}` });
    await Promise.all([producer.send({ topic: 'idem', value: 'a' }), producer.send({ topic: 'idem', value: 'b' })]);
    expect(broker.requestsOf(ApiKey.InitProducerId)).toHaveLength(1);
    const batches = broker.topics.get('idem')!.partitions[0].batches.map((batch) => decodeRecordBatch(batch));
    expect(batches.map((batch) => batch.producerId)).toEqual([1000n, 1000n, 1000n, 1000n]);
    expect(batches.map((batch) => batch.baseSequence)).toEqual([0, 1, 2, 3]);
    expect(producer.producerIdentity.producerId).toBe(1000n);
  });

  it('retries a retriable error with the same batch (same sequence) and succeeds', async () => {
    const { broker, producer } = await setup();
    broker.createTopic('retry', 1);
    await producer.send({ topic: 'retry', value: 'first' });
    broker.failNext(ApiKey.Produce, 6 /* NOT_LEADER_OR_FOLLOWER */, 2);
    const metadata = await producer.send({ topic: 'retry', value: 'second' });
    expect(metadata.offset).toBe(1);
    const produceRequests = broker.requestsOf(ApiKey.Produce).slice(1);
    expect(produceRequests).toHaveLength(3);
    const sequences = produceRequests.map((request) => decodeRecordBatch(Buffer.from(request.body.topicData[0].partitionData[0].records)).baseSequence);
    expect(sequences).toEqual([1, 1, 1]);
    expect(producer.metrics().retries).toBe(2);
  });

  it('retries after a dropped connection', async () => {
    const { broker, producer } = await setup();
    broker.createTopic('drop', 1);
    await producer.send({ topic: 'drop', value: 'first' });
    broker.disconnectNext(ApiKey.Produce);
    const metadata = await producer.send({ topic: 'drop', value: 'second' });
    expect(metadata.offset).toBe(1);
    expect(storedRecords(broker, 'drop', 0).map((record) => record.value?.toString())).toEqual(['first', 'second']);
  });

  it('rejects with a typed error carrying the Kafka code, name and request', async () => {
    const { broker, producer } = await setup();
    broker.createTopic('fail', 1);
    await producer.send({ topic: 'fail', value: 'ok' });
    broker.failNext(ApiKey.Produce, 10 /* MESSAGE_TOO_LARGE */);
    const error = await producer.send({ topic: 'fail', value: 'too big' }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(KafkaResponseError);
    const typed = error as KafkaResponseError;
    expect(typed.code).toBe(10);
    expect(typed.errorName).toBe('MESSAGE_TOO_LARGE');
    expect(typed.retriable).toBe(false);
    expect(typed.request).toMatchObject({ apiName: 'Produce', topic: 'fail', partition: 0 });
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('compresses batches with %s', async (compression) => {
    const { broker, producer } = await setup({ compression });
    broker.createTopic('compressed', 1);
    await producer.connect();
    await Promise.all(Array.from({ length: 20 }, (_, i) => producer.send({ topic: 'compressed', value: `value-${i}`.repeat(10) })));
    const batches = broker.topics.get('compressed')!.partitions[0].batches.map((batch) => decodeRecordBatch(batch));
    expect(batches[0].compression).toBe({ gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[compression]);
    expect(batches.flatMap((batch) => batch.records).map((record) => record.value?.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `value-${i}`.repeat(10)));
  });

  it('acks=0 resolves without waiting for the broker', async () => {
    const { broker, producer } = await setup({ acks: 0 });
    broker.createTopic('fire', 1);
    const metadata = await producer.send({ topic: 'fire', value: 'x' });
    expect(metadata.offset).toBe(-1);
    await producer.flush();
    await vi.waitFor(() => expect(broker.requestsOf(ApiKey.Produce)).toHaveLength(1));
    expect(broker.requestsOf(ApiKey.InitProducerId)).toHaveLength(0);
    expect(broker.requestsOf(ApiKey.Produce)[0].body.acks).toBe(0);
  });

  it('uses the lower of the broker and client versions', async () => {
    const { broker, producer } = await setup({}, { versions: { [ApiKey.Produce]: { min: 0, max: 5 }, [ApiKey.Metadata]: { min: 0, max: 4 } } });
    broker.createTopic('old', 1);
    await producer.send({ topic: 'old', value: 'x' });
    expect(broker.requestsOf(ApiKey.Produce)[0].header.requestApiVersion).toBe(5);
    expect(broker.requestsOf(ApiKey.Metadata)[0].header.requestApiVersion).toBe(4);
    expect(broker.requestsOf(ApiKey.ApiVersions)[0].header.requestApiVersion).toBe(3);
  });

  it('publishes connections, requests and retries on diagnostics channels', async () => {
    const { broker, producer } = await setup();
    broker.createTopic('observed', 1);
    const seen: string[] = [];
    const onRequest = (message: unknown) => seen.push(`request:${(message as { apiName: string }).apiName}`);
    const onRetry = (message: unknown) => seen.push(`retry:${(message as { error: KafkaResponseError }).error.errorName}`);
    diagnosticsChannel.subscribe('kafkaesque:client:request', onRequest);
    diagnosticsChannel.subscribe('kafkaesque:client:retry', onRetry);
    try {
      broker.failNext(ApiKey.Produce, 6);
      await producer.send({ topic: 'observed', value: 'x' });
    } finally {
      diagnosticsChannel.unsubscribe('kafkaesque:client:request', onRequest);
      diagnosticsChannel.unsubscribe('kafkaesque:client:retry', onRetry);
    }
    expect(seen).toEqual(expect.arrayContaining(['request:ApiVersions', 'request:Metadata', 'request:InitProducerId', 'request:Produce', 'retry:NOT_LEADER_OR_FOLLOWER']));
    expect(producer.metrics()).toMatchObject({ recordsSent: 1, batchesSent: 1, retries: 1 });
  });

  it('auto-creates a topic on first send when the broker allows it', async () => {
    const { broker, producer } = await setup({}, { autoCreateTopics: true, defaultPartitions: 2 });
    const metadata = await producer.send({ topic: 'created-on-send', value: 'x' });
    expect(broker.topics.get('created-on-send')?.partitions).toHaveLength(2);
    expect(metadata.offset).toBe(0);
  });

  it('waits for buffer memory instead of growing without bound', async () => {
    const { broker, producer } = await setup({ bufferBytesMax: 1000, lingerMs: 0 });
    broker.createTopic('bounded', 1);
    await producer.connect();
    const value = Buffer.alloc(300, 1);
    const sends = Array.from({ length: 20 }, () => producer.send({ topic: 'bounded', value }));
    const results = await Promise.all(sends);
    expect(results.map((result) => result.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // never more than bufferBytesMax in one request: at most 3 such records per batch
    for (const request of broker.requestsOf(ApiKey.Produce)) {
      expect(decodeRecordBatch(Buffer.from(request.body.topicData[0].partitionData[0].records)).recordCount).toBeLessThanOrEqual(3);
    }
  });

  it('authenticates with SASL PLAIN and fails typed with wrong credentials', async () => {
    const broker = await startFakeBroker({ sasl: { mechanism: 'PLAIN', username: 'alice', password: 'secret' } });
    cleanups.push(() => broker.close());
    broker.createTopic('auth', 1);
    const good = new Producer({ bootstrapServers: broker.bootstrap, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'secret' } });
    cleanups.push(() => good.close());
    expect((await good.send({ topic: 'auth', value: 'x' })).offset).toBe(0);
    const bad = new Producer({ bootstrapServers: broker.bootstrap, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'wrong' }, retries: 0 });
    cleanups.push(() => bad.close());
    const error = await bad.send({ topic: 'auth', value: 'x' }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(KafkaAuthenticationError);
    expect((error as KafkaAuthenticationError).code).toBe(58);
  });
});

describe('security against a scripted broker', () => {
  const key = readFileSync(new URL('./support/test-key.pem', import.meta.url));
  const cert = readFileSync(new URL('./support/test-cert.pem', import.meta.url));

  it('connects over TLS, verifying the broker certificate', async () => {
    const broker = await startFakeBroker({ tls: { key, cert } });
    cleanups.push(() => broker.close());
    broker.createTopic('tls', 1);
    const producer = new Producer({ bootstrapServers: broker.bootstrap, tls: { ca: cert } });
    cleanups.push(() => producer.close());
    expect((await producer.send({ topic: 'tls', value: 'secret' })).offset).toBe(0);
    const untrusting = new Producer({ bootstrapServers: broker.bootstrap, tls: true, retries: 0, maxBlockMs: 500 });
    cleanups.push(() => untrusting.close());
    const error = await untrusting.send({ topic: 'tls', value: 'x' }).catch((failure: unknown) => failure);
    expect(String((error as Error).message)).toMatch(/certificate|self.signed|no broker reachable|not available/i);
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const)('authenticates with %s (and over TLS), rejects a wrong password', async (mechanism) => {
    const broker = await startFakeBroker({ tls: { key, cert }, sasl: { mechanism, username: 'alice', password: 'pencil' } });
    cleanups.push(() => broker.close());
    broker.createTopic('scram', 1);
    const producer = new Producer({ bootstrapServers: broker.bootstrap, tls: { ca: cert }, sasl: { mechanism, username: 'alice', password: 'pencil' } });
    cleanups.push(() => producer.close());
    expect((await producer.send({ topic: 'scram', value: 'x' })).offset).toBe(0);
    expect(broker.requestsOf(ApiKey.SaslAuthenticate).length).toBeGreaterThanOrEqual(2);
    const wrong = new Producer({ bootstrapServers: broker.bootstrap, tls: { ca: cert }, sasl: { mechanism, username: 'alice', password: 'wrong' } });
    cleanups.push(() => wrong.close());
    const error = await wrong.send({ topic: 'scram', value: 'x' }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(KafkaAuthenticationError);
  });
});
