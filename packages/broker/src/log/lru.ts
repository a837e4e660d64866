/**
 * Keeps memory and file descriptors bounded with thousands of partitions: segments register the
 * resources they hold (a loaded index, an open file) and the least recently used ones are asked
 * to release them once more than `capacity` are held. Release may refuse (a file in use, the
 * active segment); such an entry stays and is asked again later.
 */
export interface Releasable {
  /** Returns true when released; false keeps the entry (e.g. in use right now). */
  release(): boolean;
}

export class LruPool {
  readonly capacity: number;
  // A Map iterates in insertion order: re-inserting on use makes the first key the oldest.
  readonly #entries = new Map<Releasable, true>();

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
  }

  get size(): number {
    return this.#entries.size;
  }

  touch(entry: Releasable): void {
    this.#entries.delete(entry);
    this.#entries.set(entry, true);
    if (this.#entries.size > this.capacity) this.#evict();
  }

  forget(entry: Releasable): void {
    this.#entries.delete(entry);
  }

  #evict(): void {
    let excess = this.#entries.size - this.capacity;
    for (const entry of [...this.#entries.keys()]) {
      if (excess <= 0) break;
      if (entry.release()) {
        this.#entries.delete(entry);
        excess--;
      }
    }
  }
}
