/**
 * The same cluster on a real ZooKeeper 3.8 (Debian's zookeeper package) instead of the embedded
 * coordinator: brokers register, elect a controller and keep topic state in Kafka's layout
 * there, and the Jepsen leader-kill scenario (--processes, confluent-kafka idempotent producer,
 * acks=all, RF 3, min.insync.replicas 2, 5 SIGKILLs) passes on it too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CoordinatorClient } from '@kafkaesque/coordinator';
import { startProcessCluster, type ProcessCluster } from '../../../packages/broker/src/cluster/process-cluster.ts';
import { startRealZooKeeper, type RealZooKeeper } from '../coordinator/support.ts';
import { JEPSEN_BROKER_CONFIG, TOPIC, checkReplicasIdentical, runLeaderKill } from './leader-kill.ts';

let zookeeper: RealZooKeeper | undefined;
let cluster: ProcessCluster | undefined;

afterAll(async () => {
  await cluster?.close();
  await zookeeper?.close();
});

describe('brokers on a real ZooKeeper 3.8', () => {
  it('keeps Kafka\'s znode layout and survives 5 leader kills without losing acknowledged writes', async () => {
    zookeeper = await startRealZooKeeper({ forceSync: false });
    const dataDir = mkdtempSync(join(tmpdir(), 'kafkaesque-zk-jepsen-'));
    try {
      cluster = await startProcessCluster({ brokers: 3, dataDir, coordinator: zookeeper.connectString, config: { ...JEPSEN_BROKER_CONFIG, 'zookeeper.session.timeout.ms': '4000' } });
      const zk = new CoordinatorClient({ connectString: zookeeper.connectString });
      await zk.connect();
      try {
        expect((await zk.getChildren('/brokers/ids')).sort()).toEqual(['1', '2', '3']);
        const controller = JSON.parse(String((await zk.getData('/controller')).data));
        expect([1, 2, 3]).toContain(controller.brokerid);
      } finally {
        await zk.close();
      }
      const result = await runLeaderKill(cluster);
      expect(result.kills).toBe(5);
      const check = new CoordinatorClient({ connectString: zookeeper.connectString });
      await check.connect();
      try {
        const state = JSON.parse(String((await check.getData(`/brokers/topics/${TOPIC}/partitions/0/state`)).data));
        expect(state.leader_epoch).toBeGreaterThanOrEqual(5);
      } finally {
        await check.close();
      }
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
