/**
 * Responses we encode, parsed by @platformatic/kafka 2.12.1 (a dev dependency of tests/), an
 * independent hand-written client that speaks the newest, flexible versions kafkajs does not:
 * compact forms, tagged-field sections, nullable structs. For every API version it has a parser
 * for, arbitrary responses from our schema must parse there to the values we encoded.
 *
 * Its parsers skip tagged fields, fold null into '' or [] in places, and name a few fields their
 * own way, so the comparison covers the fields the version carries (outside tagged sections)
 * that both sides name alike, UUIDs compared in its dashed-hex form; and every parser must
 * consume exactly the bytes we wrote.
 */
import { createRequire } from 'node:module';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Writer } from '../primitives/writer.ts';
import { apis } from './api.ts';
import type { MessageCodec } from './codec.ts';
import { messageSchemas, type MessageSchema } from './generated/schemas.ts';
import { fieldPresence, messageArbitrary } from './test-arbitraries.ts';

const RUNS_PER_VERSION = 10;

const testsRequire = createRequire(new URL('../../../../tests/package.json', import.meta.url));
const platformaticDist = dirname(testsRequire.resolve('@platformatic/kafka'));
const { Reader: TheirReader } = await import(pathToFileURL(join(platformaticDist, 'protocol/reader.js')).href);

interface TheirApi {
  file: string;
  apiKey: number;
  version: number;
  parseResponse: (correlationId: number, apiKey: number, version: number, reader: unknown) => unknown;
}

async function loadTheirApis(): Promise<TheirApi[]> {
  const out: TheirApi[] = [];
  const root = join(platformaticDist, 'apis');
  for (const group of readdirSync(root, { withFileTypes: true })) {
    if (!group.isDirectory()) continue;
    for (const file of readdirSync(join(root, group.name)).sort()) {
      if (!/-v\d+\.js$/.test(file)) continue;
      const module = await import(pathToFileURL(join(root, group.name, file)).href);
      if (typeof module.parseResponse !== 'function' || module.api === undefined) continue;
      out.push({ file: `${group.name}/${file}`, apiKey: module.api.key, version: module.api.version, parseResponse: module.parseResponse });
    }
  }
  return out.sort((a, b) => a.apiKey - b.apiKey || a.version - b.version);
}

const theirApis = await loadTheirApis();

/** Records are opaque to our codecs but parsed by theirs: keep them empty. */
function withoutRecords(schema: MessageSchema, typeName: string, message: Record<string, unknown>, version: number): void {
  for (const field of schema.structs[typeName]) {
    if (fieldPresence(schema, field, version) === 'absent') continue;
    const value = message[field.name];
    if (field.type === 'records') message[field.name] = null;
    const element = field.type.replace(/^\[\]/, '');
    if (!element.startsWith('struct:') || value === null || value === undefined) continue;
    const nested = element.slice('struct:'.length);
    for (const item of Array.isArray(value) ? value : [value]) withoutRecords(schema, nested, item, version);
  }
}

