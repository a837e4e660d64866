/**
 * kazoo (Debian python3-kazoo), unmodified, against our coordinator: the everyday API on a
 * single node and on a 3-member ensemble (the same script also runs against a real ZooKeeper,
 * so its expectations are ZooKeeper's), and failover when the member it uses is killed.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type CoordinatorHandle } from '@kafkaesque/coordinator';
import { PYTHON, pyScript, requireKazoo, runPython, startRealZooKeeper } from './support.ts';

interface FeatureReport {
  features: Record<string, { ok: boolean; error?: string }>;
}
const FEATURES = ['create', 'read', 'write', 'children', 'delete', 'ephemeral', 'sequential', 'watches', 'datawatch', 'transaction', 'sync', 'acl', 'auth', 'large-data'];

for (const target of ['real ZooKeeper 3.8 (the reference)', 'a 1-member coordinator', 'a 3-member coordinator']) {
  describe(`kazoo against ${target}`, () => {
    let close: () => Promise<void> = async () => {};
    let report: FeatureReport;
    beforeAll(async () => {
      requireKazoo();
      let connectString: string;
      if (target.startsWith('real')) {
        const real = await startRealZooKeeper();
        ({ connectString } = real);
        close = real.close;
      } else {
        const nodes = target.includes('3-member') ? 3 : 1;
        const handle: CoordinatorHandle = await startCoordinator({ nodes, processes: nodes > 1 });
        connectString = handle.connectString;
        close = () => handle.close();
      }
      report = await runPython<FeatureReport>('kazoo_features.py', [connectString]);
    });
    afterAll(async () => close());

    it.each(FEATURES)('%s', (feature) => {
      const result = report.features[feature];
      expect(result, `kazoo did not report ${feature}`).toBeDefined();
      expect(result.error ?? '').toBe('');
      expect(result.ok).toBe(true);
    });
  });
}

describe('kazoo survives the kill of its server', () => {
  it('moves to another member with the same session and its ephemeral', async () => {
    requireKazoo();
    const handle = await startCoordinator({ nodes: 3, processes: true, tickTimeMs: 500, electionTimeoutMs: 500 });
    try {
      const child = spawn(PYTHON, [pyScript('kazoo_failover.py'), handle.connectString], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const connected = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk;
          const match = /connected (\S+)/.exec(stdout);
          if (match) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`kazoo_failover exited ${code}: ${stderr.slice(-2000)}`)));
      });
      const victim = handle.members.find((m) => `${m.host}:${m.port}` === connected);
      expect(victim, `kazoo connected to an unknown member ${connected}`).toBeDefined();
      await handle.kill(victim!.id);
      child.stdin.write('go\n');
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code, stderr.slice(-2000)).toBe(0);
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(result).toMatchObject({ sameSession: true, ownerExists: true, before: 10, after: 30 });
      expect(result.movedTo).not.toBe(connected);
      expect(result.states).not.toContain('LOST');
    } finally {
      await handle.close();
    }
  });
});
