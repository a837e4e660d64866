/**
 * Fault tests of a 3-member ensemble, one OS process per member: leader kills during a stream
 * of writes, ephemerals of a killed client, and a leader cut off from the others by proxies.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinatorClient, isCoordinatorError, startCoordinator, type CoordinatorHandle, type WatchEvent } from '@kafkaesque/coordinator';
import { createRetrying, findLeader, linkProxies, modeOf, retrying, sleep, until } from './helpers.ts';

const FAST = { tickTimeMs: 250, electionTimeoutMs: 400, heartbeatMs: 50 };
/** Tail of a child's stderr kept for an error message. */
const OWNER_STDERR_CHARS_MAX = 16_000;
/** Date.now() read in different processes may disagree by a millisecond or so. */
const CLOCK_SLACK_MS = 50;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function ensemble(extra: Parameters<typeof startCoordinator>[0] = {}): Promise<CoordinatorHandle> {
  const handle = await startCoordinator({ nodes: 3, processes: true, ...FAST, ...extra });
  cleanups.push(() => handle.close());
  return handle;
}

function clientFor(connectString: string, sessionTimeoutMs = 4000): CoordinatorClient {
  const client = new CoordinatorClient({ connectString, sessionTimeoutMs });
  cleanups.push(() => client.close());
  return client;
}

/** Each member's view of the children of `path` and their data, read through that member after a sync. */
async function viewsOf(handle: CoordinatorHandle, path: string): Promise<string[]> {
  const views: string[] = [];
  for (const member of handle.members) {
    const client = clientFor(`${member.host}:${member.port}`);
    await client.connect();
    await retrying(() => client.sync(path));
    const children = (await retrying(() => client.getChildren(path))).sort();
    const childPathOf = (child: string): string => (path === '/' ? `/${child}` : `${path}/${child}`);
    const data = await Promise.all(children.map(async (child) => (await retrying(() => client.getData(childPathOf(child)))).data?.toString()));
    views.push(JSON.stringify(children.map((child, i) => [child, data[i]])));
    await client.close();
  }
  return views;
}

