/**
 * bench/coordinator: kazoo create / set / get, one at a time (latency) and with 64 outstanding
 * (throughput), against Apache ZooKeeper 3.8 (Debian's package) and against our coordinator,
 * side by side, for a single node and a 3-node ensemble (both with forceSync on, data on the
 * same disk). Prints a table and the ratios ours / ZooKeeper (ops/s: higher is better).
 *
 *   pnpm exec node bench/coordinator/main.ts [--count 2000] [--window 64] [--rounds 2] [--only single|ensemble]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCoordinator, freePort, fourLetterWord } from '../../packages/coordinator/src/index.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    window: { type: 'string', default: '64' },
    only: { type: 'string' },
    rounds: { type: 'string', default: '2' },
  },
});
/** Rounds alternate ZooKeeper and ours; each op keeps its best round, to damp a shared machine's noise. */
const ROUNDS = Number(values.rounds);
const COUNT = Number(values.count);
const WINDOW = Number(values.window);
const PYTHON = '/usr/bin/python3';
const JAR = '/usr/share/java/zookeeper.jar';
const SCRIPT = fileURLToPath(new URL('./kazoo_bench.py', import.meta.url));

type Report = Record<string, { opsPerSec: number; p50Ms: number; p99Ms: number }>;

function runKazoo(hosts: string): Promise<Report> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, hosts, String(COUNT), String(WINDOW)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`kazoo bench failed: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Report);
    });
  });
}

/** A real ZooKeeper of `nodes` members on loopback, each with its own dataDir. */
async function startZooKeeper(nodes: number): Promise<{ connectString: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-zookeeper-'));
  const ports = await Promise.all(Array.from({ length: nodes }, async () => ({ client: await freePort(), quorum: await freePort(), election: await freePort() })));
  const children = ports.map((port, index) => {
    const id = index + 1;
    const dataDir = join(dir, `zk${id}`);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'myid'), `${id}\n`);
    const lines = [
      'tickTime=2000', 'initLimit=10', 'syncLimit=5', `dataDir=${dataDir}`, `clientPort=${port.client}`,
      'clientPortAddress=127.0.0.1', 'admin.enableServer=false', '4lw.commands.whitelist=*', 'forceSync=yes',
    ];
    if (nodes > 1) ports.forEach((p, i) => lines.push(`server.${i + 1}=127.0.0.1:${p.quorum}:${p.election}`));
    writeFileSync(join(dataDir, 'zoo.cfg'), lines.join('\n') + '\n');
    const main = nodes > 1 ? 'org.apache.zookeeper.server.quorum.QuorumPeerMain' : 'org.apache.zookeeper.server.ZooKeeperServerMain';
    // under a bash watchdog on a pipe from us, so the JVM dies with this process whatever happens
    const script = 'exec 3<&0; "$@" </dev/null & program=$!; { cat <&3 >/dev/null; kill -KILL "$program" 2>/dev/null; } & exec 3<&-; wait "$program"';
    return spawn('bash', ['-c', script, 'zookeeper-watchdog', 'java', '-Xmx512m', '-cp', `/etc/zookeeper/conf:${JAR}`, '-Dzookeeper.root.logger=WARN,CONSOLE', main, join(dataDir, 'zoo.cfg')], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
  });
  const close = async (): Promise<void> => {
    await Promise.all(
      children.map((child) => {
        if (child.exitCode !== null) return undefined;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin!.end();
        return exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  for (const port of ports) {
    while (!/Mode: (standalone|leader|follower)/.test(await fourLetterWord('127.0.0.1', port.client, 'srvr').catch(() => ''))) {
      if (Date.now() > deadline) {
        await close();
        throw new Error('ZooKeeper did not start');
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return { connectString: ports.map((p) => `127.0.0.1:${p.client}`).join(','), close };
}

function row(label: string, report: Report): string[] {
  return Object.entries(report).map(([op, r]) => `${label.padEnd(28)} ${op.padEnd(13)} ${String(r.opsPerSec).padStart(9)} ops/s  p50 ${r.p50Ms.toFixed(2).padStart(7)} ms  p99 ${r.p99Ms.toFixed(2).padStart(7)} ms`);
}

function best(a: Report | undefined, b: Report): Report {
  if (a === undefined) return b;
  const merged: Report = {};
  for (const op of Object.keys(b)) merged[op] = a[op].opsPerSec >= b[op].opsPerSec ? a[op] : b[op];
  return merged;
}

async function compare(nodes: number): Promise<void> {
  const label = nodes === 1 ? 'single node' : `${nodes}-node ensemble`;
  let zkReport: Report | undefined;
  let ourReport: Report | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    const zookeeper = await startZooKeeper(nodes);
    try {
      // kazoo talks to the first member (a follower or the leader, whichever it is) in both cases
      zkReport = best(zkReport, await runKazoo(zookeeper.connectString.split(',')[0]));
    } finally {
      await zookeeper.close();
    }
    const ours = await startCoordinator({ nodes, processes: true });
    try {
      ourReport = best(ourReport, await runKazoo(ours.connectString.split(',')[0]));
    } finally {
      await ours.close();
    }
  }
  if (zkReport === undefined || ourReport === undefined) throw new Error('no rounds run');
  console.log(`\n== ${label}: kazoo, ${COUNT} ops each, async window ${WINDOW}, best of ${ROUNDS} rounds ==`);
  for (const line of [...row('ZooKeeper 3.8', zkReport), ...row('kafkaesque coordinator', ourReport)]) console.log(line);
  console.log('ratio ours/ZooKeeper (ops/s):');
  for (const op of Object.keys(zkReport)) {
    console.log(`  ${op.padEnd(13)} ${(ourReport[op].opsPerSec / zkReport[op].opsPerSec).toFixed(2)}x`);
  }
}

if (values.only !== 'ensemble') await compare(1);
if (values.only !== 'single') await compare(3);
