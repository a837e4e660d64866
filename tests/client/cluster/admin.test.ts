import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '@kafkaesque/broker';
import { Admin, Producer, KafkaResponseError } from '@kafkaesque/client';

let cluster: Awaited<ReturnType<typeof startCluster>>;
let admin: Admin;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 1 });
  admin = new Admin({ bootstrapServers: cluster.bootstrap });
});
afterAll(async () => {
  await admin?.close();
  await cluster?.close();
});

describe('Admin against kafkaesque', () => {
  it('creates, lists, describes and deletes topics', async () => {
    await admin.createTopics([{ name: 'admin-a', numPartitions: 3, replicationFactor: 1 }, { name: 'admin-b', numPartitions: 1 }]);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['admin-a', 'admin-b']));
    const [described] = await admin.describeTopics(['admin-a']);
    expect(described.partitions).toHaveLength(3);
    expect(described.partitions.every((partition) => partition.leaderId >= 0)).toBe(true);
    const duplicate = await admin.createTopics([{ name: 'admin-a', numPartitions: 1 }]).catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(KafkaResponseError);
    expect((duplicate as KafkaResponseError).errorName).toBe('TOPIC_ALREADY_EXISTS');
    await admin.deleteTopics(['admin-b']);
    expect(await admin.listTopics()).not.toContain('admin-b');
  });

  it('describes and alters topic configs', async () => {
    await admin.createTopics([{ name: 'admin-config', numPartitions: 1, configs: { 'retention.ms': '3600000' } }]);
    const [before] = await admin.describeConfigs([{ type: 'topic', name: 'admin-config' }]);
    expect(before.configs.find((config) => config.name === 'retention.ms')?.value).toBe('3600000');
    await admin.incrementalAlterConfigs([{ type: 'topic', name: 'admin-config', configs: [{ name: 'retention.ms', value: '7200000' }] }]);
    const [after] = await admin.describeConfigs([{ type: 'topic', name: 'admin-config', configNames: ['retention.ms'] }]);
    expect(after.configs).toEqual([expect.objectContaining({ name: 'retention.ms', value: '7200000' })]);
  });

  it('adds partitions', async () => {
    await admin.createTopics([{ name: 'admin-grow', numPartitions: 1 }]);
    await admin.createPartitions([{ topic: 'admin-grow', count: 4 }]);
    const [described] = await admin.describeTopics(['admin-grow']);
    expect(described.partitions).toHaveLength(4);
  });

  it('describes the cluster', async () => {
    const description = await admin.describeCluster();
    expect(description.brokers.map((broker) => broker.nodeId)).toEqual([1]);
    expect(description.controllerId).toBe(1);
  });

  it('lists offsets and deletes records', async () => {
    await admin.createTopics([{ name: 'admin-records', numPartitions: 1 }]);
    const producer = new Producer({ bootstrapServers: cluster.bootstrap });
    try {
      await Promise.all(Array.from({ length: 10 }, (_, i) => producer.send({ topic: 'admin-records', value: `v${i}` })));
    } finally {
      await producer.close();
    }
    const [latest] = await admin.listOffsets([{ topic: 'admin-records', partition: 0, at: 'latest' }]);
    expect(latest.offset).toBe(10);
    const [low] = await admin.deleteRecords([{ topic: 'admin-records', partition: 0, offset: 4 }]);
    expect(low.offset).toBe(4);
    const [earliest] = await admin.listOffsets([{ topic: 'admin-records', partition: 0, at: 'earliest' }]);
    expect(earliest.offset).toBe(4);
  });
});