function dashedUuid(base64url: string): string {
  const hex = Buffer.from(base64url, 'base64url').toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Compares the fields the version carries outside tagged sections (their parsers skip tagged
 * fields) that their object also has; returns how many values were compared.
 */
function compareStruct(
  theirs: Record<string, unknown>,
  ours: Record<string, unknown>,
  schema: MessageSchema,
  typeName: string,
  version: number,
  path: string,
): number {
  let compared = 0;
  for (const field of schema.structs[typeName]) {
    if (fieldPresence(schema, field, version) !== 'plain' || !(field.name in theirs)) continue;
    compared += compareValue(theirs[field.name], ours[field.name], field.type, schema, version, `${path}.${field.name}`);
  }
  return compared;
}

function compareValue(theirs: unknown, ours: unknown, type: string, schema: MessageSchema, version: number, path: string): number {
  if (type.startsWith('[]')) {
    if (theirs instanceof Map) return 0;
    if (ours === null && (theirs === null || (Array.isArray(theirs) && theirs.length === 0))) return 1;
    expect(Array.isArray(theirs), path).toBe(true);
    const items = ours as unknown[];
    expect((theirs as unknown[]).length, path).toBe(items.length);
    let compared = 1;
    (theirs as unknown[]).forEach((item, i) => {
      compared += compareValue(item, items[i], type.slice(2), schema, version, `${path}[${i}]`);
    });
    return compared;
  }
  if (type.startsWith('struct:')) {
    if (ours === null) return 0; // they may report a null struct as an object of defaults
    if (theirs === null || typeof theirs !== 'object') {
      expect(theirs, path).toEqual(ours);
      return 1;
    }
    return compareStruct(theirs as Record<string, unknown>, ours as Record<string, unknown>, schema, type.slice(7), version, path);
  }
  switch (type) {
    case 'uuid':
      expect(theirs, path).toBe(dashedUuid(ours as string));
      return 1;
    case 'bytes':
    case 'records':
      if (ours === null) expect(theirs === null || (theirs as Uint8Array).length === 0, path).toBe(true);
      else expect(Buffer.from(theirs as Uint8Array).equals(ours as Buffer), path).toBe(true);
      return 1;
    case 'string':
      expect(theirs, path).toBe(ours === null && theirs === '' ? '' : ours);
      return 1;
    case 'int64':
      expect(String(theirs), path).toBe(String(ours));
      return 1;
    default:
      expect(theirs, path).toEqual(ours);
      return 1;
  }
}

/** Their error path only knows the codes of their Kafka version; keep every error code at 0. */
function withoutErrorCodes(value: unknown): void {
  if (Array.isArray(value)) value.forEach(withoutErrorCodes);
  else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (/errorCode$/i.test(key) && typeof record[key] === 'number') record[key] = 0;
      else withoutErrorCodes(record[key]);
    }
  }
}

/** Their FindCoordinator parsers present the v0-3 single coordinator in the v4+ array shape. */
function adaptTheirs(api: TheirApi, response: Record<string, any>): Record<string, unknown> {
  if (api.apiKey === 10 && api.version < 4) return { ...response, ...response.coordinators[0] };
  return response;
}

function parseTheirs(api: TheirApi, bytes: Buffer): { response: unknown; consumed: boolean } {
  const reader = TheirReader.from(bytes);
  let response: unknown;
  try {
    response = api.parseResponse(0, api.apiKey, api.version, reader);
  } catch (error) {
    // responses carrying error codes are thrown with the parsed response attached
    const attached = (error as { response?: unknown }).response;
    if (attached === undefined) throw error;
    response = attached;
  }
  return { response: adaptTheirs(api, response as Record<string, any>), consumed: reader.position === bytes.length };
}

describe('@platformatic/kafka parses the responses we encode', () => {
  it('has parsers to check against, newest flexible versions included', () => {
    expect(theirApis.length).toBeGreaterThan(100);
    expect(theirApis.some((api) => api.apiKey === 1 && api.version >= 16)).toBe(true);
  });

  // their Kafka is newer than our spec commit: versions past ours are theirs alone
  const checkable = theirApis.filter((api) => api.version <= (apis[api.apiKey]?.validVersions.max ?? -1));

  it('knows every API key they use', () => {
    for (const api of theirApis) expect(apis[api.apiKey], api.file).toBeDefined();
    expect(checkable.length).toBeGreaterThan(200);
  });

  it.each(checkable.map((api) => [api.file, api] as const))('%s', (_file, api) => {
    const ours = apis[api.apiKey];
    const codec = ours.response as MessageCodec<Record<string, unknown>>;
    const schema = messageSchemas.find((s) => s.name === codec.name)!;
    let compared = 0;
    fc.assert(
      fc.property(messageArbitrary(schema, api.version), (message) => {
        withoutRecords(schema, schema.name, message, api.version);
        withoutErrorCodes(message);
        const writer = new Writer();
        codec.encode(writer, message, api.version);
        const bytes = Buffer.from(writer.finish());
        const { response, consumed } = parseTheirs(api, bytes);
        expect(consumed, 'their parser consumed every byte').toBe(true);
        compared += compareStruct(response as Record<string, unknown>, message, schema, schema.name, api.version, codec.name);
      }),
      { numRuns: RUNS_PER_VERSION },
    );
    expect(compared).toBeGreaterThan(0);
  });
});
