/**
 * Apache ZooKeeper's own CLI (Debian's zkCli.sh), unmodified, against our coordinator:
 * ls, create (plain, ephemeral, sequential), get, stat, set, delete, deleteall.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type CoordinatorHandle } from '@kafkaesque/coordinator';
import { requireZooKeeper, run, ZK_CLI } from './support.ts';

let handle: CoordinatorHandle;

/** One zkCli invocation; returns its output (zkCli prints results on both streams) without the JVM's log noise. */
async function zkCli(...command: string[]): Promise<string> {
  const result = await run(ZK_CLI, ['-server', handle.connectString, ...command], 60_000, { ...process.env, CLIENT_JVMFLAGS: '-Dzookeeper.root.logger=ERROR,CONSOLE' });
  // zkCli exits non-zero when a command fails (e.g. delete of a non-empty node): callers check the text
  if (result.code === null) throw new Error(`zkCli ${command.join(' ')} was killed: ${result.stdout}\n${result.stderr}`);
  return `${result.stdout}\n${result.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('WatchedEvent') && !line.startsWith('SLF4J') && !line.startsWith('WATCHER::') && line.trim() !== '')
    .join('\n');
}

describe('zkCli against the coordinator', () => {
  beforeAll(async () => {
    requireZooKeeper();
    handle = await startCoordinator({ nodes: 1, processes: true });
  });
  afterAll(async () => handle?.close());

  it('create, ls, get, stat, set, delete', async () => {
    expect(await zkCli('create', '/zkcli', 'hello')).toContain('Created /zkcli');
    expect(await zkCli('ls', '/')).toContain('[zkcli, zookeeper]');
    expect(await zkCli('get', '/zkcli')).toContain('hello');
    const stat = await zkCli('stat', '/zkcli');
    expect(stat).toMatch(/cZxid = 0x[0-9a-f]+/);
    expect(stat).toMatch(/dataVersion = 0/);
    expect(stat).toMatch(/dataLength = 5/);
    expect(stat).toMatch(/numChildren = 0/);
    await zkCli('set', '/zkcli', 'world');
    expect(await zkCli('stat', '/zkcli')).toMatch(/dataVersion = 1/);
    expect(await zkCli('get', '/zkcli')).toContain('world');
    expect(await zkCli('create', '-s', '/zkcli/seq-', 'x')).toContain('Created /zkcli/seq-0000000000');
    expect(await zkCli('create', '-e', '/zkcli/eph', 'x')).toContain('Created /zkcli/eph');
    // zkCli exits without closing its session, so the ephemeral lives until the session times out
    expect(await zkCli('stat', '/zkcli/eph')).toMatch(/ephemeralOwner = 0x[1-9a-f][0-9a-f]*/);
    expect(await zkCli('ls', '/zkcli')).toContain('[eph, seq-0000000000]');
    await zkCli('delete', '/zkcli/eph');
    expect(await zkCli('delete', '/zkcli')).toMatch(/not empty/i);
    await zkCli('delete', '/zkcli/seq-0000000000');
    await zkCli('delete', '/zkcli');
    expect(await zkCli('ls', '/')).toContain('[zookeeper]');
    expect(await zkCli('get', '/zkcli')).toMatch(/Node does not exist/);
  });

  it('create without data stores null; deleteall removes a subtree', async () => {
    await zkCli('create', '/nodata');
    expect(await zkCli('get', '/nodata')).toContain('null');
    await zkCli('create', '/nodata/a', 'x');
    expect(await zkCli('ls', '/nodata')).toContain('[a]');
    await zkCli('deleteall', '/nodata');
    expect(await zkCli('ls', '/')).not.toContain('nodata');
  });
});
