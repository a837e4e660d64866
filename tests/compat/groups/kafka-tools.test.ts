/**
 * Kafka's own tools read our __consumer_offsets: after a kafkajs group commits, Apache Kafka
 * 4.1's DumpLogSegments --offsets-decoder decodes the group metadata and offset commit records
 * of the group's partition (the jars come from the compat lab's Maven set; missing → failure).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { partitionForKey, startCluster } from '@kafkaesque/broker';
import { mavenClasspath, requireProgram, runProgram } from '../support/programs.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'groups-kafka-tools-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Kafka tools decode our __consumer_offsets', () => {
  it('DumpLogSegments --offsets-decoder shows the group and its committed offset', async () => {
    const cluster = await startCluster({ brokers: 1, dataDir, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '4' } });
    try {
      const kafka = new Kafka({ clientId: 'tools-test', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'tools-topic', numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'tools-topic', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: 'tools-group', maxWaitTimeInMs: 100 });
      let read = 0;
      await consumer.connect();
      await consumer.subscribe({ topic: 'tools-topic', fromBeginning: true });
      await consumer.run({ eachMessage: async () => { read++; } });
      const started = Date.now();
      while (read < 3 && Date.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 50));
      await consumer.disconnect();
    } finally {
      await cluster.close();
    }
    const segment = join(dataDir, 'broker-1', `__consumer_offsets-${partitionForKey('tools-group', 4)}`, '00000000000000000000.log');
    const result = await runProgram(requireProgram('java'), ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', mavenClasspath('kafka-4.1'),
      'kafka.tools.DumpLogSegments', '--offsets-decoder', '--print-data-log', '--files', segment], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('key: {"type":"2","data":{"group":"tools-group"}} payload: {"version":"3","data":{"protocolType":"consumer","generation":1');
    expect(result.stdout).toContain('"subscription":{"topics":["tools-topic"]');
    expect(result.stdout).toContain('key: {"type":"1","data":{"group":"tools-group","topic":"tools-topic","partition":0}} payload: {"version":"3","data":{"offset":3,');
    expect(result.stdout).not.toContain('isvalid: false');
  });

  it('DumpLogSegments --offsets-decoder reads the KIP-848 group records', async () => {
    const kipDir = mkdtempSync(join(tmpdir(), 'groups-kafka-tools-848-'));
    try {
      const cluster = await startCluster({ brokers: 1, dataDir: kipDir, config: { 'offsets.topic.num.partitions': '4', 'group.consumer.heartbeat.interval.ms': '500' } });
      try {
        const kafka = new Kafka({ clientId: 'tools-test', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: 'kip-topic', numPartitions: 2 }], waitForLeaders: true });
        await admin.disconnect();
        const consumer = new Consumer({ clientId: 'kip-client', groupId: 'kip-group', bootstrapBrokers: [cluster.bootstrap], deserializers: stringDeserializers, groupProtocol: 'consumer' });
        await consumer.consume({ topics: ['kip-topic'], mode: 'earliest' });
        const started = Date.now();
        while ((consumer.assignments ?? []).flatMap((entry) => entry.partitions).length < 2 && Date.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 50));
        await consumer.close(true);
      } finally {
        await cluster.close();
      }
      const segment = join(kipDir, 'broker-1', `__consumer_offsets-${partitionForKey('kip-group', 4)}`, '00000000000000000000.log');
      const result = await runProgram(requireProgram('java'), ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', mavenClasspath('kafka-4.1'),
        'kafka.tools.DumpLogSegments', '--offsets-decoder', '--print-data-log', '--files', segment], { timeoutMs: 120_000 });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('key: {"type":"3","data":{"groupId":"kip-group"}} payload: {"version":"0","data":{"epoch":');
      expect(result.stdout).toMatch(/key: \{"type":"5","data":\{"groupId":"kip-group","memberId":"[^"]+"\}\} payload: \{"version":"0","data":\{[^\n]*"clientId":"kip-client"[^\n]*"subscribedTopicNames":\["kip-topic"\]/);
      expect(result.stdout).toMatch(/key: \{"type":"8","data":\{"groupId":"kip-group","memberId":"[^"]+"\}\} payload: \{"version":"0","data":\{"memberEpoch":/);
      expect(result.stdout).toContain('"type":"7"');
      expect(result.stdout).toContain('"type":"6"');
      expect(result.stdout).not.toContain('isvalid: false');
    } finally {
      rmSync(kipDir, { recursive: true, force: true });
    }
  });
});
