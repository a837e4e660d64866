/**
 * How fast `kafkaesque up --brokers 3` (in-process) is ready and how much memory it takes:
 * - cold: a fresh, empty module compile cache (the run pays for compiling every module);
 * - warm: the compile cache filled by an earlier run (what a developer sees from the 2nd `up` on);
 * - in-process: startCluster({ brokers: 3 }) in an already-loaded process (what a test suite pays
 *   per cluster after its first).
 * For `up`, time to its `ready` line (`__consumer_offsets` created and led on every broker), the
 * CPU the process used until then (all threads; on this shared machine the wall time mostly
 * measures the neighbours' load, the CPU time measures us), resident memory at `ready`, and the
 * per-phase marks of KAFKAESQUE_STARTUP_TRACE (median ms since the process started).
 *
 *   pnpm exec node bench/cluster/up.ts [runs] [-- up options, e.g. --override name=value]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../../packages/broker/src/fixture.ts';

const runs = Number(process.argv[2] ?? 3);
const separator = process.argv.indexOf('--');
const upOptions = separator > 0 ? process.argv.slice(separator + 1) : [];
const cli = fileURLToPath(new URL('../../packages/broker/src/cli/main.ts', import.meta.url));
/** A run slower than this is broken, not slow. */
const RUN_TIMEOUT_MS = 60_000;
/** Linux reports process CPU in clock ticks of 1/100 s (USER_HZ). */
const CLOCK_TICKS_PER_SECOND = 100;

interface UpSample {
  readyMs: number;
  cpuMs: number;
  rssMiB: number;
  phases: Map<string, number>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function rssMiBOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}

async function upRun(compileCacheDir: string): Promise<UpSample> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kafkaesque-bench-'));
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: compileCacheDir, KAFKAESQUE_STARTUP_TRACE: '1' };
  delete env.NODE_DISABLE_COMPILE_CACHE;
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'up', '--brokers', '3', '--port', '0', '--data-dir', dataDir, ...upOptions], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const phases = new Map<string, number>();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const match of chunk.matchAll(/^startup ([\d.]+) cpu=[\d.]+ (.+)$/gm)) phases.set(match[2]!, Number(match[1]));
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const sample = await new Promise<UpSample>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('ready ')) {
        resolve({ readyMs: performance.now() - started, cpuMs: cpuMsOf(child.pid!), rssMiB: rssMiBOf(child.pid!), phases });
      }
    });
    void exited.then((code) => reject(new Error(`up exited ${code} before ready: ${stderr}`)));
  });
  child.kill('SIGTERM');
  const code = await exited;
  clearTimeout(timer);
  if (code !== 0) process.stderr.write(`note: up exited ${code} after SIGTERM\n`);
  rmSync(dataDir, { recursive: true, force: true });
  return sample;
}

function report(name: string, samples: UpSample[]): void {
  const range = (values: number[]): string => `${Math.round(median(values))} (${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))})`;
  console.log(`${name}: ready ${range(samples.map((s) => s.readyMs))} ms, cpu ${range(samples.map((s) => s.cpuMs))} ms, rss ${range(samples.map((s) => s.rssMiB))} MiB`);
  for (const phase of samples[0]?.phases.keys() ?? []) {
    console.log(`  ${Math.round(median(samples.map((s) => s.phases.get(phase) ?? NaN))).toString().padStart(6)} ms  ${phase}`);
  }
}

const warmCache = mkdtempSync(join(tmpdir(), 'kafkaesque-bench-cache-'));
await upRun(warmCache); // fills the warm cache
// Cold and warm runs alternate, so a change in the machine's load hits both alike.
const cold: UpSample[] = [];
const warm: UpSample[] = [];
for (let i = 0; i < runs; i++) {
  const coldCache = mkdtempSync(join(tmpdir(), 'kafkaesque-bench-cache-'));
  cold.push(await upRun(coldCache));
  rmSync(coldCache, { recursive: true, force: true });
  warm.push(await upRun(warmCache));
}
rmSync(warmCache, { recursive: true, force: true });
const inProcess: number[] = [];
for (let i = 0; i < runs + 1; i++) {
  const started = performance.now();
  const cluster = await startCluster({ brokers: 3, log: () => {} });
  if (i > 0) inProcess.push(performance.now() - started); // the first loads the modules
  await cluster.close();
}
console.log(`node ${process.version}, ${runs} runs each, up options: ${upOptions.join(' ') || '(none)'}`);
report('up, cold compile cache', cold);
report('up, warm compile cache', warm);
console.log(`startCluster({ brokers: 3 }) in a loaded process: ${Math.round(median(inProcess))} (${Math.round(Math.min(...inProcess))}–${Math.round(Math.max(...inProcess))}) ms`);
console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
