/**
 * How fast a 3-broker in-process cluster is ready and how much memory it takes:
 * - cold: `kafkaesque up --brokers 3` spawned fresh (Node start, module loading, compile cache
 *   warm after the first run), time until its `ready` line;
 * - warm: startCluster({ brokers: 3 }) in an already-loaded process.
 * Run: pnpm exec node bench/cluster/up.ts [runs]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../../packages/broker/src/fixture.ts';

const runs = Number(process.argv[2] ?? 5);
const cli = fileURLToPath(new URL('../../packages/broker/src/cli/main.ts', import.meta.url));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function coldRun(): Promise<{ readyMs: number; rssKb: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kafkaesque-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'up', '--brokers', '3', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('ready ')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  const readyMs = performance.now() - started;
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? -1);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
  return { readyMs, rssKb };
}

const cold: number[] = [];
const rss: number[] = [];
for (let i = 0; i < runs; i++) {
  const { readyMs, rssKb } = await coldRun();
  cold.push(readyMs);
  rss.push(rssKb);
}
const warm: number[] = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  const cluster = await startCluster({ brokers: 3 });
  warm.push(performance.now() - started);
  await cluster.close();
}
const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(JSON.stringify({
  runs,
  coldReadyMsMedian: Math.round(median(cold)),
  warmStartClusterMsMedian: Math.round(median(warm)),
  rssMbMedian: Math.round(median(rss) / 1024),
  loadAverage,
}));
