/**
 * confluent-kafka (Debian: 1.7.0 / librdkafka 2.0.2) through a 3-broker in-process cluster: a
 * topic with 6 partitions and RF 3 has leaders on all three brokers, and an idempotent acks=all
 * producer and a group consumer move 60 messages through it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { RawClient } from '../../broker/support/raw-client.ts';
import { lastJsonLine, runPython } from '../support/programs.ts';

const script = fileURLToPath(new URL('confluent_spread.py', import.meta.url));
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, config: { 'group.initial.rebalance.delay.ms': '0' } });
});

afterAll(async () => {
  await cluster?.close();
});

describe('confluent-kafka on 3 brokers, RF 3', () => {
  it('produces to and consumes from 6 partitions led by all three brokers', async () => {
    const client = await RawClient.connect(cluster.bootstrap);
    try {
      const body = await client.request(19, 5, { topics: [{ name: 'spread6', numPartitions: 6, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(body.topics[0].errorCode).toBe(0);
    } finally {
      client.close();
    }
    expect(new Set(cluster.metadata.topic('spread6')!.partitions.map((p) => p.leader))).toEqual(new Set([1, 2, 3]));
    const result = await runPython(script, [cluster.bootstrap, 'spread6'], { venv: 'debian', module: 'confluent_kafka', timeoutMs: 120_000 });
    const observed = lastJsonLine<{ delivered: number; partitions: number[]; consumed: string[] }>(result);
    expect(observed.delivered).toBe(60);
    expect(observed.partitions).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...observed.consumed].sort()).toEqual(Array.from({ length: 60 }, (_, i) => `v${i}`).sort());
  });
});
