import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalMetadataStore } from './local-store.ts';
import { MetadataError, type MetadataChange } from './store.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kafkaesque-meta-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('LocalMetadataStore', () => {
  it('persists topics, configs, broker configs, producer ids and the cluster id across reopen', async () => {
    const dir = tempDir();
    const store = LocalMetadataStore.open(dir);
    await store.registerBroker({ id: 1, host: 'h', port: 1, rack: 'r1' });
    const topic = await store.createTopic({ name: 't', assignments: [[1], [1]], configs: { 'retention.ms': '1' } });
    await store.setTopicConfigs('t', { 'cleanup.policy': 'compact' });
    await store.setBrokerConfigs(null, { 'log.retention.ms': '5' });
    const firstId = await store.allocateProducerIds(1000);
    await store.close();

    const reopened = LocalMetadataStore.open(dir);
    expect(reopened.clusterId).toBe(store.clusterId);
    expect(reopened.topic('t')).toMatchObject({ id: topic.id, configs: { 'cleanup.policy': 'compact' } });
    expect(reopened.topicById(topic.id)?.name).toBe('t');
    expect(reopened.brokerConfigs(null)).toEqual({ 'log.retention.ms': '5' });
    expect(await reopened.allocateProducerIds(1)).toBe(firstId + 1000n);
    expect(reopened.brokers()).toEqual([]);
    await reopened.close();
  });

  it('keeps the cluster id even when nothing else was ever written', async () => {
    const dir = tempDir();
    const first = LocalMetadataStore.open(dir);
    await first.close();
    expect(LocalMetadataStore.open(dir).clusterId).toBe(first.clusterId);
  });

  it('elects leaders from live brokers and announces changes', async () => {
    const store = LocalMetadataStore.open(tempDir());
    const changes: MetadataChange['kind'][] = [];
    store.subscribe((change) => changes.push(change.kind));
    await store.registerBroker({ id: 2, host: 'h', port: 2, rack: null });
    await store.registerBroker({ id: 1, host: 'h', port: 1, rack: null });
    expect(store.controllerId()).toBe(1);
    await store.createTopic({ name: 'x', assignments: [[2], [1]], configs: {} });
    expect(store.topic('x')!.partitions.map((p) => p.leader)).toEqual([2, 1]);
    await store.unregisterBroker(2);
    expect(store.topic('x')!.partitions[0]).toMatchObject({ leader: -1, leaderEpoch: 0 });
    await store.registerBroker({ id: 2, host: 'h', port: 2, rack: null });
    expect(store.topic('x')!.partitions[0]).toMatchObject({ leader: 2, leaderEpoch: 1 });
    await expect(store.createTopic({ name: 'x', assignments: [[1]], configs: {} })).rejects.toBeInstanceOf(MetadataError);
    await store.deleteTopic('x');
    expect(store.topic('x')).toBeUndefined();
    expect(changes).toContain('topic-created');
    expect(changes).toContain('partition-changed');
    expect(changes).toContain('topic-deleted');
    await store.close();
  });
});
