// The broker issue's "done means" with third-party clients (pnpm test:compat):
// kafka-python 2.0.2 (the seed's flow), kcat (-L, -P with every codec, -C -e), and
// confluent-kafka (idempotent acks=all producer in every codec, assigned consumer).
// A missing client fails loudly (requirePython / requireProgram throw).
import { fileURLToPath } from 'node:url';
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, requireProgram, runProgram, runPython } from '../support/programs.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 1 });
});

afterAll(async () => {
  await cluster?.close();
});

describe('kafka-python 2.0.2 (Debian python3-kafka)', () => {
  it('runs the seed flow: create, describe configs, list, produce JSON, consume without group, delete', async () => {
    const result = await runPython(here('./kafka_python_seed.py'), [], {
      venv: 'debian',
      module: 'kafka',
      env: { KAFKAESQUE_BOOTSTRAP: cluster.bootstrap, TOPIC: 'bankbranch' },
      timeoutMs: 120_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const report = lastJsonLine<{ configs: Record<string, string>; topics: string[]; received: unknown[]; topics_after_delete: string[] }>(result);
    expect(report.topics).toContain('bankbranch');
    expect(report.configs).toMatchObject({
      'cleanup.policy': 'delete',
      'retention.ms': '604800000',
      'segment.bytes': '1073741824',
      'min.insync.replicas': '1',
      'max.message.bytes': '1048588',
    });
    expect(report.received).toEqual([{ atmid: 1, transid: 100 }, { atmid: 2, transid: 101 }]);
    expect(report.topics_after_delete).not.toContain('bankbranch');
  });
});

describe('kcat', () => {
  it('lists brokers and topics, produces with every codec and reads every message back', async () => {
    const kcat = requireProgram('kcat', 'Debian package kcat');
    const topic = 'kcat-codecs';
    const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    for (const codec of codecs) {
      const lines = Array.from({ length: 20 }, (_, i) => `${codec}-${i}`).join('\n') + '\n';
      const produced = await runProgram(kcat, ['-b', cluster.bootstrap, '-P', '-t', topic, '-z', codec], { input: lines, timeoutMs: 60_000 });
      expect(produced.code, produced.stderr).toBe(0);
    }
    const listed = await runProgram(kcat, ['-b', cluster.bootstrap, '-L'], { timeoutMs: 30_000 });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`broker 1 at ${cluster.bootstrap}`);
    expect(listed.stdout).toContain(`topic "${topic}" with 1 partitions`);
    const consumed = await runProgram(kcat, ['-b', cluster.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q'], { timeoutMs: 60_000 });
    expect(consumed.code, consumed.stderr).toBe(0);
    const expected = codecs.flatMap((codec) => Array.from({ length: 20 }, (_, i) => `${codec}-${i}`));
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(expected.sort());
  });
});

describe('confluent-kafka (Debian python3-confluent-kafka)', () => {
  it('produces idempotently with acks=all in every codec and reads everything by assignment', async () => {
    const result = await runPython(here('./confluent_idempotent.py'), [], {
      venv: 'debian',
      module: 'confluent_kafka',
      env: { KAFKAESQUE_BOOTSTRAP: cluster.bootstrap, TOPIC: 'confluent-idempotent' },
      timeoutMs: 120_000,
    });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const report = lastJsonLine<{ delivered: Record<string, number>; received: number; expected: number }>(result);
    expect(report.delivered).toEqual({ none: 50, gzip: 50, snappy: 50, lz4: 50, zstd: 50 });
    expect(report.received).toBe(report.expected);
  });
});
