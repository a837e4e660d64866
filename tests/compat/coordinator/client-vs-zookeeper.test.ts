/**
 * Our TypeScript client against Apache ZooKeeper 3.8 (Debian's package), so the broker can run
 * on a real ZooKeeper ensemble instead of the embedded coordinator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkErrorCode, ZkOpCode } from '@kafkaesque/protocol';
import { CoordinatorClient, isCoordinatorError, type WatchEvent } from '@kafkaesque/coordinator';
import { startRealZooKeeper, type RealZooKeeper } from './support.ts';

let real: RealZooKeeper;
const clients: CoordinatorClient[] = [];
async function client(): Promise<CoordinatorClient> {
  const created = new CoordinatorClient({ connectString: real.connectString, sessionTimeoutMs: 6000 });
  clients.push(created);
  await created.connect();
  return created;
}
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    if (isCoordinatorError(error)) return error.codeName;
    throw error;
  }
}
function until(check: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const poll = (): void => (check() ? resolve() : Date.now() > deadline ? reject(new Error('timed out')) : void setTimeout(poll, 10));
    poll();
  });
}

describe('CoordinatorClient against Apache ZooKeeper 3.8', () => {
  beforeAll(async () => {
    real = await startRealZooKeeper();
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await real?.close();
  });

  it('does the everyday operations with typed errors', async () => {
    const zk = await client();
    expect(await zk.create('/ts', Buffer.from('a'))).toBe('/ts');
    expect(await codeOf(zk.create('/ts'))).toBe('NODEEXISTS');
    expect((await zk.getData('/ts')).data?.toString()).toBe('a');
    expect((await zk.setData('/ts', Buffer.from('b'), 0)).version).toBe(1);
    expect(await codeOf(zk.setData('/ts', null, 0))).toBe('BADVERSION');
    expect(await zk.create('/ts/s-', null, { mode: 'persistentSequential' })).toBe('/ts/s-0000000000');
    expect(await codeOf(zk.delete('/ts'))).toBe('NOTEMPTY');
    expect(await zk.getChildren('/ts')).toEqual(['s-0000000000']);
    expect((await zk.getChildren2('/ts')).stat.numChildren).toBe(1);
    await zk.sync('/ts');
    await zk.delete('/ts/s-0000000000');
    await zk.delete('/ts');
    expect(await zk.exists('/ts')).toBeNull();
    expect(await codeOf(zk.getData('/ts'))).toBe('NONODE');
  });

  it('watches, ephemerals and multi behave the same', async () => {
    const zk = await client();
    const other = await client();
    const events: WatchEvent[] = [];
    await zk.exists('/w', (event) => events.push(event));
    await other.create('/w', null, { mode: 'ephemeral' });
    await until(() => events.length === 1);
    await zk.exists('/w', (event) => events.push(event));
    await other.close();
    await until(() => events.length === 2);
    expect(events).toEqual([{ type: 'created', path: '/w' }, { type: 'deleted', path: '/w' }]);

    await zk.create('/m', Buffer.from('x'));
    const results = await zk.multi([{ op: 'check', path: '/m', version: 0 }, { op: 'create', path: '/m/a' }]);
    expect(results.map((r) => r.type)).toEqual([ZkOpCode.check, ZkOpCode.create]);
    let failure: unknown;
    await zk.multi([{ op: 'create', path: '/m/b' }, { op: 'check', path: '/m', version: 5 }]).catch((error) => (failure = error));
    expect(isCoordinatorError(failure, 'BADVERSION')).toBe(true);
    expect((failure as { results: unknown }).results).toEqual([
      { type: ZkOpCode.error, err: 0 },
      { type: ZkOpCode.error, err: ZkErrorCode.BADVERSION },
    ]);
  });

  it('keeps its session across a dropped connection', async () => {
    const zk = await client();
    const sessionId = zk.sessionId;
    await zk.create('/keep', null, { mode: 'ephemeral' });
    const reconnected = new Promise((resolve) => zk.on('session', (state) => state === 'connected' && resolve(state)));
    zk.dropConnection();
    await reconnected;
    expect(zk.sessionId).toBe(sessionId);
    expect(await zk.exists('/keep')).not.toBeNull();
  });
});
