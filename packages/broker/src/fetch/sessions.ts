/**
 * Fetch sessions (KIP-227): a consumer or follower that fetches many partitions sends the full
 * list once, then only what changed; the broker answers incrementally with only partitions that
 * have news (records, a moved high watermark / LSO / log start, an error).
 *
 * Request forms, by (sessionId, sessionEpoch):
 *   (0, -1)  sessionless full fetch          (0, 0)  full fetch that opens a session
 *   (id, -1) close the session, full fetch   (id, 0) close it and open a new one
 *   (id, n>0) incremental fetch in session id, n must be the session's next epoch
 * The cache is bounded (Kafka's max.incremental.fetch.session.cache.slots); when full, the
 * least recently used session is evicted, and when nothing can be created the fetch runs
 * sessionless (session id 0), which clients accept.
 */

export const FETCH_SESSIONS_MAX = 1000;
/** Kafka evicts idle sessions after this long (min.incremental.fetch.session.eviction.ms). */
export const FETCH_SESSION_IDLE_MS = 120_000;
/** Bound on the partitions one session may track. */
export const FETCH_SESSION_PARTITIONS_MAX = 100_000;

export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** What the last response said, to decide whether this partition has news. */
  lastHighWatermark: number;
  lastLastStableOffset: number;
  lastLogStartOffset: number;
}

export class FetchSession {
  readonly id: number;
  /** The epoch the next incremental request must carry. */
  nextEpoch = 1;
  lastUsedMs: number;
  readonly partitions = new Map<string, SessionPartition>();
  /** Whether the session names topics by id (Fetch v13+). */
  readonly usesTopicIds: boolean;

  constructor(id: number, nowMs: number, usesTopicIds: boolean) {
    this.id = id;
    this.lastUsedMs = nowMs;
    this.usesTopicIds = usesTopicIds;
  }
}

export function sessionPartitionKey(topicOrId: string, partition: number): string {
  return `${topicOrId}:${partition}`;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private readonly sessionsMax: number;
  private readonly idleMs: number;

  constructor(sessionsMax = FETCH_SESSIONS_MAX, idleMs = FETCH_SESSION_IDLE_MS) {
    this.sessionsMax = sessionsMax;
    this.idleMs = idleMs;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  /** Marks a session used (moves it to the back of the LRU order). */
  touch(session: FetchSession, nowMs: number): void {
    session.lastUsedMs = nowMs;
    this.sessions.delete(session.id);
    this.sessions.set(session.id, session);
  }

  /** A new session, or undefined when the cache is full of sessions still in use. */
  create(nowMs: number, usesTopicIds: boolean): FetchSession | undefined {
    this.evictIdle(nowMs);
    if (this.sessions.size >= this.sessionsMax) {
      // Evict the least recently used session: a busy client's session is worth more.
      const oldest = this.sessions.keys().next();
      if (oldest.done) return undefined;
      this.sessions.delete(oldest.value);
    }
    let id = 0;
    while (id === 0 || this.sessions.has(id)) id = 1 + Math.floor(Math.random() * 0x7ffffffe);
    const session = new FetchSession(id, nowMs, usesTopicIds);
    this.sessions.set(id, session);
    return session;
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }

  private evictIdle(nowMs: number): void {
    for (const [id, session] of this.sessions) {
      if (nowMs - session.lastUsedMs <= this.idleMs) break;
      this.sessions.delete(id);
    }
  }
}
