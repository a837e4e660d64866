// `kafkaesque up` as DESIGN.md specifies it: one line per broker, then the ready line; data
// kept in --data-dir; SIGTERM shuts down cleanly with exit code 0.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey } from '@kafkaesque/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient } from './support/raw-client.ts';

const cli = new URL('../../packages/broker/src/cli/main.ts', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'kafkaesque-cli-'));
const children: Array<ReturnType<typeof spawn>> = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function run(args: string[]) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (stdout.includes('ready ')) resolve(stdout);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
}

describe('kafkaesque up', () => {
  it('prints the broker lines and the ready line, serves, and exits 0 on SIGTERM', async () => {
    const up = run(['up', '--brokers', '2', '--port', '0', '--data-dir', dataDir]);
    const stdout = await up.ready;
    // Two brokers run on the embedded coordinator, whose member is listed first.
    const [coordinatorLine, ...lines] = stdout.trim().split('\n');
    expect(coordinatorLine).toMatch(new RegExp(`^coordinator 1 listening 127\\.0\\.0\\.1:\\d+ pid=${up.child.pid}$`));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^broker 1 listening 127\\.0\\.0\\.1:\\d+ pid=${up.child.pid}$`));
    expect(lines[1]).toMatch(new RegExp(`^broker 2 listening 127\\.0\\.0\\.1:\\d+ pid=${up.child.pid}$`));
    const ports = lines.slice(0, 2).map((line) => /:(\d+) /.exec(line)![1]);
    expect(lines[2]).toBe(`ready bootstrap=127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}`);

    const client = await RawClient.connect(`127.0.0.1:${ports[1]}`);
    const created = await client.request(ApiKey.CreateTopics, 5, { topics: [{ name: 'from-cli', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(created.topics[0].errorCode).toBe(0);
    const metadata = await client.request(ApiKey.Metadata, 5, { topics: null, allowAutoTopicCreation: false });
    expect(metadata.brokers.map((broker: { nodeId: number }) => broker.nodeId).sort()).toEqual([1, 2]);
    const leaders = metadata.topics.find((topic: { name: string }) => topic.name === 'from-cli').partitions.map((p: { leaderId: number }) => p.leaderId);
    expect(new Set(leaders)).toEqual(new Set([1, 2]));
    client.close();

    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    expect(existsSync(join(dataDir, 'coordinator'))).toBe(true);

    const again = run(['up', '--port', '0', '--data-dir', dataDir, '--brokers', '2']);
    const secondPort = /broker 1 listening 127\.0\.0\.1:(\d+)/.exec(await again.ready)![1];
    const client2 = await RawClient.connect(`127.0.0.1:${secondPort}`);
    const kept = await client2.request(ApiKey.Metadata, 5, { topics: null, allowAutoTopicCreation: false });
    expect(kept.topics.map((topic: { name: string }) => topic.name)).toContain('from-cli');
    client2.close();
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
  });

  it('prints help', async () => {
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output().stdout).toContain('kafkaesque up');
  });
});
