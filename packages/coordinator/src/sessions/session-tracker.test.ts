/**
 * The session tracker against a model: a session is due exactly when the time since its client
 * was last heard from (or since it was created / the leader took over) reaches its timeout —
 * never before — and it is handed out once until its expiry completes or fails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionTracker } from './session-tracker.ts';

type Action =
  | { kind: 'advance'; ms: number }
  | { kind: 'create'; id: number; timeoutMs: number }
  | { kind: 'touch'; id: number }
  | { kind: 'close'; id: number }
  | { kind: 'leaderChange' }
  | { kind: 'expiryFails'; id: number }
  | { kind: 'check' };

const ids = fc.integer({ min: 1, max: 4 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('create' as const), id: ids, timeoutMs: fc.integer({ min: 400, max: 4000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('touch' as const), id: ids }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), id: ids }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leaderChange' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expiryFails' as const), id: ids }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('check' as const) }) },
);

describe('SessionTracker', () => {
  it('expires exactly the sessions silent for their timeout, once each', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
        const tracker = new SessionTracker();
        // the model: per session, its timeout, when it was last heard from, whether it is being expired
        const model = new Map<number, { timeoutMs: number; lastHeardMs: number; expiring: boolean }>();
        let now = 1_000_000;
        for (const step of actions) {
          switch (step.kind) {
            case 'advance':
              now += step.ms;
              break;
            case 'create':
              if (model.has(step.id)) break;
              tracker.add(BigInt(step.id), step.timeoutMs, now);
              model.set(step.id, { timeoutMs: step.timeoutMs, lastHeardMs: now, expiring: false });
              break;
            case 'touch': {
              tracker.touch(BigInt(step.id), now);
              const session = model.get(step.id);
              if (session) session.lastHeardMs = now;
              break;
            }
            case 'close':
              tracker.remove(BigInt(step.id));
              model.delete(step.id);
              break;
            case 'leaderChange':
              tracker.reset([...model].map(([id, s]) => ({ sessionId: BigInt(id), timeoutMs: s.timeoutMs })), now);
              for (const session of model.values()) {
                session.lastHeardMs = now;
                session.expiring = false;
              }
              break;
            case 'expiryFails': {
              tracker.expiryFailed(BigInt(step.id));
              const session = model.get(step.id);
              if (session) session.expiring = false;
              break;
            }
            case 'check': {
              const due = tracker.due(now).map(Number).sort();
              const expected = [...model]
                .filter(([, s]) => !s.expiring && now - s.lastHeardMs >= s.timeoutMs)
                .map(([id]) => id)
                .sort();
              expect(due).toEqual(expected);
              for (const id of due) model.get(id)!.expiring = true;
              break;
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ignores touches of unknown sessions', () => {
    const tracker = new SessionTracker();
    tracker.touch(9n, 0);
    expect(tracker.size).toBe(0);
    expect(tracker.due(1e12)).toEqual([]);
  });
});
