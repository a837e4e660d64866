/**
 * Loads Kafka's JSON message specs into a small model the emitters work from. The spec format
 * is described in kafka-protocol/message/README.md; the files carry `//` comments, which we
 * strip with a scanner that knows about string literals (a URL inside "about" must survive).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Kafka versions are int16; an open range ("3+") ends at the largest one. */
export const VERSION_MAX = 32767;

export interface Range {
  min: number;
  max: number;
}

export const PRIMITIVE_TYPES = [
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
] as const;
export type PrimitiveName = (typeof PRIMITIVE_TYPES)[number];

export type FieldType =
  | { kind: 'primitive'; name: PrimitiveName }
  | { kind: 'array'; element: FieldType }
  | { kind: 'struct'; name: string };

export interface FieldSpec {
  /** The name as written in the spec (`TopicData`). */
  specName: string;
  /** The TypeScript property name (`topicData`). */
  propertyName: string;
  type: FieldType;
  versions: Range | null;
  nullableVersions: Range | null;
  taggedVersions: Range | null;
  tag: number | null;
  ignorable: boolean;
  /** The raw "default" entry, undefined when the spec gives none. */
  defaultSpec: unknown;
  /** A per-field override of the message's flexible versions (RequestHeader.ClientId). */
  flexibleVersions: Range | null | undefined;
}

export interface StructSpec {
  /** The struct's type name in the spec (`TopicProduceData`), or the message name for the root. */
  specName: string;
  /** The TypeScript interface name (`ProduceRequestTopicProduceData`). */
  typeName: string;
  fields: FieldSpec[];
}

export type MessageKind = 'request' | 'response' | 'data' | 'header';

export interface MessageSpec {
  name: string;
  /** kebab-case file name without extension. */
  fileName: string;
  /** Which spec folder it came from, for the generated header. */
  sourcePath: string;
  apiKey: number | null;
  messageType: MessageKind;
  validVersions: Range;
  flexibleVersions: Range | null;
  root: StructSpec;
  /** Every struct of the message by spec type name, root excluded. */
  structs: Map<string, StructSpec>;
}

