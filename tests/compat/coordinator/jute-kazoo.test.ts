/**
 * The jute codecs against the bytes kazoo (Debian python3-kazoo) actually sends: every request
 * kind kazoo produces decodes to the fields it was built from, and re-encodes to the same bytes.
 */
import { describe, expect, it } from 'vitest';
import {
  Reader,
  Writer,
  ZkAuthPacket,
  ZkConnectRequest,
  ZkCreateRequest,
  ZkMultiRequest,
  ZkOpCode,
  ZkPathRecord,
  ZkPathVersionRequest,
  ZkPathWatchRequest,
  ZkRequestHeader,
  ZkSetDataRequest,
  ZkXid,
  type JuteCodec,
} from '@kafkaesque/protocol';
import { requireKazoo, runPython } from './support.ts';

function decodeRequest<T>(hex: string, codec: JuteCodec<T> | null): { xid: number; type: number; body: T | null; reencoded: string } {
  const bytes = Buffer.from(hex, 'hex');
  const reader = new Reader(bytes);
  const header = ZkRequestHeader.decode(reader);
  const body = codec === null ? null : codec.decode(reader);
  expect(reader.remaining).toBe(0);
  const writer = new Writer();
  ZkRequestHeader.encode(writer, header);
  if (codec !== null) codec.encode(writer, body as T);
  return { ...header, body, reencoded: writer.finish().toString('hex') };
}

describe('jute frames match kazoo', () => {
  it('decodes and re-encodes every request kazoo sends', async () => {
    requireKazoo();
    const frames = await runPython<Record<string, string>>('kazoo_frames.py', []);

    const connect = ZkConnectRequest.decode(new Reader(Buffer.from(frames.connect, 'hex')));
    expect(connect).toMatchObject({ protocolVersion: 0, lastZxidSeen: 0x100000005n, timeOut: 10000, sessionId: 0x0123456789abcdefn, readOnly: false });
    expect(connect.passwd?.toString('hex')).toBe('01'.repeat(16));

    const create = decodeRequest(frames.create, ZkCreateRequest);
    expect(create).toMatchObject({ xid: 1, type: ZkOpCode.create });
    expect(create.body).toMatchObject({ path: '/a/b', flags: 3, acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] });
    expect(create.body?.data?.toString()).toBe('data');

    const create2 = decodeRequest(frames.create2, ZkCreateRequest);
    expect(create2.type).toBe(ZkOpCode.create2);
    expect(create2.body?.data).toBeNull();
    expect(create2.body?.acl[0].id.scheme).toBe('digest');

    expect(decodeRequest(frames.delete, ZkPathVersionRequest)).toMatchObject({ type: ZkOpCode.delete, body: { path: '/a', version: 7 } });
    expect(decodeRequest(frames.exists, ZkPathWatchRequest)).toMatchObject({ type: ZkOpCode.exists, body: { path: '/a', watch: true } });
    expect(decodeRequest(frames.getData, ZkPathWatchRequest)).toMatchObject({ type: ZkOpCode.getData, body: { path: '/a', watch: false } });
    const setData = decodeRequest(frames.setData, ZkSetDataRequest);
    expect(setData.body?.data?.toString('hex')).toBe('00ff');
    expect(setData.body?.version).toBe(-1);
    expect(decodeRequest(frames.getChildren, ZkPathWatchRequest)).toMatchObject({ type: ZkOpCode.getChildren, body: { watch: true } });
    expect(decodeRequest(frames.getChildren2, ZkPathWatchRequest)).toMatchObject({ type: ZkOpCode.getChildren2 });
    expect(decodeRequest(frames.sync, ZkPathRecord)).toMatchObject({ type: ZkOpCode.sync, body: { path: '/a' } });
    expect(decodeRequest(frames.check, ZkPathVersionRequest)).toMatchObject({ type: ZkOpCode.check, body: { version: 2 } });
    expect(decodeRequest(frames.ping, null)).toMatchObject({ xid: ZkXid.ping, type: ZkOpCode.ping });
    expect(decodeRequest(frames.close, null)).toMatchObject({ type: ZkOpCode.closeSession });
    const auth = decodeRequest(frames.auth, ZkAuthPacket);
    expect(auth).toMatchObject({ xid: ZkXid.auth, type: ZkOpCode.auth, body: { type: 0, scheme: 'digest' } });
    expect(auth.body?.auth?.toString()).toBe('user:pw');

    const multi = decodeRequest(frames.multi, ZkMultiRequest);
    expect(multi.type).toBe(ZkOpCode.multi);
    expect(multi.body?.map((op) => [op.type, op.request.path])).toEqual([
      [ZkOpCode.check, '/a'],
      [ZkOpCode.create, '/a/x'],
      [ZkOpCode.setData, '/a'],
      [ZkOpCode.delete, '/a/y'],
    ]);

    for (const [name, hex] of Object.entries(frames)) {
      if (name === 'connect') continue;
      const codec = { create: ZkCreateRequest, create2: ZkCreateRequest, delete: ZkPathVersionRequest, exists: ZkPathWatchRequest,
        getData: ZkPathWatchRequest, setData: ZkSetDataRequest, getChildren: ZkPathWatchRequest, getChildren2: ZkPathWatchRequest,
        sync: ZkPathRecord, check: ZkPathVersionRequest, auth: ZkAuthPacket, multi: ZkMultiRequest } as Record<string, JuteCodec<unknown>>;
      expect(decodeRequest(hex, codec[name] ?? null).reencoded, name).toBe(hex);
    }
  });
});
