import { describe, expect, it } from 'vitest';
import { FetchSessionCache } from './sessions.ts';

describe('FetchSessionCache', () => {
  it('creates distinct non-zero ids and evicts the least recently used when full', () => {
    const cache = new FetchSessionCache(2, 60_000);
    const a = cache.create(0, false)!;
    const b = cache.create(1, false)!;
    expect(a.id).not.toBe(0);
    expect(a.id).not.toBe(b.id);
    cache.touch(a, 2);
    const c = cache.create(3, true)!;
    expect(cache.size).toBe(2);
    expect(cache.get(b.id)).toBeUndefined();
    expect(cache.get(a.id)).toBe(a);
    expect(cache.get(c.id)?.usesTopicIds).toBe(true);
  });

  it('drops sessions idle for longer than the idle limit', () => {
    const cache = new FetchSessionCache(10, 100);
    const old = cache.create(0, false)!;
    cache.create(500, false);
    expect(cache.get(old.id)).toBeUndefined();
    expect(cache.size).toBe(1);
  });
});
