/**
 * Jepsen-style leader kills, --processes mode (one OS process per broker and per coordinator
 * member): confluent-kafka 1.7.0 / librdkafka 2.0.2 (Debian) idempotent producer with acks=all,
 * RF 3, min.insync.replicas 2; the leader of partition 0 is SIGKILLed and restarted 5 times.
 * Every acknowledged message is consumed exactly once, in order per partition, and afterwards
 * the replicas' logs are identical up to the high watermark.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startProcessCluster, type ProcessCluster } from '../../../packages/broker/src/cluster/process-cluster.ts';
import { JEPSEN_BROKER_CONFIG, checkReplicasIdentical, runLeaderKill } from './leader-kill.ts';

let cluster: ProcessCluster | undefined;
let dataDir = '';

afterAll(async () => {
  await cluster?.close();
});

describe('leader kills with the embedded coordinator, --processes', () => {
  it('loses no acknowledged write and leaves identical replicas', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    dataDir = mkdtempSync(join(tmpdir(), 'kafkaesque-jepsen-'));
    try {
      cluster = await startProcessCluster({ brokers: 3, dataDir, config: JEPSEN_BROKER_CONFIG });
      const result = await runLeaderKill(cluster);
      expect(result.kills).toBe(5);
      await cluster.close();
      cluster = undefined;
      await checkReplicasIdentical(dataDir, [1, 2, 3]);
    } finally {
      await cluster?.close();
      cluster = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 600_000);
});
