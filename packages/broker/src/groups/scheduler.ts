/**
 * Time for the group coordinator: session timeouts, rebalance timeouts, the initial rebalance
 * delay and offset expiry all go through this interface, so tests drive a manual clock instead
 * of waiting (and never make timed assertions).
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  nowMs(): number;
  /** Runs `task` once after `delayMs`; the handle cancels it. */
  schedule(delayMs: number, task: () => void): TimerHandle;
}

const TIMER_DELAY_MS_MAX = 2_147_483_647;

/** Real time. Timers are unref'd so a coordinator never keeps a process alive by itself. */
export function systemScheduler(): Scheduler {
  return {
    nowMs: () => Date.now(),
    schedule(delayMs, task) {
      // Node fires a timer longer than 2^31-1 ms at once: clamp instead (≈ 24.8 days).
      const timer = setTimeout(task, Math.min(Math.max(0, delayMs), TIMER_DELAY_MS_MAX));
      timer.unref();
      return { cancel: () => clearTimeout(timer) };
    },
  };
}

interface ManualTimer {
  dueMs: number;
  sequence: number;
  task: () => void;
  cancelled: boolean;
}

/**
 * A deterministic scheduler for tests: time only moves with `advance()`, due tasks run in
 * (due time, creation order), tasks scheduled while advancing run too when they fall inside.
 */
export class ManualScheduler implements Scheduler {
  #nowMs: number;
  #sequence = 0;
  #timers: ManualTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  schedule(delayMs: number, task: () => void): TimerHandle {
    const timer: ManualTimer = { dueMs: this.#nowMs + Math.max(0, delayMs), sequence: this.#sequence++, task, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => { timer.cancelled = true; } };
  }

  /** Number of live (not cancelled, not run) timers. */
  get pendingTimers(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves the clock forward by `deltaMs`, running every task that falls due on the way. */
  advance(deltaMs: number): void {
    const targetMs = this.#nowMs + deltaMs;
    for (;;) {
      this.#timers = this.#timers.filter((timer) => !timer.cancelled);
      let next: ManualTimer | undefined;
      for (const timer of this.#timers) {
        if (timer.dueMs > targetMs) continue;
        if (!next || timer.dueMs < next.dueMs || (timer.dueMs === next.dueMs && timer.sequence < next.sequence)) next = timer;
      }
      if (!next) break;
      this.#nowMs = Math.max(this.#nowMs, next.dueMs);
      next.cancelled = true;
      next.task();
    }
    this.#nowMs = targetMs;
  }
}
