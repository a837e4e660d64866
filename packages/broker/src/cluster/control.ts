/**
 * Fault injection from the command line against a running `kafkaesque up`: the up process
 * listens on a Unix socket, `<data-dir>/control.sock`, for one-line JSON commands, and
 * `kafkaesque fault <command> …` sends them:
 *
 *   kill <id> | stop <id> | restart <id> | pause <id> | resume <id>   (pause/resume: --processes)
 *   cut <a> <b> | heal <a> <b> | slow <a> <b> <ms>                     (replication links)
 *   status                                                             (brokers, controller)
 *
 * Each command answers one JSON line: {"ok": true, …} or {"ok": false, "error": "…"}.
 */
import { existsSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';

/** Longest command line accepted (a bound: the socket is local but still input). */
const COMMAND_BYTES_MAX = 4096;

export interface ControllableCluster {
  readonly brokers: ReadonlyArray<{ id: number; host: string; port: number; running: boolean }>;
  killBroker(id: number): Promise<void>;
  stopBroker(id: number): Promise<void>;
  restartBroker(id: number): Promise<void>;
  pauseBroker?(id: number): void;
  resumeBroker?(id: number): void;
  cutLink?(a: number, b: number): void | Promise<void>;
  healLink?(a: number, b: number): void | Promise<void>;
  slowLink?(a: number, b: number, delayMs: number): void | Promise<void>;
  controllerId?(): number;
}

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, 'control.sock');
}

function integer(value: string | undefined, what: string): number {
  const number = Number(value);
  if (value === undefined || !Number.isInteger(number)) throw new Error(`${what} must be an integer, got ${value}`);
  return number;
}

async function execute(cluster: ControllableCluster, words: string[]): Promise<Record<string, unknown>> {
  const [command, ...args] = words;
  const need = <T>(method: T | undefined, name: string): T => {
    if (method === undefined) throw new Error(`${name} is not available in this mode`);
    return method;
  };
  switch (command) {
    case 'kill':
      await cluster.killBroker(integer(args[0], 'broker id'));
      return {};
    case 'stop':
      await cluster.stopBroker(integer(args[0], 'broker id'));
      return {};
    case 'restart':
      await cluster.restartBroker(integer(args[0], 'broker id'));
      return {};
    case 'pause':
      need(cluster.pauseBroker, 'pause').call(cluster, integer(args[0], 'broker id'));
      return {};
    case 'resume':
      need(cluster.resumeBroker, 'resume').call(cluster, integer(args[0], 'broker id'));
      return {};
    case 'cut':
      await need(cluster.cutLink, 'cut').call(cluster, integer(args[0], 'broker id'), integer(args[1], 'broker id'));
      return {};
    case 'heal':
      await need(cluster.healLink, 'heal').call(cluster, integer(args[0], 'broker id'), integer(args[1], 'broker id'));
      return {};
    case 'slow':
      await need(cluster.slowLink, 'slow').call(cluster, integer(args[0], 'broker id'), integer(args[1], 'broker id'), integer(args[2], 'delay ms'));
      return {};
    case 'status':
      return {
        brokers: cluster.brokers.map(({ id, host, port, running }) => ({ id, host, port, running })),
        controller: cluster.controllerId?.() ?? -1,
      };
    default:
      throw new Error(`unknown command "${command ?? ''}" (kill, stop, restart, pause, resume, cut, heal, slow, status)`);
  }
}

/** Serves control commands for `cluster` on `<dataDir>/control.sock` until closed. */
export async function startControlServer(dataDir: string, cluster: ControllableCluster): Promise<{ close(): Promise<void> }> {
  const path = controlSocketPath(dataDir);
  if (existsSync(path)) rmSync(path); // left by a crashed run
  const server = net.createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > COMMAND_BYTES_MAX) {
        socket.end(`${JSON.stringify({ ok: false, error: 'command too long' })}\n`);
        return;
      }
      const end = buffered.indexOf('\n');
      if (end < 0) return;
      const line = buffered.slice(0, end);
      buffered = '';
      let words: string[];
      try {
        words = JSON.parse(line) as string[];
        if (!Array.isArray(words) || words.some((word) => typeof word !== 'string')) throw new Error('expected a JSON array of strings');
      } catch (error) {
        socket.end(`${JSON.stringify({ ok: false, error: (error as Error).message })}\n`);
        return;
      }
      execute(cluster, words).then(
        (result) => socket.end(`${JSON.stringify({ ok: true, ...result })}\n`),
        (error: unknown) => socket.end(`${JSON.stringify({ ok: false, error: (error as Error)?.message ?? String(error) })}\n`),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        rmSync(path, { force: true });
      }),
  };
}

/** Sends one command to the `up` running on `dataDir`; resolves with its JSON answer. */
export function sendControlCommand(dataDir: string, words: string[], timeoutMs = 120_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(controlSocketPath(dataDir));
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.write(`${JSON.stringify(words)}\n`));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(answer) as Record<string, unknown>);
      } catch {
        reject(new Error(`bad answer: ${answer}`));
      }
    });
    socket.on('error', (error) => reject(new Error(`no kafkaesque up running on ${dataDir}: ${error.message}`)));
  });
}
