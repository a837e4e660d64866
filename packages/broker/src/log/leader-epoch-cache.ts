/**
 * The leader-epoch cache (KIP-101): for each leader epoch, the first offset written in it.
 * Followers use it (OffsetForLeaderEpoch) to find where their log diverges from the leader's.
 * Persisted as `leader-epoch-checkpoint` whenever it changes, as Kafka does.
 */
import type { EpochEndOffset, EpochEntry } from './api.ts';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export class LeaderEpochCache {
  #entries: EpochEntry[];
  /** Set when the entries changed since the last checkpoint write. */
  dirty = false;

  constructor(entries: EpochEntry[] = []) {
    this.#entries = entries.map((entry) => ({ ...entry }));
  }

  entries(): EpochEntry[] {
    return this.#entries.map((entry) => ({ ...entry }));
  }

  get latestEpoch(): number {
    return this.#entries.length === 0 ? UNDEFINED_EPOCH : this.#entries[this.#entries.length - 1].epoch;
  }

  get earliestEntry(): EpochEntry | undefined {
    return this.#entries[0];
  }

  /** Records that `epoch` starts at `startOffset`; drops entries this one contradicts. */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0 || startOffset < 0) return;
    const latest = this.#entries[this.#entries.length - 1];
    if (latest && latest.epoch === epoch && startOffset >= latest.startOffset) return;
    while (this.#entries.length > 0) {
      const last = this.#entries[this.#entries.length - 1];
      if (last.epoch >= epoch || last.startOffset >= startOffset) this.#entries.pop();
      else break;
    }
    this.#entries.push({ epoch, startOffset });
    this.dirty = true;
  }

  /** Removes entries starting at or after `endOffset` (log truncation). */
  truncateFromEnd(endOffset: number): void {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((entry) => entry.startOffset < endOffset);
    if (this.#entries.length !== before) this.dirty = true;
  }

  /** The log now starts at `startOffset`: drop older entries, keeping the epoch covering it. */
  truncateFromStart(startOffset: number): void {
    let lastBefore = -1;
    for (let index = 0; index < this.#entries.length; index++) {
      if (this.#entries[index].startOffset <= startOffset) lastBefore = index;
    }
    if (lastBefore < 0) return;
    const covering = this.#entries[lastBefore];
    if (lastBefore === 0 && covering.startOffset === startOffset) return;
    this.#entries = [{ epoch: covering.epoch, startOffset }, ...this.#entries.slice(lastBefore + 1)];
    this.dirty = true;
  }

  clear(): void {
    if (this.#entries.length > 0) this.dirty = true;
    this.#entries = [];
  }

  /** Kafka's endOffsetFor: see EpochEndOffset. */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    if (requestedEpoch === UNDEFINED_EPOCH) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === this.latestEpoch) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.#entries.find((entry) => entry.epoch > requestedEpoch);
    if (!higher) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    let floor: EpochEntry | undefined;
    for (const entry of this.#entries) if (entry.epoch <= requestedEpoch) floor = entry;
    return floor ? { leaderEpoch: floor.epoch, endOffset: higher.startOffset } : { leaderEpoch: requestedEpoch, endOffset: higher.startOffset };
  }

  /** Epoch of the batch holding `offset`: the last entry starting at or before it. */
  epochForOffset(offset: number): number {
    let epoch = UNDEFINED_EPOCH;
    for (const entry of this.#entries) if (entry.startOffset <= offset) epoch = entry.epoch;
    return epoch;
  }
}
