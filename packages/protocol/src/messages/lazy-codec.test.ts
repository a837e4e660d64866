import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError, ProtocolEncodeError } from '../primitives/errors.ts';
import { Reader } from '../primitives/reader.ts';
import { Writer } from '../primitives/writer.ts';
import { HeartbeatRequest, ListGroupsResponse } from './generated/index.ts';
import { lazyCodec } from './lazy-codec.ts';

describe('lazy codecs', () => {
  it('carry their metadata before loading, and encode/decode once loaded', () => {
    const codec = lazyCodec<HeartbeatRequest>('heartbeat-request.ts', 'defineHeartbeatRequest', {
      name: 'HeartbeatRequest',
      apiKey: 12,
      messageType: 'request',
      validVersions: { min: 0, max: 4 },
      flexibleVersions: { min: 4, max: 32767 },
    });
    const stubEncode = codec.encode;
    expect(codec.apiKey).toBe(12);
    const message = { ...codec.defaults(), groupId: 'g', generationId: 7, memberId: 'm' };
    // the first call replaced the forwarding methods with the generated ones
    expect(codec.encode).not.toBe(stubEncode);
    const writer = new Writer();
    codec.encode(writer, message, 4);
    expect(codec.decode(new Reader(writer.finish()), 4)).toEqual(message);
  });

  it('throw the package error classes (the loaded module shares our primitives)', () => {
    expect(() => ListGroupsResponse.decode(new Reader(Buffer.alloc(0)), 999)).toThrow(ProtocolDecodeError);
    expect(() => HeartbeatRequest.encode(new Writer(), HeartbeatRequest.defaults(), 999)).toThrow(ProtocolEncodeError);
    expect(() => HeartbeatRequest.decode(new Reader(Buffer.alloc(2)), 0)).toThrow(ProtocolDecodeError);
  });

  it('report a missing define function', () => {
    const codec = lazyCodec('heartbeat-request.ts', 'defineNothing', HeartbeatRequest);
    expect(() => codec.defaults()).toThrow(/does not export defineNothing/);
  });
});
