/**
 * A member that was down while the others wrote more than a snapshot's worth of entries catches
 * up from the leader's snapshot (it cannot get those entries one by one any more); a member that
 * missed only a few gets them as a diff. Members run in this process (fast), over real sockets
 * and real files.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinatorClient, startCoordinator, type CoordinatorHandle } from '@kafkaesque/coordinator';
import { createRetrying, findLeader, retrying, until } from './helpers.ts';

const handles: CoordinatorHandle[] = [];
const clients: CoordinatorClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => {});
  for (const handle of handles.splice(0)) await handle.close();
});

async function memberView(handle: CoordinatorHandle, id: number, path: string): Promise<string> {
  const member = handle.members.find((m) => m.id === id)!;
  const client = new CoordinatorClient({ connectString: `${member.host}:${member.port}` });
  clients.push(client);
  await client.connect();
  await retrying(() => client.sync(path));
  const children = (await retrying(() => client.getChildren(path))).sort();
  const stat = (await retrying(() => client.getData(path))).stat;
  return JSON.stringify({ children, cversion: stat.cversion, pzxid: String(stat.pzxid) });
}

describe('catching up after a restart', () => {
  for (const [label, writes] of [['snapshot', 300], ['diff', 20]] as const) {
    it(`a follower that missed ${writes} writes catches up (${label})`, async () => {
      const handle = await startCoordinator({ nodes: 3, snapCount: 100, tickTimeMs: 250, electionTimeoutMs: 400, heartbeatMs: 50 });
      handles.push(handle);
      const leader = await findLeader(handle);
      const follower = handle.members.find((m) => m.id !== leader)!.id;
      const others = handle.members.filter((m) => m.id !== follower);
      const client = new CoordinatorClient({ connectString: others.map((m) => `${m.host}:${m.port}`).join(',') });
      clients.push(client);
      await client.connect();
      // under load the young ensemble may change leaders while a create is in flight: the member
      // drops us (CONNECTIONLOSS) though the create may commit, so retries must recognise our node
      await createRetrying(client, '/catch');
      await handle.kill(follower);
      await Promise.all(Array.from({ length: writes }, (_, i) => createRetrying(client, `/catch/n${i}`, Buffer.from(String(i)))));
      await handle.restart(follower);
      const expected = await memberView(handle, leader, '/catch');
      await until(async () => (await memberView(handle, follower, '/catch')) === expected, 'the follower to catch up');
      expect(JSON.parse(expected).children).toHaveLength(writes);
      // and it keeps up with new writes afterwards
      await createRetrying(client, '/catch/after');
      const after = await memberView(handle, leader, '/catch');
      await until(async () => (await memberView(handle, follower, '/catch')) === after, 'the follower to apply new writes');
    });
  }
});
