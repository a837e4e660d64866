/**
 * Shared fixtures of the coordinator compatibility suites: the Debian python3-kazoo and
 * zookeeper packages (missing ones fail loudly), a real ZooKeeper 3.8 started on loopback with a
 * temp dataDir, and running the Python programs in ./py.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's python3 (kazoo is installed for it, not for other pythons on PATH). */
export const PYTHON = '/usr/bin/python3';
export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
export const ZK_CLI = '/usr/share/zookeeper/bin/zkCli.sh';
const PY_DIR = fileURLToPath(new URL('./py/', import.meta.url));

export function requireKazoo(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import kazoo, kazoo.version; print(kazoo.version.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`kazoo is missing: install Debian's python3-kazoo (apt-get install python3-kazoo): ${probe.stderr}`);
  }
}

export function requireZooKeeper(): void {
  if (!existsSync(ZOOKEEPER_JAR) || !existsSync(ZK_CLI)) {
    throw new Error(`Apache ZooKeeper is missing: install Debian's zookeeper package (${ZOOKEEPER_JAR}, ${ZK_CLI})`);
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, with a hard timeout. */
export function run(command: string, args: string[], timeoutMs = 90_000, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs py/<script> and returns its last stdout line parsed as JSON (fails with its output otherwise). */
export async function runPython<T>(script: string, args: string[], timeoutMs = 90_000): Promise<T> {
  const result = await run(PYTHON, [join(PY_DIR, script), ...args], timeoutMs);
  const lines = result.stdout.trim().split('\n');
  try {
    if (result.code !== 0) throw new Error(`exit ${result.code}`);
    return JSON.parse(lines[lines.length - 1]) as T;
  } catch (error) {
    throw new Error(`${script} failed (${String(error)}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
  }
}

export function pyScript(script: string): string {
  return join(PY_DIR, script);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('connect', () => socket.write(word));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(''));
  });
}

/**
 * Starts a program under a bash watchdog holding a pipe from us: if this process dies, however
 * abruptly, the pipe closes and the watchdog kills the program (a JVM would otherwise outlive
 * the test run). Killing the returned child (bash) kills the program too.
 */
export function spawnWithWatchdog(command: string[]): ChildProcess {
  const script = 'exec 3<&0; "$@" </dev/null & program=$!; { cat <&3 >/dev/null; kill -KILL "$program" 2>/dev/null; } & exec 3<&-; trap \'kill -KILL "$program" 2>/dev/null\' TERM; wait "$program"';
  return spawn('bash', ['-c', script, 'zookeeper-watchdog', ...command], { stdio: ['pipe', 'ignore', 'pipe'] });
}

export interface RealZooKeeper {
  connectString: string;
  port: number;
  close(): Promise<void>;
}

/** Starts Debian's ZooKeeper 3.8 standalone on 127.0.0.1 with a fresh dataDir. */
export async function startRealZooKeeper(options: { forceSync?: boolean } = {}): Promise<RealZooKeeper> {
  requireZooKeeper();
  const dir = mkdtempSync(join(tmpdir(), 'real-zookeeper-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'zoo.cfg'),
    [
      'tickTime=2000',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=*',
      `forceSync=${options.forceSync === false ? 'no' : 'yes'}`,
      '',
    ].join('\n'),
  );
  const child = spawnWithWatchdog(
    ['java', '-Xmx256m', '-cp', `/etc/zookeeper/conf:${ZOOKEEPER_JAR}`, '-Dzookeeper.root.logger=WARN,CONSOLE', 'org.apache.zookeeper.server.ZooKeeperServerMain', join(dir, 'zoo.cfg')],
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const close = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end(); // the watchdog kills the JVM and bash then exits
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while ((await fourLetterWord(port, 'ruok')) !== 'imok') {
    if (child.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(`real ZooKeeper did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { connectString: `127.0.0.1:${port}`, port, close };
}
