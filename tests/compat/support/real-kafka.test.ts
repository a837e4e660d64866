// The real Kafka fixture itself: it serves requests, and close() stops the JVM and removes its dir.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeApiVersions } from './kafka-probe.ts';
import { startRealKafka } from './real-kafka.ts';

describe('startRealKafka', () => {
  it('starts a KRaft broker on loopback that answers ApiVersions, and close() cleans up', async () => {
    // A random base64url cluster id starts with '-' one time in 64; the storage tool must get it whole.
    const clusterId = '-Kq8vZJ0RlGmV3xYbT2wAw';
    const kafka = await startRealKafka({ version: '3.9', config: { 'auto.create.topics.enable': 'false' }, clusterId });
    try {
      expect(kafka.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(kafka.clusterId).toBe(clusterId);
      expect(await probeApiVersions(kafka.host, kafka.port, 10_000)).toBe(0);
      expect(kafka.log()).toContain('auto.create.topics.enable = false');
    } finally {
      await kafka.close();
    }
    expect(existsSync(kafka.dir)).toBe(false);
    await expect(probeApiVersions(kafka.host, kafka.port, 2_000)).rejects.toThrow();
  });
});
