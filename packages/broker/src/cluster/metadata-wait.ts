/**
 * Waiting for the cluster to reach a state, driven by the metadata stores' change events (every
 * cache change is announced to `subscribe` listeners) instead of polling: the wait ends on the
 * change that makes `done` true, not on the next poll tick.
 */
import type { ZkMetadataStore } from './zk-metadata-store.ts';

/**
 * Resolves true once `done()` holds — checked now and after every change any of `stores`
 * announces — or false after `timeoutMs` (callers decide whether that is an error).
 */
export function waitForMetadata(stores: readonly ZkMetadataStore[], done: () => boolean, timeoutMs: number): Promise<boolean> {
  if (done()) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const unsubscribes: Array<() => void> = [];
    const finish = (reached: boolean): void => {
      clearTimeout(timer);
      for (const unsubscribe of unsubscribes) unsubscribe();
      resolve(reached);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const check = (): void => {
      let reached: boolean;
      try {
        reached = done();
      } catch {
        reached = false;
      }
      if (reached) finish(true);
    };
    for (const store of stores) unsubscribes.push(store.subscribe(check));
  });
}
