/** Request/response headers, the API table's header-version rules, and whole-frame helpers. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolDecodeError } from '../primitives/errors.ts';
import { Reader } from '../primitives/reader.ts';
import { Writer } from '../primitives/writer.ts';
import { ApiKey, apis } from './api.ts';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from './frame.ts';
import { ApiVersionsResponse, MetadataRequest, ProduceRequest } from './generated/index.ts';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
} from './headers.ts';

describe('API table', () => {
  it('lists 88 APIs whose request and response codecs agree on versions', () => {
    const keys = Object.keys(apis).map(Number);
    expect(keys).toHaveLength(88);
    for (const key of keys) {
      const api = apis[key];
      expect(api.apiKey).toBe(key);
      expect(api.request.apiKey).toBe(key);
      expect(api.response.apiKey).toBe(key);
      expect(api.request.name).toBe(`${api.name}Request`);
      expect(api.response.validVersions).toEqual(api.validVersions);
      expect(ApiKey[api.name as keyof typeof ApiKey]).toBe(key);
    }
    expect(ApiKey.Produce).toBe(0);
    expect(ApiKey.Fetch).toBe(1);
    expect(ApiKey.ApiVersions).toBe(18);
  });

  it('picks header versions by flexibility, with the two historical exceptions', () => {
    expect(apis[ApiKey.Produce].requestHeaderVersion(8)).toBe(1);
    expect(apis[ApiKey.Produce].requestHeaderVersion(9)).toBe(2);
    expect(apis[ApiKey.Produce].responseHeaderVersion(8)).toBe(0);
    expect(apis[ApiKey.Produce].responseHeaderVersion(9)).toBe(1);
    expect(apis[ApiKey.ControlledShutdown].requestHeaderVersion(0)).toBe(0);
    expect(apis[ApiKey.ControlledShutdown].requestHeaderVersion(1)).toBe(1);
    expect(apis[ApiKey.ControlledShutdown].requestHeaderVersion(3)).toBe(2);
    for (let v = 0; v <= 4; v++) expect(apis[ApiKey.ApiVersions].responseHeaderVersion(v)).toBe(0);
    expect(apis[ApiKey.ApiVersions].requestHeaderVersion(3)).toBe(2);
    // a version newer than we know is still read with the flexible header
    expect(apis[ApiKey.ApiVersions].requestHeaderVersion(99)).toBe(2);
  });
});

describe('request header', () => {
  const header = fc.record({
    correlationId: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    clientId: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
  });

  it('round-trips at every API and version, leaving the reader at the body', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(apis)), header, fc.nat(), (api, h, pick) => {
        const span = api.validVersions.max - api.validVersions.min + 1;
        const version = api.validVersions.min + (pick % span);
        const headerVersion = api.requestHeaderVersion(version);
        const writer = new Writer();
        const sent = { requestApiKey: api.apiKey, requestApiVersion: version, ...h, unknownTaggedFields: undefined };
        encodeRequestHeader(writer, sent, headerVersion);
        writer.int32(0x5eed); // stands in for the body
        const reader = new Reader(writer.finish());
        const decoded = decodeRequestHeader(reader);
        expect(decoded.requestApiKey).toBe(api.apiKey);
        expect(decoded.requestApiVersion).toBe(version);
        expect(decoded.correlationId).toBe(h.correlationId);
        // header v0 has no client id: the decoder fills the spec default, the empty string
        expect(decoded.clientId).toBe(headerVersion === 0 ? '' : h.clientId);
        expect(decoded.headerVersion).toBe(headerVersion);
        expect(decoded.supported).toBe(true);
        expect(reader.int32()).toBe(0x5eed);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the client id a classic string even in header v2', () => {
    const writer = new Writer();
    encodeRequestHeader(writer, { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'ab' }, 2);
    expect([...writer.finish()]).toEqual([0, 18, 0, 3, 0, 0, 0, 1, 0, 2, 0x61, 0x62, 0]);
  });

  it('reads key, version and correlation id of unknown APIs and versions', () => {
    const writer = new Writer();
    writer.int16(999).int16(0).int32(42).nullableString('who');
    const unknownKey = decodeRequestHeader(new Reader(writer.finish()));
    expect(unknownKey).toMatchObject({ requestApiKey: 999, requestApiVersion: 0, correlationId: 42, clientId: 'who', supported: false });

    const newer = new Writer();
    encodeRequestHeader(newer, { requestApiKey: 18, requestApiVersion: 99, correlationId: 7, clientId: 'c' }, 2);
    expect(decodeRequestHeader(new Reader(newer.finish()))).toMatchObject({
      requestApiKey: 18,
      requestApiVersion: 99,
      correlationId: 7,
      clientId: 'c',
      headerVersion: 2,
      supported: false,
    });
  });

  it('throws ProtocolDecodeError on truncated headers', () => {
    const writer = new Writer();
    encodeRequestHeader(writer, { requestApiKey: 3, requestApiVersion: 12, correlationId: 1, clientId: 'client' }, 2);
    const bytes = writer.finish();
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => decodeRequestHeader(new Reader(bytes.subarray(0, cut)))).toThrow(ProtocolDecodeError);
    }
  });
});

describe('response header', () => {
  it('round-trips v0 and v1', () => {
    for (const headerVersion of [0, 1] as const) {
      const writer = new Writer();
      encodeResponseHeader(writer, 123456, headerVersion);
      expect(writer.offset).toBe(headerVersion === 0 ? 4 : 5);
      const reader = new Reader(writer.finish());
      expect(decodeResponseHeader(reader, headerVersion).correlationId).toBe(123456);
      expect(reader.remaining).toBe(0);
    }
  });
});

describe('frames', () => {
  it('encodes a request with its size prefix and decodes it back', () => {
    const body = MetadataRequest.defaults();
    body.topics = [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'orders', unknownTaggedFields: undefined }];
    for (const version of [1, 4, 9, 12]) {
      const frame = encodeRequest(ApiKey.Metadata, version, 77, 'me', body);
      expect(frame.readInt32BE(0)).toBe(frame.length - 4);
      const { header, body: decoded } = decodeRequest(frame.subarray(4));
      expect(header).toMatchObject({ requestApiKey: 3, requestApiVersion: version, correlationId: 77, clientId: 'me' });
      expect(decoded.topics[0].name).toBe('orders');
    }
  });

  it('encodes ApiVersions responses with header v0 at every version', () => {
    const body = ApiVersionsResponse.defaults();
    body.apiKeys = [{ apiKey: 0, minVersion: 0, maxVersion: 11, unknownTaggedFields: undefined }];
    for (let version = 0; version <= 4; version++) {
      const frame = encodeResponse(ApiKey.ApiVersions, version, 9, body);
      expect(frame.readInt32BE(0)).toBe(frame.length - 4);
      expect(frame.readInt32BE(4)).toBe(9);
      // header v0: the body starts right after the correlation id with the int16 error code
      expect(frame.readInt16BE(8)).toBe(0);
      const { correlationId, body: decoded } = decodeResponse(ApiKey.ApiVersions, version, frame.subarray(4));
      expect(correlationId).toBe(9);
      expect(decoded.apiKeys[0].maxVersion).toBe(11);
    }
  });

  it('uses response header v1 for flexible versions', () => {
    const produceFlexible = encodeResponse(ApiKey.Produce, 9, 1, { throttleTimeMs: 0, responses: [] });
    const produceClassic = encodeResponse(ApiKey.Produce, 8, 1, { throttleTimeMs: 0, responses: [] });
    // size, correlation id, header tagged section | compact array count, throttle, body tagged section
    expect(produceFlexible.length).toBe(4 + 5 + 1 + 4 + 1);
    // size, correlation id | int32 array count, throttle
    expect(produceClassic.length).toBe(4 + 4 + 4 + 4);
    expect(decodeResponse(ApiKey.Produce, 9, produceFlexible.subarray(4)).correlationId).toBe(1);
  });

  it('refuses to decode a request body of an unsupported version', () => {
    const frame = encodeRequest(ApiKey.Produce, 3, 1, null, ProduceRequest.defaults());
    frame.writeInt16BE(42, 6); // version 42
    expect(() => decodeRequest(frame.subarray(4))).toThrow(ProtocolDecodeError);
  });

});

describe('frame capacity hint', () => {
  it('gives the same bytes with or without a size hint', () => {
    const body = ProduceRequest.defaults();
    body.topicData = [{ name: 't', partitionData: [{ index: 0, records: Buffer.alloc(5000, 1) }] }];
    const plain = encodeRequest(ApiKey.Produce, 9, 1, 'c', body);
    const hinted = encodeRequest(ApiKey.Produce, 9, 1, 'c', body, 6000);
    expect(hinted.equals(plain)).toBe(true);
    const response = encodeResponse(ApiKey.Produce, 9, 1, { throttleTimeMs: 0, responses: [] }, 1 << 20);
    expect(response.equals(encodeResponse(ApiKey.Produce, 9, 1, { throttleTimeMs: 0, responses: [] }))).toBe(true);
  });
});
