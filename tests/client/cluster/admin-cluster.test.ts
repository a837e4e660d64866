import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, until } from './support.ts';

const harness = new Harness();
beforeAll(() => harness.start(3));
afterAll(() => harness.stop());

describe('Admin against a 3-broker kafkaesque cluster', () => {
  it('reassigns a partition to other brokers and elects the preferred leader', async () => {
    const admin = harness.admin();
    await admin.createTopics([{ name: 'moving', replicaAssignment: { 0: [1] } }]);
    expect((await admin.describeTopics(['moving']))[0].partitions[0].replicas).toEqual([1]);
    await admin.reassignPartitions([{ topic: 'moving', partition: 0, replicas: [2, 3] }]);
    await until(async () => {
      const [topic] = await admin.describeTopics(['moving']);
      const partition = topic.partitions[0];
      return partition.replicas.join() === '2,3' && [2, 3].includes(partition.leaderId);
    }, 'the reassignment to complete');
    await admin.electLeaders([{ topic: 'moving', partition: 0 }]);
    await until(async () => (await admin.describeTopics(['moving']))[0].partitions[0].leaderId === 2, 'the preferred leader');
  });

  it('describes a cluster of three brokers', async () => {
    const description = await harness.admin().describeCluster();
    expect(description.brokers.map((broker) => broker.nodeId).sort()).toEqual([1, 2, 3]);
    expect([1, 2, 3]).toContain(description.controllerId);
  });
});
