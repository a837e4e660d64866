import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BrokerConfig, parseListeners, parseProperties } from './broker-config.ts';
import { ConfigError, ConfigSource, ConfigType, validateConfigValue } from './config-types.ts';
import { logConfigFor } from './log-config.ts';
import { TOPIC_CONFIG_BY_NAME, TOPIC_CONFIGS, validateTopicConfigs } from './topic-config.ts';

describe('parseProperties', () => {
  it('reads key=value, key: value, comments and continuations', () => {
    const text = '# comment\n! other\nnum.partitions=3\nlog.dirs : /a,/b\nlisteners=PLAINTEXT://\\\n  127.0.0.1:9093\n\nempty\n';
    expect(parseProperties(text)).toEqual({ 'num.partitions': '3', 'log.dirs': '/a,/b', listeners: 'PLAINTEXT://127.0.0.1:9093', empty: '' });
  });
});

describe('parseListeners', () => {
  it('parses names, hosts (IPv6 too) and ports; rejects junk', () => {
    expect(parseListeners('PLAINTEXT://:9092,INTERNAL://[::1]:9093')).toEqual([
      { name: 'PLAINTEXT', host: '', port: 9092 },
      { name: 'INTERNAL', host: '::1', port: 9093 },
    ]);
    expect(() => parseListeners('localhost:9092')).toThrow(ConfigError);
  });
});

describe('BrokerConfig', () => {
  it('layers defaults < static < dynamic default < dynamic per broker', () => {
    const config = new BrokerConfig({ 'num.partitions': '3' });
    expect(config.resolve('num.partitions')).toMatchObject({ value: '3', source: ConfigSource.staticBroker });
    expect(config.resolve('default.replication.factor')).toMatchObject({ value: '1', source: ConfigSource.default });
    config.setDynamic({ 'log.retention.ms': '1000' }, { 'log.retention.ms': '2000' });
    const resolved = config.resolve('log.retention.ms');
    expect(resolved).toMatchObject({ value: '2000', source: ConfigSource.dynamicBroker });
    expect(resolved.synonyms.map((s) => s.source)).toEqual([ConfigSource.dynamicBroker, ConfigSource.dynamicDefaultBroker]);
  });

  it('resolves topic configs through broker synonyms with unit scaling', () => {
    const config = new BrokerConfig({ 'log.retention.hours': '1' });
    expect(config.topicValue('retention.ms', {})).toBe('3600000');
    expect(config.resolveTopic(TOPIC_CONFIG_BY_NAME.get('retention.ms')!, {})).toMatchObject({ source: ConfigSource.staticBroker });
    expect(config.topicValue('retention.ms', { 'retention.ms': '5' })).toBe('5');
    const minutes = new BrokerConfig({ 'log.retention.minutes': '2', 'log.retention.hours': '1' });
    expect(minutes.topicValue('retention.ms', {})).toBe('120000');
    expect(new BrokerConfig().topicValue('retention.ms', {})).toBe('604800000');
    expect(new BrokerConfig({ 'message.max.bytes': '5000' }).topicValue('max.message.bytes', {})).toBe('5000');
  });

  it('every topic config resolves to its Kafka default on a default broker', () => {
    const config = new BrokerConfig();
    for (const definition of TOPIC_CONFIGS) {
      expect(config.topicValue(definition.name, {}), definition.name).toBe(definition.defaultValue);
    }
  });

  it('maps topic settings onto the log configuration', () => {
    const log = logConfigFor(new BrokerConfig({ 'log.segment.bytes': '1048576' }), { 'cleanup.policy': 'compact,delete', 'retention.ms': '-1' });
    expect(log).toMatchObject({ segmentBytes: 1048576, cleanupPolicy: 'compact,delete', retentionMs: -1, maxMessageBytes: 1048588, messageTimestampType: 'CreateTime' });
    expect(log.flushMessages).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects invalid static values', () => {
    expect(() => new BrokerConfig({ 'num.partitions': 'many' })).toThrow(ConfigError);
    expect(() => new BrokerConfig({ 'num.partitions': '0' })).toThrow(ConfigError);
  });
});

describe('validation', () => {
  it('accepts what Kafka accepts and rejects the rest', () => {
    expect(() => validateTopicConfigs({ 'cleanup.policy': 'compact,delete', 'retention.ms': '-1', 'min.cleanable.dirty.ratio': '0.9' })).not.toThrow();
    const bads: Array<Record<string, string>> = [{ 'cleanup.policy': 'shred' }, { 'retention.ms': '1.5' }, { 'segment.bytes': '3' }, { 'no.such': '1' }, { preallocate: 'yes' }, { 'min.cleanable.dirty.ratio': '2' }];
    for (const bad of bads) {
      expect(() => validateTopicConfigs(bad), JSON.stringify(bad)).toThrow();
    }
  });

  it('int values are checked against their type bounds', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }), (value) => {
        const fits = value >= -(2n ** 31n) && value < 2n ** 31n;
        const check = () => validateConfigValue('x', ConfigType.int, String(value));
        if (fits) expect(check).not.toThrow();
        else expect(check).toThrow(ConfigError);
      }),
      { numRuns: 200 },
    );
  });
});
