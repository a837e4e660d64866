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
import { Reader } from '../primitives/reader.ts';
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
  createRequest: (...args: unknown[]) => { buffer: Buffer };
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
      out.push({
        file: `${group.name}/${file}`,
        apiKey: module.api.key,
        version: module.api.version,
        parseResponse: module.parseResponse,
        createRequest: module.createRequest,
      });
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
  theirUuids: 'dashed' | 'ours' = 'dashed',
): number {
  let compared = 0;
  for (const field of schema.structs[typeName]) {
    if (fieldPresence(schema, field, version) !== 'plain' || !(field.name in theirs)) continue;
    compared += compareValue(theirs[field.name], ours[field.name], field.type, schema, version, `${path}.${field.name}`, theirUuids);
  }
  return compared;
}

function compareValue(
  theirs: unknown,
  ours: unknown,
  type: string,
  schema: MessageSchema,
  version: number,
  path: string,
  theirUuids: 'dashed' | 'ours',
): number {
  if (type.startsWith('[]')) {
    if (theirs instanceof Map) return 0;
    if (ours === null && (theirs === null || (Array.isArray(theirs) && theirs.length === 0))) return 1;
    expect(Array.isArray(theirs), path).toBe(true);
    const items = ours as unknown[];
    expect((theirs as unknown[]).length, path).toBe(items.length);
    let compared = 1;
    (theirs as unknown[]).forEach((item, i) => {
      compared += compareValue(item, items[i], type.slice(2), schema, version, `${path}[${i}]`, theirUuids);
    });
    return compared;
  }
  if (type.startsWith('struct:')) {
    if (ours === null) return 0; // they may report a null struct as an object of defaults
    if (theirs === null || typeof theirs !== 'object') {
      expect(theirs, path).toEqual(ours);
      return 1;
    }
    return compareStruct(theirs as Record<string, unknown>, ours as Record<string, unknown>, schema, type.slice(7), version, path, theirUuids);
  }
  switch (type) {
    case 'uuid':
      expect(theirs, path).toBe(theirUuids === 'dashed' ? dashedUuid(ours as string) : ours);
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

/** The parameter names of a plain JS function (their request builders take fields positionally). */
function parameterNames(fn: (...args: never[]) => unknown): string[] {
  const match = /^function\s*\w*\s*\(([^)]*)\)/.exec(fn.toString());
  if (!match) return [];
  return match[1]
    .split(',')
    .map((part) => part.trim().replace(/\s*=.*$/, ''))
    .filter((name) => name.length > 0);
}

/** A deep copy of `message` with UUIDs in their dashed-hex form, for their request builders. */
function toTheirShape(value: unknown, type: string, schema: MessageSchema): unknown {
  if (value === null || value === undefined) return value;
  if (type.startsWith('[]')) return (value as unknown[]).map((item) => toTheirShape(item, type.slice(2), schema));
  if (type === 'uuid') return dashedUuid(value as string);
  if (!type.startsWith('struct:')) return value;
  const out: Record<string, unknown> = {};
  for (const field of schema.structs[type.slice(7)]) {
    out[field.name] = toTheirShape((value as Record<string, unknown>)[field.name], field.type, schema);
  }
  return out;
}

/**
 * Requests: where their builder's parameters are named exactly like our request's top-level
 * fields, we call it with an arbitrary message's values and decode what it wrote with ours.
 * Builders that take other shapes (produce takes records to batch, fetch fixes some fields)
 * are left to the kafkajs cross-check and the compat suites.
 */
/**
 * Builders whose parameters carry our field names but not our shapes or values, so a generic
 * call cannot match: they read nested fields under other names (`topic` for `name`), always
 * write a constant (Fetch logStartOffset -1, Metadata v10-11 zero topic ids), or turn '' into
 * null. Each was looked at by hand; none is a disagreement about the wire format.
 */
const THEIR_OWN_SHAPES = new Set([
  'admin/alter-client-quotas-v0.js',
  'admin/alter-client-quotas-v1.js',
  'admin/alter-partition-v0.js',
  'admin/alter-partition-v1.js',
  'admin/alter-partition-v2.js',
  'admin/delete-acls-v0.js',
  'admin/delete-acls-v1.js',
  'admin/delete-acls-v2.js',
  'admin/delete-acls-v3.js',
  'admin/describe-log-dirs-v0.js',
  'admin/describe-log-dirs-v1.js',
  'admin/describe-log-dirs-v2.js',
  'admin/describe-log-dirs-v3.js',
  'admin/describe-log-dirs-v4.js',
  'admin/list-groups-v5.js',
  'consumer/fetch-v15.js',
  'consumer/fetch-v16.js',
  'consumer/fetch-v17.js',
  'consumer/offset-for-leader-epoch-v3.js',
  'consumer/offset-for-leader-epoch-v4.js',
  'metadata/metadata-v10.js',
  'metadata/metadata-v11.js',
]);

describe('requests @platformatic/kafka encodes decode with our codecs', () => {
  const requestCases = theirApis.flatMap((api) => {
    const ours = apis[api.apiKey];
    if (ours === undefined || api.version > ours.validVersions.max || typeof api.createRequest !== 'function') return [];
    if (THEIR_OWN_SHAPES.has(api.file)) return [];
    const schema = messageSchemas.find((s) => s.name === ours.request.name)!;
    const names = parameterNames(api.createRequest);
    const fields = new Map(schema.structs[schema.name].map((field) => [field.name, field]));
    if (names.length === 0 || !names.every((name) => fields.has(name))) return [];
    // every top-level field the version carries must be a parameter, or their bytes differ
    for (const field of fields.values()) {
      if (fieldPresence(schema, field, api.version) === 'plain' && !names.includes(field.name)) return [];
    }
    return [[api.file, api, schema, names] as const];
  });

  it('finds builders to check', () => {
    expect(requestCases.length).toBeGreaterThan(80);
  });

  it.each(requestCases)('%s', (_file, api, schema, names) => {
    const codec = apis[api.apiKey].request as MessageCodec<Record<string, unknown>>;
    fc.assert(
      fc.property(messageArbitrary(schema, api.version), (message) => {
        const theirs = toTheirShape(message, `struct:${schema.name}`, schema) as Record<string, unknown>;
        const bytes = Buffer.from(api.createRequest(...names.map((name) => theirs[name])).buffer);
        const reader = new Reader(bytes);
        const decoded = codec.decode(reader, api.version);
        expect(reader.offset).toBe(bytes.length);
        const compared = compareStruct(decoded, message, schema, schema.name, api.version, codec.name, 'ours');
        expect(compared).toBeGreaterThan(0);
      }),
      { numRuns: RUNS_PER_VERSION },
    );
  });
});
