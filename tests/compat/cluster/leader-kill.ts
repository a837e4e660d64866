/**
 * The Jepsen-style leader-kill scenario, shared by the embedded-coordinator and the real
 * ZooKeeper runs: confluent-kafka's idempotent producer (acks=all) writes to a topic with RF 3
 * and min.insync.replicas 2 while the leader of partition 0 is SIGKILLed and restarted five
 * times. Then every acknowledged message must be consumed exactly once, in order per partition,
 * and the replicas' logs must be identical up to the high watermark.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { openLogManager } from '@kafkaesque/broker';
import type { ProcessCluster } from '../../../packages/broker/src/cluster/process-cluster.ts';
import { RawClient } from '../../broker/support/raw-client.ts';
import { lastJsonLine, requirePython, runPython } from '../support/programs.ts';
import { spawn } from 'node:child_process';

const script = fileURLToPath(new URL('jepsen_client.py', import.meta.url));
export const TOPIC = 'jepsen';
const PARTITIONS = 3;
const KILLS = 5;

export const JEPSEN_BROKER_CONFIG = {
  'min.insync.replicas': '2',
  'replica.lag.time.max.ms': '4000',
  'zookeeper.session.timeout.ms': '3000',
  'auto.leader.rebalance.enable': 'false',
};

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function createTopic(cluster: ProcessCluster): Promise<void> {
  const client = await RawClient.connect(cluster.bootstrap);
  try {
    const body = await client.request(19, 5, {
      topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(body.topics[0].errorCode).toBe(0);
  } finally {
    client.close();
  }
  await waitFor(() => cluster.metadata.topic(TOPIC)?.partitions.every((p) => p.leader > 0 && p.isr.length === 3) ?? false, 'topic ready');
}

interface Acked { acked: Array<[number, number, string]>; failed: number; sent: number; unflushed: number }
interface Consumed { partitions: Record<string, Array<[number, string]>>; ends: Record<string, number> }

export async function runLeaderKill(cluster: ProcessCluster): Promise<{ acked: number; kills: number }> {
  const python = requirePython('debian', 'confluent_kafka');
  await createTopic(cluster);
  const work = mkdtempSync(join(tmpdir(), 'jepsen-'));
  const stopFile = join(work, 'stop');
  let producer: ReturnType<typeof spawn> | undefined;
  try {
    producer = spawn(python, [script, 'produce', cluster.bootstrap, TOPIC, stopFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let stdout = '';
    let stderr = '';
    producer.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    producer.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
    const running = producer;
    const exited = new Promise<number | null>((resolve) => running.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (let kill = 0; kill < KILLS; kill++) {
      const state = cluster.metadata.topic(TOPIC)!.partitions[0];
      const leader = state.leader;
      await cluster.killBroker(leader);
      await waitFor(() => {
        const now = cluster.metadata.topic(TOPIC)!.partitions[0];
        return now.leader > 0 && now.leader !== leader && now.leaderEpoch > state.leaderEpoch;
      }, `a new leader after killing ${leader}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await cluster.restartBroker(leader);
      await waitFor(() => cluster.metadata.topic(TOPIC)!.partitions.every((p) => p.isr.length === 3), `broker ${leader} back in every ISR`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    writeFileSync(stopFile, '');
    const code = await exited;
    const produced = lastJsonLine<Acked>({ code, signal: null, stdout, stderr });
    expect(produced.unflushed).toBe(0);
    expect(produced.acked.length).toBeGreaterThan(200);

    const consumedRun = await runPython(script, ['consume', cluster.bootstrap, TOPIC], { venv: 'debian', module: 'confluent_kafka', timeoutMs: 180_000 });
    const consumed = lastJsonLine<Consumed>(consumedRun);
    checkExactlyOnceInOrder(produced, consumed);
    return { acked: produced.acked.length, kills: KILLS };
  } finally {
    if (!existsSync(stopFile)) writeFileSync(stopFile, '');
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (producer !== undefined && producer.exitCode === null) producer.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

function checkExactlyOnceInOrder(produced: Acked, consumed: Consumed): void {
  const occurrences = new Map<string, number>();
  for (const records of Object.values(consumed.partitions)) {
    for (const [, value] of records) occurrences.set(value, (occurrences.get(value) ?? 0) + 1);
  }
  for (const [partition, offset, value] of produced.acked) {
    const records = consumed.partitions[String(partition)];
    const at = records.find(([candidate]) => candidate === offset);
    expect(at?.[1], `acknowledged ${value} at ${partition}/${offset}`).toBe(value);
    expect(occurrences.get(value), `${value} consumed once`).toBe(1);
  }
  // In order per partition: the producer's sequence numbers only grow along each log.
  for (const records of Object.values(consumed.partitions)) {
    for (let i = 1; i < records.length; i++) expect(Number(records[i][1])).toBeGreaterThan(Number(records[i - 1][1]));
    for (let i = 1; i < records.length; i++) expect(records[i][0]).toBe(records[i - 1][0] + 1);
  }
}

/** After the cluster stopped: every replica's log, read from disk, is identical up to the high watermark. */
export async function checkReplicasIdentical(dataDir: string, brokerIds: number[]): Promise<void> {
  const managers = await Promise.all(
    brokerIds.map((id) => openLogManager({ logDirs: [join(dataDir, `broker-${id}`)], brokerId: id, backgroundTasks: false })),
  );
  try {
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const logs = managers.map((manager) => manager.getLog({ topic: TOPIC, partition })!);
      const highWatermark = Math.min(...logs.map((log) => log.highWatermark));
      expect(highWatermark).toBeGreaterThan(0);
      const contents = await Promise.all(logs.map((log) => readUpTo(log, highWatermark)));
      for (let i = 1; i < contents.length; i++) expect(contents[i].equals(contents[0]), `replica ${brokerIds[i]} of partition ${partition}`).toBe(true);
    }
  } finally {
    await Promise.all(managers.map((manager) => manager.close()));
  }
}

async function readUpTo(log: { logStartOffset: number; read: (offset: number, maxBytes: number, options: { maxOffset: number }) => Promise<{ records: Buffer }> }, upTo: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < upTo) {
    const { records } = await log.read(offset, 1 << 20, { maxOffset: upTo });
    if (records.length === 0) break;
    parts.push(records);
    let position = 0;
    while (position + 61 <= records.length) {
      offset = Number(records.readBigInt64BE(position)) + records.readInt32BE(position + 23) + 1;
      position += 12 + records.readInt32BE(position + 8);
    }
  }
  return Buffer.concat(parts);
}


