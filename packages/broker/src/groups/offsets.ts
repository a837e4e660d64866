/**
 * Committed offsets of the groups one coordinator holds, in memory (the log of __consumer_offsets
 * is the durable copy; this map is rebuilt from it on load). Expiry follows KIP-211: an offset
 * with an explicit expire timestamp (OffsetCommit v1 / retention_time_ms) expires then; otherwise
 * offsets of a group with no members expire offsets.retention.minutes after the group became
 * empty (or, for groups without a protocol type, after the commit).
 */
export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Explicit expiry (OffsetCommit v1 timestamp or v2–4 retention), else null. */
  expireTimestampMs: number | null;
}

export interface TopicPartitionOffset extends CommittedOffset {
  topic: string;
  partition: number;
}

/** topic → partition → offset */
type GroupOffsets = Map<string, Map<number, CommittedOffset>>;

export class OffsetTable {
  readonly #groups = new Map<string, GroupOffsets>();

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.#groups.get(groupId)?.get(topic)?.get(partition);
  }

  put(groupId: string, topic: string, partition: number, offset: CommittedOffset): void {
    let group = this.#groups.get(groupId);
    if (!group) this.#groups.set(groupId, (group = new Map()));
    let partitions = group.get(topic);
    if (!partitions) group.set(topic, (partitions = new Map()));
    partitions.set(partition, offset);
  }

  delete(groupId: string, topic: string, partition: number): boolean {
    const group = this.#groups.get(groupId);
    const partitions = group?.get(topic);
    if (!group || !partitions || !partitions.delete(partition)) return false;
    if (partitions.size === 0) group.delete(topic);
    if (group.size === 0) this.#groups.delete(groupId);
    return true;
  }

  deleteGroup(groupId: string): TopicPartitionOffset[] {
    const removed = this.list(groupId);
    this.#groups.delete(groupId);
    return removed;
  }

  hasOffsets(groupId: string): boolean {
    return this.#groups.has(groupId);
  }

  count(groupId: string): number {
    let count = 0;
    for (const partitions of this.#groups.get(groupId)?.values() ?? []) count += partitions.size;
    return count;
  }

  /** Every committed offset of the group, by topic then partition. */
  list(groupId: string): TopicPartitionOffset[] {
    const result: TopicPartitionOffset[] = [];
    const group = this.#groups.get(groupId);
    if (!group) return result;
    for (const [topic, partitions] of [...group].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const [partition, offset] of [...partitions].sort(([a], [b]) => a - b)) result.push({ topic, partition, ...offset });
    }
    return result;
  }

  topics(groupId: string): string[] {
    return [...(this.#groups.get(groupId)?.keys() ?? [])];
  }

  groupIds(): string[] {
    return [...this.#groups.keys()];
  }

  /**
   * Offsets of `groupId` expired at `nowMs`. `emptySinceMs` is when the group became empty (null
   * while it has members: only explicitly expiring offsets go then).
   */
  expired(groupId: string, nowMs: number, retentionMs: number, emptySinceMs: number | null, usesCommitTime: boolean): TopicPartitionOffset[] {
    return this.list(groupId).filter((offset) => {
      if (offset.expireTimestampMs !== null) return nowMs >= offset.expireTimestampMs;
      if (emptySinceMs === null) return false;
      const baseMs = usesCommitTime ? offset.commitTimestampMs : emptySinceMs;
      return nowMs >= baseMs + retentionMs;
    });
  }
}
