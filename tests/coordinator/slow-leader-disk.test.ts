/**
 * A leader whose disk is slower than its followers' round trip: a majority of followers
 * acknowledges each entry before the leader's own write is durable, so the entry commits while
 * the leader may not yet apply it (a member applies only what is on its own disk). The leader
 * must apply it as soon as its write lands — a client connected to the leader, writing one
 * request at a time, used to wait until some later write committed (kazoo saw its heartbeat go
 * unanswered and dropped the connection: the differential test's failures under load).
 * Members run in this process over real sockets and real files; only the leader's log writes are
 * delayed, through the injectable CoordinatorFs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinatorClient, CoordinatorMember, freePort, nodeFs, type CoordinatorFs } from '@kafkaesque/coordinator';
import { until } from './helpers.ts';

/** Longer than a follower's fsync plus a loopback round trip, even on a loaded machine. */
const LEADER_WRITE_DELAY_MS = 300;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** nodeFs, except that appends of a member that is currently leader are held back first. */
function slowWhenLeading(isLeader: () => boolean): CoordinatorFs {
  return {
    ...nodeFs,
    async openAppend(path, durableWrites) {
      const handle = await nodeFs.openAppend(path, durableWrites);
      return {
        async write(bytes) {
          if (isLeader()) await new Promise((resolve) => setTimeout(resolve, LEADER_WRITE_DELAY_MS));
          await handle.write(bytes);
        },
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    },
  };
}

describe('a leader with a slow disk', () => {
  it('answers its own clients once its write is durable, though followers acknowledged first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordinator-slow-leader-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const ids = [1, 2, 3];
    const peerPorts = new Map<number, number>();
    for (const id of ids) peerPorts.set(id, await freePort('127.0.0.1'));
    const members = new Map<number, CoordinatorMember>();
    for (const id of ids) {
      const peers = new Map(ids.filter((other) => other !== id).map((other) => [other, { host: '127.0.0.1', port: peerPorts.get(other)! }] as const));
      const member = new CoordinatorMember({
        id,
        host: '127.0.0.1',
        port: await freePort('127.0.0.1'),
        peerPort: peerPorts.get(id)!,
        peers,
        dataDir: join(dir, `member-${id}`),
        fs: slowWhenLeading(() => members.get(id)?.role === 'leader'),
      });
      members.set(id, member);
    }
    await Promise.all([...members.values()].map((member) => member.start()));
    cleanups.push(async () => {
      await Promise.all([...members.values()].map((member) => member.close()));
    });
    await until(() => [...members.values()].some((member) => member.role === 'leader'), 'a leader');
    const leader = [...members.values()].find((member) => member.role === 'leader')!;
    const client = new CoordinatorClient({ connectString: `127.0.0.1:${leader.clientPort}`, sessionTimeoutMs: 30_000 });
    cleanups.push(() => client.close().catch(() => {}));
    await client.connect();
    // one write at a time: no later write may come along to push an earlier one out
    for (let i = 0; i < 5; i++) await client.create(`/serial-${i}`, Buffer.from(String(i)));
    await client.setData('/serial-0', Buffer.from('changed'));
    expect((await client.getData('/serial-0')).data?.toString()).toBe('changed');
    expect((await client.getChildren('/')).filter((name) => name.startsWith('serial-')).sort()).toEqual(
      ['serial-0', 'serial-1', 'serial-2', 'serial-3', 'serial-4'],
    );
  });
});
