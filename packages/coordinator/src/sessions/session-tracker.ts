/**
 * Session liveness as the leader sees it: each session expires `timeoutMs` after its client was
 * last heard from (by any member). Pure: the caller passes the clock, so the rules are
 * property-tested without waiting. A session handed out by `due` is not handed out again until
 * its expiry finished (the closeSession txn applied) or failed (retry later).
 */
export class SessionTracker {
  private readonly deadlines = new Map<bigint, number>();
  private readonly timeouts = new Map<bigint, number>();
  private readonly expiring = new Set<bigint>();

  /** A session was created (or is known after a restart / leader change): it gets a full timeout. */
  add(sessionId: bigint, timeoutMs: number, nowMs: number): void {
    this.timeouts.set(sessionId, timeoutMs);
    this.deadlines.set(sessionId, nowMs + timeoutMs);
  }

  /** Its client was heard from. Unknown sessions are ignored. */
  touch(sessionId: bigint, nowMs: number): void {
    const timeoutMs = this.timeouts.get(sessionId);
    if (timeoutMs === undefined) return;
    const deadline = nowMs + timeoutMs;
    if (deadline > (this.deadlines.get(sessionId) ?? 0)) this.deadlines.set(sessionId, deadline);
  }

  /** The session is gone (closed or expired). */
  remove(sessionId: bigint): void {
    this.deadlines.delete(sessionId);
    this.timeouts.delete(sessionId);
    this.expiring.delete(sessionId);
  }

  /** Forgets everything, then gives every listed session a full timeout (a new leader's grace). */
  reset(sessions: Iterable<{ sessionId: bigint; timeoutMs: number }>, nowMs: number): void {
    this.deadlines.clear();
    this.timeouts.clear();
    this.expiring.clear();
    for (const { sessionId, timeoutMs } of sessions) this.add(sessionId, timeoutMs, nowMs);
  }

  /** Sessions past their deadline and not already being expired; marks them as being expired. */
  due(nowMs: number): bigint[] {
    const due: bigint[] = [];
    for (const [sessionId, deadline] of this.deadlines) {
      if (deadline <= nowMs && !this.expiring.has(sessionId)) {
        this.expiring.add(sessionId);
        due.push(sessionId);
      }
    }
    return due;
  }

  /** Expiring a session failed (no quorum): it may be handed out again. */
  expiryFailed(sessionId: bigint): void {
    this.expiring.delete(sessionId);
  }

  deadlineOf(sessionId: bigint): number | undefined {
    return this.deadlines.get(sessionId);
  }

  get size(): number {
    return this.deadlines.size;
  }
}
