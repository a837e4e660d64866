/**
 * Consumer groups with the Python clients: kafka-python 2.0.2 from Debian (the seed flow with a
 * group and its admin client), confluent-kafka 1.7.0 / librdkafka 2.0.2 from Debian (three
 * consumers, one leaves; eager range and cooperative-sticky) and the latest confluent-kafka
 * from PyPI with the KIP-848 consumer protocol. A missing client fails the test.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { lastJsonLine, runPython } from '../support/programs.ts';

const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 1, config: { 'group.initial.rebalance.delay.ms': '0', 'group.consumer.heartbeat.interval.ms': '1000' } });
});

afterAll(async () => {
  await cluster?.close();
});

describe('consumer groups with Python clients', () => {
  it('kafka-python 2.0.2: group consumer reads and commits; admin lists, describes and shows offsets', async () => {
    const result = await runPython(script('kafka_python_seed_group.py'), [cluster.bootstrap, 'bank-group'], { venv: 'debian', module: 'kafka', timeoutMs: 90_000 });
    const observed = lastJsonLine<{
      values: string[]; committed: number; listed: string[][]; offsets: Record<string, number>;
      live: { state: string; protocol_type: string; protocol: string; members: number }; after_close_state: string;
    }>(result);
    expect(observed.values).toEqual(['{"atmid": 1, "transid": 100}', '{"atmid": 2, "transid": 101}']);
    expect(observed.committed).toBe(2);
    expect(observed.listed).toContainEqual(['bank-group', 'consumer']);
    expect(observed.offsets).toEqual({ 'bankbranch-0': 2 });
    expect(observed.live).toMatchObject({ state: 'Stable', protocol_type: 'consumer', members: 1 });
    expect(['range', 'roundrobin']).toContain(observed.live.protocol);
    expect(observed.after_close_state).toBe('Empty');
  });

  const confluentRuns: { name: string; strategy: string; venv: 'debian' | 'confluent-kafka-pypi' }[] = [
    { name: 'confluent-kafka 1.7.0 / librdkafka 2.0.2, range', strategy: 'range', venv: 'debian' },
    { name: 'confluent-kafka 1.7.0 / librdkafka 2.0.2, cooperative-sticky', strategy: 'cooperative-sticky', venv: 'debian' },
    { name: 'confluent-kafka from PyPI (librdkafka >= 2.4), group.protocol=consumer (KIP-848)', strategy: 'consumer', venv: 'confluent-kafka-pypi' },
  ];
  for (const { name, strategy, venv } of confluentRuns) {
    it(`${name}: 3 consumers split 6 partitions, the rest take over when one leaves, nothing lost`, async () => {
      const result = await runPython(script('confluent_group.py'), [cluster.bootstrap, `cf-${strategy}`, strategy], { venv, module: 'confluent_kafka', timeoutMs: 240_000 });
      const observed = lastJsonLine<{
        three_covered: boolean; three: Record<string, number[]>; two_covered: boolean; two: Record<string, number[]>;
        all_read: boolean; unique_read: number; produced: number; violations: number[][];
      }>(result);
      expect(observed.three_covered, JSON.stringify(observed.three)).toBe(true);
      expect(Object.values(observed.three).flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(observed.two_covered, JSON.stringify(observed.two)).toBe(true);
      expect(Object.values(observed.two).flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(observed.all_read).toBe(true);
      expect(observed.unique_read).toBe(observed.produced);
      expect(observed.violations).toEqual([]);
    });
  }
});
