/**
 * Our client against one in-process coordinator member over real sockets: the data model,
 * typed errors, watches, multi, sessions (reconnect, setWatches, expiry), durability across a
 * restart, and the four-letter words.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeZkFrame, ZkConnectRequest, ZkCreateRequest, ZkOpCode, encodeZkRequest, ZkErrorCode } from '@kafkaesque/protocol';
import {
  CoordinatorClient,
  CoordinatorMember,
  fourLetterWord,
  isCoordinatorError,
  type WatchEvent,
} from '@kafkaesque/coordinator';

const TICK_MS = 100;
let dataDir: string;
let member: CoordinatorMember;
let connectString: string;
const clients: CoordinatorClient[] = [];

async function startMember(): Promise<void> {
  member = new CoordinatorMember({ id: 1, host: '127.0.0.1', port: member?.clientPort ?? 0, peerPort: 0, peers: new Map(), dataDir, tickTimeMs: TICK_MS });
  await member.start();
  connectString = `127.0.0.1:${member.clientPort}`;
  while (!member.isServing) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function client(sessionTimeoutMs = 4000): Promise<CoordinatorClient> {
  const created = new CoordinatorClient({ connectString, sessionTimeoutMs });
  clients.push(created);
  await created.connect();
  return created;
}

async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isCoordinatorError(error)) return error.codeName;
    throw error;
  }
  return 'OK';
}

function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'coordinator-single-'));
  await startMember();
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await member.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('single-node coordinator', () => {
  it('creates, reads, writes, lists and deletes with versions and typed errors', async () => {
    const zk = await client();
    expect(await zk.create('/crud', Buffer.from('v0'))).toBe('/crud');
    expect(await errorOf(zk.create('/crud'))).toBe('NODEEXISTS');
    expect(await errorOf(zk.create('/missing/child'))).toBe('NONODE');
    const { data, stat } = await zk.getData('/crud');
    expect(data?.toString()).toBe('v0');
    expect(stat.version).toBe(0);
    const updated = await zk.setData('/crud', Buffer.from('v1'), 0);
    expect(updated.version).toBe(1);
    expect(updated.mzxid).toBeGreaterThan(updated.czxid);
    expect(await errorOf(zk.setData('/crud', Buffer.from('v2'), 0))).toBe('BADVERSION');
    await zk.create('/crud/child');
    expect(await errorOf(zk.delete('/crud'))).toBe('NOTEMPTY');
    expect(await zk.getChildren('/crud')).toEqual(['child']);
    const { children, stat: parentStat } = await zk.getChildren2('/crud');
    expect(children).toEqual(['child']);
    expect(parentStat).toMatchObject({ numChildren: 1, cversion: 1 });
    await zk.delete('/crud/child', 0);
    expect(await errorOf(zk.delete('/crud', 0))).toBe('BADVERSION');
    await zk.delete('/crud', 1);
    expect(await zk.exists('/crud')).toBeNull();
    expect(await errorOf(zk.getData('/crud'))).toBe('NONODE');
  });

  it('keeps null data apart from empty data, accepts up to jute.maxbuffer', async () => {
    const zk = await client();
    await zk.create('/nulldata', null);
    await zk.create('/emptydata', Buffer.alloc(0));
    expect((await zk.getData('/nulldata')).data).toBeNull();
    expect((await zk.getData('/emptydata')).data).toEqual(Buffer.alloc(0));
    const big = Buffer.alloc(1024 * 1000, 7);
    await zk.create('/big', big);
    expect((await zk.getData('/big')).data?.equals(big)).toBe(true);
    expect(await errorOf(zk.setData('/big', Buffer.alloc(0xfffff + 1)))).toMatch(/BADARGUMENTS|CONNECTIONLOSS/);
  });

  it('numbers sequential nodes per parent with 10 digits', async () => {
    const zk = await client();
    await zk.create('/seq');
    expect(await zk.create('/seq/n-', null, { mode: 'persistentSequential' })).toBe('/seq/n-0000000000');
    await zk.create('/seq/plain');
    expect(await zk.create('/seq/n-', null, { mode: 'ephemeralSequential' })).toBe('/seq/n-0000000002');
  });

  it('delivers one-shot data, child and exists watches in order, before the triggering reply', async () => {
    const watcher = await client();
    const writer = await client();
    const events: string[] = [];
    const record = (label: string) => (event: WatchEvent) => events.push(`${label}:${event.type}:${event.path}`);
    await watcher.exists('/w', record('exists'));
    await writer.create('/w', Buffer.from('1'));
    await until(() => events.length === 1, 'created event');
    await watcher.getData('/w', record('data'));
    await watcher.getChildren('/w', record('children'));
    await writer.create('/w/c');
    await writer.setData('/w', Buffer.from('2'));
    await writer.setData('/w', Buffer.from('3')); // the data watch was one-shot
    await until(() => events.length === 3, 'child and data events');
    expect(events).toEqual(['exists:created:/w', 'children:children:/w', 'data:changed:/w']);

    // a client sees the event for its own write before the write's reply
    const own: string[] = [];
    await watcher.getData('/w', () => own.push('event'));
    await watcher.setData('/w', Buffer.from('4'));
    own.push('reply');
    expect(own).toEqual(['event', 'reply']);
  });

  it('runs multi atomically with per-op results and errors', async () => {
    const zk = await client();
    await zk.create('/m', Buffer.from('x'));
    const results = await zk.multi([
      { op: 'check', path: '/m', version: 0 },
      { op: 'create', path: '/m/a', data: Buffer.from('a') },
      { op: 'setData', path: '/m', data: Buffer.from('y') },
      { op: 'delete', path: '/m/a' },
    ]);
    expect(results.map((r) => r.type)).toEqual([ZkOpCode.check, ZkOpCode.create, ZkOpCode.setData, ZkOpCode.delete]);
    let failure: unknown;
    try {
      await zk.multi([
        { op: 'create', path: '/m/b' },
        { op: 'check', path: '/m', version: 0 },
        { op: 'delete', path: '/m' },
      ]);
    } catch (error) {
      failure = error;
    }
    expect(isCoordinatorError(failure, 'BADVERSION')).toBe(true);
    expect((failure as { results: unknown }).results).toEqual([
      { type: ZkOpCode.error, err: 0 },
      { type: ZkOpCode.error, err: ZkErrorCode.BADVERSION },
      { type: ZkOpCode.error, err: ZkErrorCode.RUNTIMEINCONSISTENCY },
    ]);
    expect(await zk.exists('/m/b')).toBeNull();
    expect((await zk.getData('/m')).data?.toString()).toBe('y');
  });

  it('refuses children of ephemerals and removes ephemerals when the session closes', async () => {
    const owner = await client();
    const observer = await client();
    await owner.create('/eph', null, { mode: 'ephemeral' });
    expect(await errorOf(owner.create('/eph/child'))).toBe('NOCHILDRENFOREPHEMERALS');
    expect((await observer.exists('/eph'))?.ephemeralOwner).toBe(owner.sessionId);
    const deleted: WatchEvent[] = [];
    await observer.exists('/eph', (event) => deleted.push(event));
    await owner.close();
    await until(() => deleted.length === 1, 'deleted event');
    expect(deleted[0]).toEqual({ type: 'deleted', path: '/eph' });
  });

  it('keeps the session and its watches across a reconnect (setWatches)', async () => {
    const zk = await client();
    const other = await client();
    await zk.create('/rw', Buffer.from('a'));
    await zk.create('/rw/e', null, { mode: 'ephemeral' });
    const events: WatchEvent[] = [];
    await zk.getData('/rw', (event) => events.push(event));
    const sessionId = zk.sessionId;
    const reconnected = new Promise((resolve) => zk.once('session', (state) => state === 'disconnected' && zk.once('session', resolve)));
    zk.dropConnection();
    await other.setData('/rw', Buffer.from('b')); // while zk may be disconnected
    await reconnected;
    expect(zk.sessionId).toBe(sessionId);
    await until(() => events.length === 1, 'changed event after reconnect');
    expect(events[0]).toEqual({ type: 'changed', path: '/rw' });
    expect(await other.exists('/rw/e')).not.toBeNull();
  });

  it('expires a silent session after its timeout, deleting its ephemerals', async () => {
    // a raw client that creates an ephemeral and then goes silent without closing
    const socket = net.connect(member.clientPort, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(encodeZkFrame(ZkConnectRequest, { protocolVersion: 0, lastZxidSeen: 0n, timeOut: 300, sessionId: 0n, passwd: Buffer.alloc(16), readOnly: false }));
    await new Promise((resolve) => socket.once('data', resolve));
    socket.write(encodeZkRequest(1, ZkOpCode.create, ZkCreateRequest, { path: '/silent', data: null, acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 1 }));
    await new Promise((resolve) => socket.once('data', resolve));
    const observer = await client();
    const stat = await observer.exists('/silent');
    expect(stat).not.toBeNull();
    const gone: WatchEvent[] = [];
    await observer.exists('/silent', (event) => gone.push(event));
    await until(() => gone.length === 1, 'ephemeral deleted by expiry');
    expect(member.tree.sessions.has(stat!.ephemeralOwner)).toBe(false);
    socket.destroy();
  });

  it('answers a reconnect with a wrong password or an unknown session as expired', async () => {
    const zk = await client();
    const sessions: string[] = [];
    const forged = new CoordinatorClient({ connectString, sessionTimeoutMs: 4000 });
    Object.assign(forged, { sessionId: zk.sessionId, passwd: Buffer.alloc(16, 1) });
    forged.on('session', (state) => sessions.push(state));
    expect(await errorOf(forged.connect())).toBe('SESSIONEXPIRED');
    expect(sessions).toEqual(['expired']);
  });

  it('sync returns and the four-letter words answer', async () => {
    const zk = await client();
    await zk.sync('/');
    expect(await fourLetterWord('127.0.0.1', member.clientPort, 'ruok')).toBe('imok');
    expect(await fourLetterWord('127.0.0.1', member.clientPort, 'srvr')).toMatch(/Mode: standalone\nNode count: \d+/);
    expect(await fourLetterWord('127.0.0.1', member.clientPort, 'stat')).toMatch(/Clients:\n \/127\.0\.0\.1:\d+/);
    const mntr = await fourLetterWord('127.0.0.1', member.clientPort, 'mntr');
    expect(mntr).toMatch(/^zk_version\t/);
    expect(mntr).toMatch(/zk_server_state\tstandalone/);
    expect(mntr).toMatch(/zk_znode_count\t\d+/);
  });

  it('restores the tree and zxid after a restart', async () => {
    const zk = await client();
    await zk.create('/durable', Buffer.from('kept'));
    const { stat } = await zk.getData('/durable');
    for (const c of clients.splice(0)) await c.close();
    const zxidBefore = member.tree.lastZxid;
    await member.close();
    await startMember();
    const after = await client();
    const { data, stat: statAfter } = await after.getData('/durable');
    expect(data?.toString()).toBe('kept');
    expect(statAfter).toEqual(stat);
    expect(member.tree.lastZxid).toBeGreaterThan(zxidBefore); // the restart's own noop and session
    expect(await after.exists('/eph')).toBeNull();
  });
});
