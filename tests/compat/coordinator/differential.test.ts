/**
 * Differential test: one seeded, randomized kazoo workload run against a real ZooKeeper 3.8
 * (Debian's package, started here on loopback) and against our coordinator (one member, and a
 * 3-member ensemble) must give the same results: paths, data, versions, child counts, error
 * classes, watch events and the final tree — zxids and times aside.
 *
 * Every compared item is one ZooKeeper guarantees: each op's result (one client, serial), the
 * watch events of that one session (delivered in commit order, before the reply of any later
 * request), and the final tree. It once failed under load only when kazoo was connected to the
 * ensemble's leader: a leader whose own fsync finished after its followers' acknowledgements
 * committed the entry without applying it, so a serial client's write (and the pings queued
 * behind it) waited until kazoo dropped the connection (tests/coordinator/slow-leader-disk).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fourLetterWord, startCoordinator, type CoordinatorHandle } from '@kafkaesque/coordinator';
import { requireKazoo, runPython, startRealZooKeeper, type RealZooKeeper } from './support.ts';

interface WorkloadResult {
  log: Array<[string, unknown, unknown]>;
  events: Array<[string, string]>;
  final: Record<string, unknown>;
}

/** Seeds; 'acl' runs also set restrictive ACLs (read-only, read/write), so NOAUTH answers are compared too. */
const RUNS: Array<[number, string]> = [[1, ''], [2, ''], [3, 'acl'], [4, 'acl']];
const OPS = 300;

/**
 * The ensemble's leader: its clients' writes are appended locally while followers acknowledge
 * over the network (a follower's clients take the forwarding path, which the kazoo suites cover).
 */
async function leaderAddress(handle: CoordinatorHandle): Promise<string> {
  for (const member of handle.members) {
    const srvr = await fourLetterWord(member.host, member.port, 'srvr').catch(() => '');
    if (/Mode: leader/.test(srvr)) return `${member.host}:${member.port}`;
  }
  throw new Error('the ensemble has no leader');
}

/** Attempts per seed so far: each attempt (vitest retries a failed test once) gets a fresh root. */
const attempts = new Map<number, number>();

describe('kazoo workload: real ZooKeeper 3.8 vs kafkaesque coordinator', () => {
  let real: RealZooKeeper;
  let single: CoordinatorHandle;
  let ensemble: CoordinatorHandle;
  beforeAll(async () => {
    requireKazoo();
    [real, single, ensemble] = await Promise.all([
      startRealZooKeeper(),
      startCoordinator({ nodes: 1, processes: true }),
      startCoordinator({ nodes: 3, processes: true }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([real?.close(), single?.close(), ensemble?.close()]);
  });

  for (const [seed, mode] of RUNS) {
    it(`seed ${seed}${mode ? ` (${mode})` : ''}: same results, events and final tree`, async () => {
      const attempt = (attempts.get(seed) ?? 0) + 1;
      attempts.set(seed, attempt);
      // the same root on all three servers, so paths compare equal; a new one per attempt, as a
      // failed attempt's restrictive ACLs can leave nodes nobody may delete
      const args = [String(seed), String(OPS), mode || 'open', `/diff-${seed}-${attempt}`];
      const leader = await leaderAddress(ensemble);
      const [expected, ours, oursEnsemble] = await Promise.all([
        runPython<WorkloadResult>('workload.py', [real.connectString, ...args]),
        runPython<WorkloadResult>('workload.py', [single.connectString, ...args]),
        runPython<WorkloadResult>('workload.py', [leader, ...args]),
      ]);
      expect(expected.log.length).toBe(OPS);
      // a workload that never fails or never fires a watch would prove little
      expect(expected.log.some(([, , result]) => typeof result === 'string' && result.startsWith('error:'))).toBe(true);
      expect(expected.events.length).toBeGreaterThan(0);
      for (const [label, actual] of [['single member', ours], ['3-member ensemble', oursEnsemble]] as const) {
        for (let i = 0; i < OPS; i++) expect(actual.log[i], `${label}: op ${i} ${JSON.stringify(expected.log[i])}`).toEqual(expected.log[i]);
        expect(actual.events, `${label}: watch events`).toEqual(expected.events);
        expect(actual.final, `${label}: final tree`).toEqual(expected.final);
      }
    });
  }
});
