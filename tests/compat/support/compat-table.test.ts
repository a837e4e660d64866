import { describe, expect, it } from 'vitest';
import { renderTable } from './compat-table.ts';

describe('compat table', () => {
  it('shows pass, FAIL, n/a and not run, with notes', () => {
    const finishedAt = '2026-01-01T00:00:00.000Z';
    const table = renderTable([
      { suite: 'a', target: 'real-kafka-3.9', version: '1', finishedAt,
        features: { 'produce.none': { ok: true }, commit: { ok: false, error: 'boom' }, 'admin.createTopics': { ok: false, unsupported: 'no admin' } } },
      { suite: 'b', target: 'real-kafka-3.9', finishedAt, features: {}, failure: 'compat lab: required program "kcat" is not installed' },
    ]);
    expect(table).toContain('| client | version | admin.createTopics | produce.none | commit |');
    expect(table).toContain('| a | 1 | n/a | pass | **FAIL** |');
    expect(table).toContain('| b | ? | not run | not run | not run |');
    expect(table).toContain('- a commit: boom');
    expect(table).toContain('- b: not run: compat lab: required program "kcat" is not installed');
  });
});