/** Removes `//` comments outside string literals, keeping line structure. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\' && i + 1 < text.length) {
        out += text[++i];
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      if (i < text.length) out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

export function parseRange(text: unknown, what: string): Range | null {
  if (text === undefined || text === 'none') return null;
  if (typeof text !== 'string') throw new Error(`${what}: version range must be a string, got ${JSON.stringify(text)}`);
  const t = text.trim();
  let m = /^(\d+)\+$/.exec(t);
  if (m) return { min: Number(m[1]), max: VERSION_MAX };
  m = /^(\d+)-(\d+)$/.exec(t);
  if (m) return { min: Number(m[1]), max: Number(m[2]) };
  m = /^(\d+)$/.exec(t);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`${what}: bad version range ${JSON.stringify(text)}`);
}

export function inRange(range: Range | null, version: number): boolean {
  return range !== null && version >= range.min && version <= range.max;
}

export function lowerCamel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

function parseType(text: string, what: string): FieldType {
  if (text.startsWith('[]')) return { kind: 'array', element: parseType(text.slice(2), what) };
  if ((PRIMITIVE_TYPES as readonly string[]).includes(text)) return { kind: 'primitive', name: text as PrimitiveName };
  if (/^[A-Z][A-Za-z0-9]*$/.test(text)) return { kind: 'struct', name: text };
  throw new Error(`${what}: unknown type ${JSON.stringify(text)}`);
}

function structNameOf(type: FieldType): string | null {
  if (type.kind === 'struct') return type.name;
  if (type.kind === 'array') return structNameOf(type.element);
  return null;
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number | string;
  ignorable?: boolean;
  default?: unknown;
  flexibleVersions?: string;
  fields?: RawField[];
}

interface RawMessage {
  name: string;
  type: string;
  apiKey?: number;
  validVersions: string;
  flexibleVersions: string;
  fields: RawField[];
  commonStructs?: { name: string; versions?: string; fields: RawField[] }[];
}

function parseField(raw: RawField, where: string): FieldSpec {
  const what = `${where}.${raw.name}`;
  const taggedVersions = parseRange(raw.taggedVersions, `${what} taggedVersions`);
  // a tagged field may omit "versions": it then exists exactly in its tagged versions
  const versions = raw.versions === undefined ? taggedVersions : parseRange(raw.versions, `${what} versions`);
  const tag = raw.tag === undefined ? null : Number(raw.tag);
  if ((tag === null) !== (taggedVersions === null)) throw new Error(`${what}: tag and taggedVersions go together`);
  const propertyName = lowerCamel(raw.name);
  if (propertyName === 'unknownTaggedFields') throw new Error(`${what}: reserved property name`);
  return {
    specName: raw.name,
    propertyName,
    type: parseType(raw.type, what),
    versions,
    nullableVersions: parseRange(raw.nullableVersions, `${what} nullableVersions`),
    taggedVersions,
    tag,
    ignorable: raw.ignorable === true,
    defaultSpec: raw.default,
    flexibleVersions: raw.flexibleVersions === undefined ? undefined : parseRange(raw.flexibleVersions, `${what} flexibleVersions`),
  };
}

function parseMessage(raw: RawMessage, sourcePath: string): MessageSpec {
  const name = raw.name;
  const structs = new Map<string, StructSpec>();
  const collect = (rawFields: RawField[], where: string): FieldSpec[] => {
    const fields: FieldSpec[] = [];
    const seen = new Set<string>();
    for (const rawField of rawFields) {
      const field = parseField(rawField, where);
      if (seen.has(field.propertyName)) throw new Error(`${where}: duplicate field ${field.propertyName}`);
      seen.add(field.propertyName);
      fields.push(field);
      const structName = structNameOf(field.type);
      if (structName !== null && rawField.fields !== undefined) {
        if (structs.has(structName)) throw new Error(`${name}: struct ${structName} defined twice`);
        const struct: StructSpec = { specName: structName, typeName: name + structName, fields: [] };
        structs.set(structName, struct);
        struct.fields = collect(rawField.fields, `${name}.${structName}`);
      }
    }
    return fields;
  };
  for (const common of raw.commonStructs ?? []) {
    if (structs.has(common.name)) throw new Error(`${name}: common struct ${common.name} defined twice`);
    const struct: StructSpec = { specName: common.name, typeName: name + common.name, fields: [] };
    structs.set(common.name, struct);
    struct.fields = collect(common.fields, `${name}.${common.name}`);
  }
  const root: StructSpec = { specName: name, typeName: name, fields: collect(raw.fields, name) };
  // every referenced struct must be defined somewhere in the message
  const check = (struct: StructSpec) => {
    for (const field of struct.fields) {
      const structName = structNameOf(field.type);
      if (structName !== null && !structs.has(structName)) throw new Error(`${name}: struct ${structName} is never defined`);
    }
  };
  check(root);
  for (const struct of structs.values()) check(struct);
  const validVersions = parseRange(raw.validVersions, `${name} validVersions`);
  if (validVersions === null) throw new Error(`${name}: no valid versions`);
  const kind = raw.type;
  if (kind !== 'request' && kind !== 'response' && kind !== 'data' && kind !== 'header') {
    throw new Error(`${name}: unknown message type ${kind}`);
  }
  return {
    name,
    fileName: kebab(name),
    sourcePath,
    apiKey: raw.apiKey ?? null,
    messageType: kind,
    validVersions,
    flexibleVersions: parseRange(raw.flexibleVersions, `${name} flexibleVersions`),
    root,
    structs: new Map([...structs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

export interface ErrorCodeSpec {
  code: number;
  name: string;
  retriable: boolean;
}

export interface ProtocolSpec {
  kafkaCommit: string;
  messages: MessageSpec[];
  errorCodes: ErrorCodeSpec[];
}

const SPEC_FOLDERS = ['message', 'group-coordinator', 'transaction-coordinator'] as const;

export function loadSpec(specDir: string): ProtocolSpec {
  const readme = readFileSync(join(specDir, 'README.md'), 'utf8');
  const commitMatch = /\b([0-9a-f]{40})\b/.exec(readme);
  if (!commitMatch) throw new Error(`no Kafka commit found in ${join(specDir, 'README.md')}`);
  const messages: MessageSpec[] = [];
  for (const folder of SPEC_FOLDERS) {
    const files = readdirSync(join(specDir, folder))
      .filter((file) => file.endsWith('.json'))
      .sort();
    for (const file of files) {
      const text = readFileSync(join(specDir, folder, file), 'utf8');
      let raw: RawMessage;
      try {
        raw = JSON.parse(stripComments(text)) as RawMessage;
      } catch (error) {
        throw new Error(`${folder}/${file}: ${(error as Error).message}`);
      }
      messages.push(parseMessage(raw, `${folder}/${file}`));
    }
  }
  messages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = new Set<string>();
  for (const message of messages) {
    if (names.has(message.name)) throw new Error(`message ${message.name} defined twice`);
    names.add(message.name);
  }
  return { kafkaCommit: commitMatch[1], messages, errorCodes: loadErrorCodes(join(specDir, 'error-codes.tsv')) };
}

function loadErrorCodes(path: string): ErrorCodeSpec[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const codes: ErrorCodeSpec[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const [code, name, retriable] = line.split('\t');
    if (!/^-?\d+$/.test(code) || !/^[A-Z0-9_]+$/.test(name) || (retriable !== 'true' && retriable !== 'false')) {
      throw new Error(`${path}: bad line ${JSON.stringify(line)}`);
    }
    codes.push({ code: Number(code), name, retriable: retriable === 'true' });
  }
  codes.sort((a, b) => a.code - b.code);
  return codes;
}
