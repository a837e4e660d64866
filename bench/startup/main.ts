/**
 * Start-up cost: how long a fresh process needs to import the protocol package, to start an
 * in-process cluster, and for `kafkaesque up` to print its `ready` line (issue 6: "ready in well
 * under a second"). Every case runs in a new Node process, so module loading is part of it.
 *
 *   pnpm exec node bench/startup/main.ts [--runs 5] [--modes off,cold,warm] [--processes]
 *
 * Compile-cache modes: "off" disables Node's module compile cache (NODE_DISABLE_COMPILE_CACHE=1,
 * which also overrides the CLI's enableCompileCache()); "cold" uses a fresh empty cache dir per
 * run (the run pays for filling it); "warm" uses a cache dir filled by an earlier run.
 * Figures are medians over the runs; the load average is printed because the machine is shared.
 * `--processes` adds `kafkaesque up --brokers 3 --processes` (one OS process per broker and per
 * coordinator member).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argRuns = process.argv.indexOf('--runs');
const RUNS = argRuns > 0 ? Number(process.argv[argRuns + 1]) : 5;
const WITH_PROCESSES = process.argv.includes('--processes');
const argModes = process.argv.indexOf('--modes');
const MODES = (argModes > 0 ? process.argv[argModes + 1]!.split(',') : ['off', 'cold', 'warm']) as CacheMode[];
/** A case that takes longer than this is broken, not slow: kill it and fail the bench. */
const CASE_TIMEOUT_MS = 60_000;

const root = new URL('../../', import.meta.url);
const protocolEntry = new URL('packages/protocol/src/index.ts', root).href;
const juteEntry = new URL('packages/protocol/src/jute-entry.ts', root).href;
const fixtureEntry = new URL('packages/broker/src/fixture.ts', root).href;
const cliEntry = fileURLToPath(new URL('packages/broker/src/cli/main.ts', root));

type CacheMode = 'off' | 'cold' | 'warm';

interface Sample {
  /** Whole process: spawn to the measured point (ms). */
  wallMs: number;
  /** Inside the child: the measured step alone (ms), when the child reports it. */
  stepMs?: number;
  /** Resident set of the (main) process at the measured point (MiB). */
  rssMiB: number;
}

/** Environment for one child: compile cache off, in a fresh dir, or in a shared warm dir. */
function cacheEnv(mode: CacheMode, warmDir: string): { env: NodeJS.ProcessEnv; cleanup: () => void } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_COMPILE_CACHE;
  delete env.NODE_DISABLE_COMPILE_CACHE;
  if (mode === 'off') {
    env.NODE_DISABLE_COMPILE_CACHE = '1';
    return { env, cleanup: () => {} };
  }
  if (mode === 'warm') {
    env.NODE_COMPILE_CACHE = warmDir;
    return { env, cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'kafkaesque-bench-cc-'));
  env.NODE_COMPILE_CACHE = dir;
  return { env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `node --input-type=module -e script`; the script prints one JSON line {stepMs, rssMiB}. */
function runScript(script: string, env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), CASE_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || line === undefined) return reject(new Error(`child exited ${code}: ${out}`));
      const parsed = JSON.parse(line) as { stepMs: number; rssMiB: number; sinceStartMs: number };
      // Wall time up to the measured point, as the child saw it relative to its own start.
      resolve({ wallMs: parsed.sinceStartMs, stepMs: parsed.stepMs, rssMiB: parsed.rssMiB });
    });
  });
}

const REPORT = `const rssMiB = process.memoryUsage().rss / 1048576;
console.log(JSON.stringify({ stepMs: performance.now() - t0, rssMiB, sinceStartMs: performance.now() }));`;

function importScript(entry: string): string {
  return `const t0 = performance.now(); await import(${JSON.stringify(entry)}); ${REPORT}`;
}

function clusterScript(brokers: number): string {
  return `const t0 = performance.now();
const { startCluster } = await import(${JSON.stringify(fixtureEntry)});
const cluster = await startCluster({ brokers: ${brokers}, internalTopics: true, log: () => {} });
${REPORT}
await cluster.close();
process.exit(0);`;
}

function rssOfMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** `kafkaesque up` from spawn to its `ready` line; then SIGTERM and wait for a clean exit. */
function runUp(args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kafkaesque-bench-up-'));
  return new Promise<Sample>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cliEntry, 'up', ...args, '--port', '0', '--data-dir', dataDir], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let sample: Sample | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), CASE_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (sample === undefined && /^ready /m.test(out)) {
        sample = { wallMs: performance.now() - started, rssMiB: rssOfMiB(child.pid!) };
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
      if (sample === undefined) return reject(new Error(`up exited ${code ?? signal} before ready: ${out}`));
      // A clean shutdown exits 0; report (not fail on) anything else: start-up is what is measured.
      if (code !== 0) process.stderr.write(`note: up exited ${code ?? signal} after SIGTERM\n`);
      resolve(sample);
    });
  });
}

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Case {
  name: string;
  run: (env: NodeJS.ProcessEnv) => Promise<Sample>;
}

const cases: Case[] = [
  { name: "import('@kafkaesque/protocol')", run: (env) => runScript(importScript(protocolEntry), env) },
  { name: "import('@kafkaesque/protocol/jute')", run: (env) => runScript(importScript(juteEntry), env) },
  { name: 'startCluster({ brokers: 1 })', run: (env) => runScript(clusterScript(1), env) },
  { name: 'startCluster({ brokers: 3 })', run: (env) => runScript(clusterScript(3), env) },
  { name: 'kafkaesque up --brokers 3', run: (env) => runUp(['--brokers', '3'], env) },
];
if (WITH_PROCESSES) {
  cases.push({ name: 'kafkaesque up --brokers 3 --processes', run: (env) => runUp(['--brokers', '3', '--processes'], env) });
}

const fmt = (ms: number): string => (Number.isFinite(ms) ? ms.toFixed(0).padStart(7) : '    n/a');
const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`node ${process.version}, ${RUNS} runs per cell (medians), load average ${loadBefore}`);
console.log('wall = child start to ready (ms); step = the import / startCluster call alone (ms); rss in MiB\n');
console.log(`${'case'.padEnd(40)} ${'cache'.padEnd(5)} ${'wall'.padStart(7)} ${'step'.padStart(7)} ${'rss'.padStart(7)}`);

const warmDir = mkdtempSync(join(tmpdir(), 'kafkaesque-bench-cc-warm-'));
try {
  for (const benchCase of cases) {
    for (const mode of MODES) {
      if (mode === 'warm') {
        // Fill the shared cache once so every measured warm run finds it complete.
        const { env } = cacheEnv('warm', warmDir);
        await benchCase.run(env);
      }
      const samples: Sample[] = [];
      for (let run = 0; run < RUNS; run++) {
        const { env, cleanup } = cacheEnv(mode, warmDir);
        try {
          samples.push(await benchCase.run(env));
        } finally {
          cleanup();
        }
      }
      const wall = median(samples.map((s) => s.wallMs));
      const step = median(samples.map((s) => s.stepMs ?? NaN));
      const rss = median(samples.map((s) => s.rssMiB));
      console.log(`${benchCase.name.padEnd(40)} ${mode.padEnd(5)} ${fmt(wall)} ${fmt(step)} ${fmt(rss)}`);
    }
  }
} finally {
  rmSync(warmDir, { recursive: true, force: true });
}
console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
