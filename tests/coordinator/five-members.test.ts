/**
 * A 5-member ensemble (in this process, real sockets and files): it keeps writing with two
 * members down, refuses writes with three down, and resumes with all members agreeing once a
 * majority is back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinatorClient, isCoordinatorError, startCoordinator, type CoordinatorHandle } from '@kafkaesque/coordinator';
import { findLeader, retrying, until } from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function childrenSeenBy(handle: CoordinatorHandle, id: number): Promise<string> {
  const member = handle.members.find((m) => m.id === id)!;
  const client = new CoordinatorClient({ connectString: `${member.host}:${member.port}` });
  try {
    await client.connect();
    await retrying(() => client.sync('/five'));
    return JSON.stringify((await retrying(() => client.getChildren('/five'))).sort());
  } finally {
    await client.close();
  }
}

describe('5-member ensemble', () => {
  it('tolerates two failures, refuses writes without a majority, and recovers', async () => {
    const handle = await startCoordinator({ nodes: 5, tickTimeMs: 250, electionTimeoutMs: 300, heartbeatMs: 50 });
    cleanups.push(() => handle.close());
    const client = new CoordinatorClient({ connectString: handle.connectString, sessionTimeoutMs: 5000 });
    cleanups.push(() => client.close());
    await client.connect();
    await retrying(() => client.create('/five'));

    const leader = await findLeader(handle);
    const down = [leader, handle.members.find((m) => m.id !== leader)!.id];
    for (const id of down) await handle.kill(id);
    for (let i = 0; i < 20; i++) await retrying(() => client.create(`/five/a${i}`));

    const third = handle.members.find((m) => !down.includes(m.id))!.id;
    await handle.kill(third);
    down.push(third);
    // two of five: no leader can commit; the write fails instead of being acknowledged
    let refused: unknown;
    try {
      await client.create('/five/minority');
    } catch (error) {
      refused = error;
    }
    expect(isCoordinatorError(refused, 'CONNECTIONLOSS')).toBe(true);

    await handle.restart(third);
    await retrying(() => client.create('/five/back'));
    for (const id of down.slice(0, 2)) await handle.restart(id);
    const expected = await childrenSeenBy(handle, third);
    const names = JSON.parse(expected) as string[];
    expect(names).toEqual(expect.arrayContaining([...Array.from({ length: 20 }, (_, i) => `a${i}`), 'back']));
    // the refused write was never acknowledged; like ZooKeeper's CONNECTIONLOSS, its outcome is
    // unknown: a surviving member may have logged it and the recovered majority may commit it
    expect(names.length - (names.includes('minority') ? 1 : 0)).toBe(21);
    for (const member of handle.members) {
      await until(async () => (await childrenSeenBy(handle, member.id)) === expected, `member ${member.id} to agree`);
    }
  });
});
