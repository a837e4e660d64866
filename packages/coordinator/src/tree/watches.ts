/**
 * One-shot watches of the connections attached to this member (ZooKeeper's WatchManager).
 * Data watches (getData, and exists on an existing node) and exist watches (exists on a missing
 * node) share one table, as in ZooKeeper; child watches have their own. A trigger removes the
 * watches it fires, and a watcher gets at most one event per trigger even if it watched the
 * path both ways.
 */
import { ZkEventType } from '@kafkaesque/protocol/jute';
import type { WatchTrigger } from './data-tree.ts';

export interface WatchDelivery<W> {
  watcher: W;
  type: number;
  path: string;
}

export class WatchManager<W> {
  private readonly dataWatches = new Map<string, Set<W>>();
  private readonly childWatches = new Map<string, Set<W>>();

  addDataWatch(path: string, watcher: W): void {
    add(this.dataWatches, path, watcher);
  }

  addChildWatch(path: string, watcher: W): void {
    add(this.childWatches, path, watcher);
  }

  /** The deliveries for a txn's triggers, in trigger order. */
  trigger(triggers: readonly WatchTrigger[]): WatchDelivery<W>[] {
    const deliveries: WatchDelivery<W>[] = [];
    for (const { type, path } of triggers) {
      const fired = new Set<W>();
      if (type !== ZkEventType.NodeChildrenChanged) take(this.dataWatches, path, fired);
      if (type === ZkEventType.NodeChildrenChanged || type === ZkEventType.NodeDeleted) take(this.childWatches, path, fired);
      for (const watcher of fired) deliveries.push({ watcher, type, path });
    }
    return deliveries;
  }

  /** Drops every watch of a watcher (its connection closed). */
  removeWatcher(watcher: W): void {
    for (const table of [this.dataWatches, this.childWatches]) {
      for (const [path, watchers] of table) {
        if (watchers.delete(watcher) && watchers.size === 0) table.delete(path);
      }
    }
  }

  get watchCount(): number {
    let count = 0;
    for (const table of [this.dataWatches, this.childWatches]) for (const watchers of table.values()) count += watchers.size;
    return count;
  }

  get watchedPathCount(): number {
    return new Set([...this.dataWatches.keys(), ...this.childWatches.keys()]).size;
  }
}

function add<W>(table: Map<string, Set<W>>, path: string, watcher: W): void {
  let watchers = table.get(path);
  if (watchers === undefined) {
    watchers = new Set();
    table.set(path, watchers);
  }
  watchers.add(watcher);
}

function take<W>(table: Map<string, Set<W>>, path: string, into: Set<W>): void {
  const watchers = table.get(path);
  if (watchers === undefined) return;
  table.delete(path);
  for (const watcher of watchers) into.add(watcher);
}
