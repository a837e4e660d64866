/**
 * Starting an ensemble: in this process (members share the event loop, for fast tests) or one
 * OS process per member (`processes: true`, for real failure tests). Ports: clients connect to
 * port..port+N-1, members talk to each other on peerPort..peerPort+N-1 (by default port+1000).
 * With port 0, free ports are picked first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoordinatorMember, type MemberOptions } from './server/member.ts';

export interface StartCoordinatorOptions {
  nodes?: number;
  host?: string;
  port?: number;
  peerPort?: number;
  /** Defaults to a fresh temp dir, removed by close(). */
  dataDir?: string;
  processes?: boolean;
  forceSync?: boolean;
  tickTimeMs?: number;
  electionTimeoutMs?: number;
  heartbeatMs?: number;
  snapCount?: number;
  /**
   * Where member `from` reaches member `to` on the peer network; defaults to the member's own
   * peer address. The fault tests put proxies here to cut links.
   */
  peerAddress?: (from: number, to: number, actual: { host: string; port: number }) => { host: string; port: number };
}

export interface CoordinatorMemberInfo {
  id: number;
  host: string;
  port: number;
  peerPort: number;
  pid: number;
}

export interface CoordinatorHandle {
  connectString: string;
  members: CoordinatorMemberInfo[];
  dataDir: string;
  kill(id: number): Promise<void>;
  restart(id: number): Promise<void>;
  close(): Promise<void>;
  /** In-process members (for tests); empty with processes: true. */
  inProcess: Map<number, CoordinatorMember>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const SERVING_POLL_FIRST_MS = 5;
const SERVING_POLL_MAX_MS = 50;

/** Waits until a member answers the ruok/srvr health check with a mode other than looking. */
export async function waitServing(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // A lone member elects itself within milliseconds of listening: ask again soon, then back off.
  let pauseMs = SERVING_POLL_FIRST_MS;
  while (Date.now() < deadline) {
    const answer = await fourLetterWord(host, port, 'srvr').catch(() => '');
    if (/Mode: (standalone|leader|follower)/.test(answer)) return;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pauseMs = Math.min(pauseMs * 2, SERVING_POLL_MAX_MS);
  }
  throw new Error(`coordinator ${host}:${port} not serving after ${timeoutMs} ms`);
}

export function fourLetterWord(host: string, port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => socket.write(word));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

const MEMBER_ENTRY = fileURLToPath(new URL('./member-main.ts', import.meta.url));

export async function startCoordinator(options: StartCoordinatorOptions = {}): Promise<CoordinatorHandle> {
  const nodes = options.nodes ?? 1;
  if (![1, 3, 5].includes(nodes) && nodes < 1) throw new Error(`nodes must be 1, 3 or 5 (got ${nodes})`);
  const host = options.host ?? '127.0.0.1';
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kafkaesque-coordinator-'));
  const ids = Array.from({ length: nodes }, (_, i) => i + 1);
  const clientPorts = new Map<number, number>();
  const peerPorts = new Map<number, number>();
  for (const id of ids) {
    clientPorts.set(id, options.port ? options.port + id - 1 : await freePort(host));
    peerPorts.set(id, options.peerPort ? options.peerPort + id - 1 : options.port ? options.port + 1000 + id - 1 : await freePort(host));
  }
  const memberOptions = (id: number): MemberOptions => {
    const peers = new Map<number, { host: string; port: number }>();
    for (const other of ids) {
      if (other === id) continue;
      const actual = { host, port: peerPorts.get(other)! };
      peers.set(other, options.peerAddress ? options.peerAddress(id, other, actual) : actual);
    }
    return {
      id,
      host,
      port: clientPorts.get(id)!,
      peerPort: peerPorts.get(id)!,
      peers,
      dataDir: join(dataDir, `coordinator-${id}`),
      forceSync: options.forceSync,
      tickTimeMs: options.tickTimeMs,
      electionTimeoutMs: options.electionTimeoutMs,
      heartbeatMs: options.heartbeatMs,
      snapCount: options.snapCount,
    };
  };

  const inProcess = new Map<number, CoordinatorMember>();
  const children = new Map<number, ChildProcess>();

  const launch = async (id: number): Promise<void> => {
    const config = memberOptions(id);
    if (!options.processes) {
      const member = new CoordinatorMember(config);
      await member.start();
      inProcess.set(id, member);
      return;
    }
    // stdin is a pipe the member watches: if this process dies, however abruptly, the member
    // sees end-of-file and exits instead of lingering
    const child = spawn(process.execPath, [MEMBER_ENTRY, JSON.stringify({ ...config, peers: [...config.peers] })], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.set(id, child);
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`coordinator ${id} exited with ${code}`)));
    });
  };

  await Promise.all(ids.map(launch));
  await Promise.all(ids.map((id) => waitServing(host, clientPorts.get(id)!)));

  const members = (): CoordinatorMemberInfo[] =>
    ids.map((id) => ({ id, host, port: clientPorts.get(id)!, peerPort: peerPorts.get(id)!, pid: options.processes ? (children.get(id)?.pid ?? -1) : process.pid }));

  const handle: CoordinatorHandle = {
    connectString: ids.map((id) => `${host}:${clientPorts.get(id)}`).join(','),
    members: members(),
    dataDir,
    inProcess,
    async kill(id) {
      if (options.processes) {
        const child = children.get(id);
        if (child === undefined || child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
        children.delete(id);
      } else {
        await inProcess.get(id)?.close();
        inProcess.delete(id);
      }
    },
    async restart(id) {
      await handle.kill(id);
      await launch(id);
      handle.members = members();
    },
    async close() {
      await Promise.all(ids.map((id) => handle.kill(id)));
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}