describe('3-member ensemble in separate processes', { timeout: 120_000 }, () => {
  it('loses no acknowledged write and keeps sessions across 5 leader kills', async () => {
    const handle = await ensemble();
    const writer = clientFor(handle.connectString, 6000);
    await writer.connect();
    const sessionId = writer.sessionId;
    const expired: string[] = [];
    writer.on('session', (state) => state === 'expired' && expired.push(state));
    await retrying(() => writer.create('/stream'));
    await retrying(() => writer.create('/stream-owner', null, { mode: 'ephemeral' }));

    const acknowledged: string[] = [];
    let stop = false;
    const stream = (async () => {
      for (let i = 0; !stop; i++) {
        const path = `/stream/w${String(i).padStart(6, '0')}`;
        // a retry after a lost reply may find the first attempt committed: createRetrying accepts
        // that only if the node holds this write's data
        await createRetrying(writer, path, Buffer.from(String(i)));
        acknowledged.push(path);
      }
    })();

    for (let kill = 0; kill < 5; kill++) {
      const ackedBefore = acknowledged.length;
      await until(() => acknowledged.length >= ackedBefore + 20, 'writes before the kill');
      const leader = await findLeader(handle);
      await handle.kill(leader);
      await findLeader(handle, [leader]);
      const ackedAfterKill = acknowledged.length;
      await until(() => acknowledged.length >= ackedAfterKill + 20, 'writes after the kill');
      await handle.restart(leader);
    }
    stop = true;
    await stream;

    await writer.sync('/stream');
    const children = new Set(await writer.getChildren('/stream'));
    const lost = acknowledged.filter((path) => !children.has(path.slice('/stream/'.length)));
    expect(lost).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(200);
    expect(writer.sessionId).toBe(sessionId);
    expect(expired).toEqual([]);
    expect(await writer.exists('/stream-owner')).not.toBeNull();
    const views = await viewsOf(handle, '/stream');
    expect(new Set(views).size).toBe(1);
  });

  it("removes a killed client's ephemerals after its session timeout, not before", async () => {
    const handle = await ensemble();
    const sessionTimeoutMs = 3000;
    const script = fileURLToPath(new URL('./ephemeral-owner.ts', import.meta.url));
    const child = spawn(process.execPath, [script, handle.connectString, String(sessionTimeoutMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
    cleanups.push(async () => void child.kill('SIGKILL'));
    // the owner's stderr, kept (bounded) so that a failure to start explains itself
    let ownerStderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      ownerStderr = (ownerStderr + chunk).slice(-OWNER_STDERR_CHARS_MAX);
    });
    // the owner's stdout, line by line
    const lines: string[] = [];
    let partial = '';
    let lineArrived: () => void = () => {};
    let exited: Error | null = null;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      partial += chunk;
      const complete = partial.split('\n');
      partial = complete.pop()!;
      lines.push(...complete);
      lineArrived();
    });
    // 'close' (not 'exit'): by then stderr has been read to its end
    child.once('close', (code, signal) => {
      exited = new Error(`owner exited ${code ?? signal}; its stderr:\n${ownerStderr}`);
      lineArrived();
    });
    const nextLine = async (): Promise<string> => {
      while (lines.length === 0) {
        if (exited !== null) throw exited;
        await new Promise<void>((resolve) => (lineArrived = resolve));
      }
      return lines.shift()!;
    };
    expect(await nextLine()).toBe('ready /owned');

    const observer = clientFor(handle.connectString);
    await observer.connect();
    const deleted: WatchEvent[] = [];
    expect(await observer.exists('/owned', (event) => deleted.push(event))).not.toBeNull();
    // the server hears from the session after this instant (the owner's request is sent after
    // it), so the session may not expire before touchedAtMs + its timeout. (Measuring from the
    // kill assumed a ping just before it; the owner pings every timeout/3 or more when loaded.)
    const touchedAtMs = Date.now();
    child.stdin!.write('touch\n');
    expect(await nextLine()).toBe('touched');
    child.kill('SIGKILL');
    await sleep(sessionTimeoutMs / 3);
    // well within the timeout: still there
    expect(await observer.exists('/owned')).not.toBeNull();
    expect(deleted).toEqual([]);
    await until(() => deleted.length > 0, 'the ephemeral to go', 30_000);
    const goneAfterMs = Date.now() - touchedAtMs;
    expect(deleted[0]).toEqual({ type: 'deleted', path: '/owned' });
    // the deletion event arrives after the expiry, which is at least a full timeout after the touch
    expect(goneAfterMs).toBeGreaterThanOrEqual(sessionTimeoutMs - CLOCK_SLACK_MS);
  });

  it('a cut-off leader cannot write, the majority elects a new one, and all agree after healing', async () => {
    const links = await linkProxies(3);
    cleanups.push(() => links.close());
    const handle = await ensemble({ peerAddress: links.peerAddress });
    const oldLeader = await findLeader(handle);
    const leaderInfo = handle.members.find((m) => m.id === oldLeader)!;
    const majority = handle.members.filter((m) => m.id !== oldLeader);

    const minorityClient = clientFor(`${leaderInfo.host}:${leaderInfo.port}`, 4000);
    await minorityClient.connect();
    await retrying(() => minorityClient.create('/before', Buffer.from('1')));
    const majorityClient = clientFor(majority.map((m) => `${m.host}:${m.port}`).join(','), 4000);
    await majorityClient.connect();

    links.isolate(oldLeader);
    const minorityWrite = minorityClient.create('/from-minority', Buffer.from('x')).then(
      () => 'written',
      (error: unknown) => (isCoordinatorError(error) ? error.codeName : String(error)),
    );
    const newLeader = await findLeader(handle, [oldLeader]);
    expect(newLeader).not.toBe(oldLeader);
    await retrying(() => majorityClient.create('/from-majority', Buffer.from('y')));
    expect(await minorityWrite).toMatch(/CONNECTIONLOSS|SESSIONEXPIRED/);
    expect(await modeOf(leaderInfo.host, leaderInfo.port)).not.toBe('leader');

    links.healAll();
    await until(async () => (await modeOf(leaderInfo.host, leaderInfo.port)) === 'follower', 'the old leader to rejoin');
    await retrying(() => majorityClient.create('/after-heal', Buffer.from('z')));
    const views = await viewsOf(handle, '/');
    expect(new Set(views).size).toBe(1);
    const names = JSON.parse(views[0]).map(([name]: [string]) => name);
    expect(names).toEqual(expect.arrayContaining(['before', 'from-majority', 'after-heal']));
    expect(names).not.toContain('from-minority');
  });
});
