// `kafkaesque up --brokers 3` (embedded coordinator) and `kafkaesque fault …` against it:
// status, kill and restart a broker, cut and heal a replication link, bad commands refused.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../packages/broker/src/cli/main.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'kafkaesque-cli-fault-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function fault(...words: string[]): Promise<{ code: number | null; answer: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'fault', '--data-dir', dataDir, ...words], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.once('exit', (code) => {
      try {
        resolve({ code, answer: JSON.parse(stdout) });
      } catch (error) {
        reject(new Error(`fault ${words.join(' ')}: ${stdout} (${(error as Error).message})`));
      }
    });
  });
}

describe('kafkaesque fault', () => {
  it('kills, restarts and cuts links of a running cluster', async () => {
    const up = spawn(process.execPath, [cli, 'up', '--brokers', '3', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => up.once('exit', resolve));
    try {
      const output = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        up.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk;
          if (stdout.includes('ready ')) resolve(stdout);
        });
        up.once('exit', (code) => reject(new Error(`up exited ${code}`)));
      });
      const lines = output.trim().split('\n');
      expect(lines[0]).toMatch(/^coordinator 1 listening 127\.0\.0\.1:\d+ pid=\d+$/);
      expect(lines.filter((line) => line.startsWith('broker '))).toHaveLength(3);

      const status = await fault('status');
      expect(status.answer.ok).toBe(true);
      expect(status.answer.brokers.map((broker: { running: boolean }) => broker.running)).toEqual([true, true, true]);
      expect([1, 2, 3]).toContain(status.answer.controller);

      expect((await fault('kill', '2')).answer.ok).toBe(true);
      expect((await fault('status')).answer.brokers[1].running).toBe(false);
      expect((await fault('restart', '2')).answer.ok).toBe(true);
      expect((await fault('status')).answer.brokers[1].running).toBe(true);
      expect((await fault('cut', '1', '3')).answer.ok).toBe(true);
      expect((await fault('heal', '1', '3')).answer.ok).toBe(true);

      const bad = await fault('explode', '1');
      expect(bad.code).toBe(1);
      expect(bad.answer).toMatchObject({ ok: false });
      expect((await fault('pause', '1')).answer.error).toMatch(/not available/);
    } finally {
      up.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);
});
