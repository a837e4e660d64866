/**
 * Crash test: a child process appending at full speed is SIGKILLed at random moments, 20 times
 * on the same directory. After each kill, reopening the log must find an exact prefix of what
 * was appended (record value = offset), every batch CRC-valid, the indexes consistent, and at
 * least everything the child reported as flushed.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { openLogManager } from '@kafkaesque/broker';
import { decodeRecordBatches } from '@kafkaesque/protocol';
import { removeDir, tempDir } from '../../packages/broker/src/log/test-helpers.ts';
import { verifyPartitionDir } from './verify-segments.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.ts');
const KILLS = 20;
let dir: string;

beforeAll(async () => {
  dir = await tempDir('kafkaesque-crash-');
});
afterAll(async () => {
  await removeDir(dir);
});

/** Runs the child until `killAfterMs` after it is ready, SIGKILLs it, returns the last flushed offset. */
function runAndKill(killAfterMs: number): Promise<{ flushed: number; started: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let flushed = -1;
    let started = -1;
    let stderr = '';
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [word, value] = line.split(' ');
        if (word === 'ready') {
          started = Number(value);
          setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        } else if (word === 'flushed') {
          flushed = Number(value);
        }
      }
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ flushed, started });
      else reject(new Error(`child exited with ${code} ${signal}: ${stderr}`));
    });
  });
}

it(`survives ${KILLS} SIGKILLs while appending`, async () => {
  const delays = fc.sample(fc.integer({ min: 10, max: 300 }), { numRuns: KILLS, seed: 42 });
  let previousEnd = 0;
  for (const delay of delays) {
    const { flushed, started } = await runAndKill(delay);
    expect(started).toBe(previousEnd);
    const manager = await openLogManager({ logDirs: [dir], brokerId: 1, backgroundTasks: false, defaultConfig: { segmentBytes: 64 * 1024, indexIntervalBytes: 512 } });
    const log = manager.getLog({ topic: 'crash', partition: 0 })!;
    const end = log.logEndOffset;
    expect(end).toBeGreaterThanOrEqual(Math.max(flushed, previousEnd));
    // Every offset is present with its own value, in order: the new ones after each kill, all of
    // them after the last (older data is also covered by the LEO never moving back).
    const last = delays.indexOf(delay) === delays.length - 1;
    let expected = last ? 0 : previousEnd;
    while (expected < end) {
      const { records } = await log.read(expected, 1 << 20);
      const { batches, partialBytes } = decodeRecordBatches(records);
      expect(partialBytes).toBe(0);
      for (const batch of batches) {
        for (const record of batch.records) {
          expect(record.offset).toBe(expected);
          expect(record.value!.toString().replace(/\.+$/, '')).toBe(String(expected));
          expected++;
        }
      }
    }
    await manager.close();
    const segments = await verifyPartitionDir(path.join(dir, 'crash-0'));
    expect(segments.at(-1)!.batches.at(-1)?.lastOffset ?? end - 1).toBe(end - 1);
    previousEnd = end;
  }
  expect(previousEnd).toBeGreaterThan(0);
}, 240_000);
