// The comparison itself, without brokers (runs in the compat suite with the harness it checks).
import { describe, expect, it } from 'vitest';
import { compare, matchRule } from './diff.ts';

describe('differential compare', () => {
  it('compares keyed arrays element by key', () => {
    const kafka = { configs: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }] };
    const ours = { configs: [{ name: 'b', value: '2' }, { name: 'a', value: '9' }, { name: 'c', value: '3' }] };
    expect(compare('s', kafka, ours)).toEqual([
      { step: 's', path: 'configs[name=a].value', kafka: '1', kafkaesque: '9' },
      { step: 's', path: 'configs[name=c]', kafka: '(absent)', kafkaesque: { name: 'c', value: '3' } },
    ]);
  });
  it('compares unkeyed arrays by index and reports lengths', () => {
    expect(compare('s', { xs: [1, 2] }, { xs: [1, 3, 4] })).toEqual([
      { step: 's', path: 'xs.length', kafka: 2, kafkaesque: 3 },
      { step: 's', path: 'xs[1]', kafka: 2, kafkaesque: 3 },
    ]);
  });
  it('matches rules by generic and exact paths', () => {
    const rules = [{ step: '*', path: '**.throttleTimeMs', reason: 'r1' }, { step: 'x', path: 'configs[name=a].value', reason: 'r2' },
      { step: 'y', path: 'topics[*].configs[*].configSource', reason: 'r3' }];
    expect(matchRule(rules, { step: 'q', path: 'a[0].throttleTimeMs', kafka: 1, kafkaesque: 2 })?.reason).toBe('r1');
    expect(matchRule(rules, { step: 'x', path: 'configs[name=a].value', kafka: 1, kafkaesque: 2 })?.reason).toBe('r2');
    expect(matchRule(rules, { step: 'x', path: 'configs[name=b].value', kafka: 1, kafkaesque: 2 })).toBeUndefined();
    expect(matchRule(rules, { step: 'y', path: 'topics[name=t].configs[name=c].configSource', kafka: 5, kafkaesque: 6 })?.reason).toBe('r3');
  });
});

describe('differential rule paths', () => {
  it('mixes [*] with exact keys, and **. matches any prefix only at a field boundary', () => {
    const rules = [{ step: '*', path: 'topics[*].configs[name=message.format.version]', reason: 'r1' },
      { step: '*', path: '**.port', reason: 'r2' }];
    const at = (path: string) => matchRule(rules, { step: 's', path, kafka: 1, kafkaesque: 2 })?.reason;
    expect(at('topics[name=t].configs[name=message.format.version]')).toBe('r1');
    expect(at('topics[name=t].configs[name=segment.bytes]')).toBeUndefined();
    expect(at('brokers[nodeId=1].port')).toBe('r2');
    expect(at('port')).toBe('r2');
    expect(at('brokers[0].support')).toBeUndefined();
  });
});
