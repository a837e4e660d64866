/**
 * Emits one TypeScript module per message spec. For every struct we group the message versions
 * by "layout" (which fields are on the wire, in which form, and the layouts of nested structs)
 * and emit one straight-line writer and reader per layout: at run time a codec does one switch on
 * the version and then runs code with no per-field version checks or interpretation.
 */
import {
  inRange,
  VERSION_MAX,
  type FieldSpec,
  type FieldType,
  type MessageSpec,
  type PrimitiveName,
  type StructSpec,
} from './spec.ts';

type Presence = 'absent' | 'plain' | 'tagged';

interface FieldLayout {
  field: FieldSpec;
  presence: Presence;
  /** Compact (flexible) length forms. */
  compact: boolean;
  nullable: boolean;
  /** The layout of the struct (or array element struct) in this version. */
  child: Layout | null;
}

interface Layout {
  /** Suffix naming the layout by the lowest version using it: `V0`, `V9`. */
  id: string;
  struct: StructSpec;
  versions: number[];
  flexible: boolean;
  fields: FieldLayout[];
}

export function versionListText(versions: readonly number[]): string {
  const parts: string[] = [];
  let start = versions[0];
  let previous = versions[0];
  for (let i = 1; i <= versions.length; i++) {
    const v = versions[i];
    if (v === previous + 1) {
      previous = v;
      continue;
    }
    parts.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = v;
    previous = v;
  }
  return parts.join(',');
}

function structNameOf(type: FieldType): string | null {
  if (type.kind === 'struct') return type.name;
  if (type.kind === 'array') return structNameOf(type.element);
  return null;
}

class LayoutPlanner {
  private readonly message: MessageSpec;
  private readonly layouts = new Map<StructSpec, Map<string, Layout>>();

  constructor(message: MessageSpec) {
    this.message = message;
  }

  layoutsOf(struct: StructSpec): Layout[] {
    return [...(this.layouts.get(struct)?.values() ?? [])];
  }

  layoutOf(struct: StructSpec, version: number): Layout {
    const flexible = inRange(this.message.flexibleVersions, version);
    const fields: FieldLayout[] = [];
    const keyParts: string[] = [flexible ? 'flexible' : 'classic'];
    for (const field of struct.fields) {
      let presence: Presence = 'absent';
      if (inRange(field.versions, version)) {
        if (inRange(field.taggedVersions, version)) presence = flexible ? 'tagged' : 'absent';
        else presence = 'plain';
      }
      if (presence === 'absent') {
        fields.push({ field, presence, compact: false, nullable: false, child: null });
        keyParts.push(`${field.propertyName}:absent`);
        continue;
      }
      const compact = field.flexibleVersions !== undefined ? inRange(field.flexibleVersions, version) : flexible;
      const nullable = inRange(field.nullableVersions, version);
      const structName = structNameOf(field.type);
      const child = structName === null ? null : this.layoutOf(this.structNamed(structName), version);
      fields.push({ field, presence, compact, nullable, child });
      keyParts.push(`${field.propertyName}:${presence}:${compact}:${nullable}:${child?.id ?? ''}`);
    }
    const key = keyParts.join('|');
    let byKey = this.layouts.get(struct);
    if (!byKey) {
      byKey = new Map();
      this.layouts.set(struct, byKey);
    }
    let layout = byKey.get(key);
    if (!layout) {
      layout = { id: `V${version}`, struct, versions: [], flexible, fields };
      byKey.set(key, layout);
    }
    if (layout.versions[layout.versions.length - 1] !== version) layout.versions.push(version);
    return layout;
  }

  structNamed(name: string): StructSpec {
    const struct = this.message.structs.get(name);
    if (!struct) throw new Error(`${this.message.name}: unknown struct ${name}`);
    return struct;
  }
}

const NUMERIC_WRITERS: Record<string, string> = {
  bool: 'bool',
  int8: 'int8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  float64: 'float64',
  uuid: 'uuid',
};

function parseInteger(value: unknown, what: string): bigint {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`${what}: default ${value} is not an integer`);
    return BigInt(value);
  }
  if (typeof value !== 'string') throw new Error(`${what}: bad default ${JSON.stringify(value)}`);
  const text = value.trim();
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  let magnitude: bigint;
  if (/^0x[0-9a-f]+$/i.test(body)) magnitude = BigInt(body);
  else if (/^0[0-7]+$/.test(body)) magnitude = BigInt(`0o${body.slice(1)}`);
  else if (/^\d+$/.test(body)) magnitude = BigInt(body);
  else throw new Error(`${what}: bad integer default ${JSON.stringify(value)}`);
  return negative ? -magnitude : magnitude;
}

const INTEGER_BOUNDS: Record<string, [bigint, bigint]> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** A field's default, resolved from the spec: a JSON-able value, or a marker for type defaults. */
export type DefaultValue =
  | { kind: 'null' }
  | { kind: 'number'; value: number }
  | { kind: 'bigint'; value: bigint }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'emptyBytes' }
  | { kind: 'zeroUuid' }
  | { kind: 'emptyArray' }
  | { kind: 'struct'; typeName: string };

function isNullSpec(value: unknown): boolean {
  return value === null || value === 'null';
}

export function resolveDefault(field: FieldSpec, message: MessageSpec): DefaultValue {
  const what = `${message.name}.${field.propertyName}`;
  const spec = field.defaultSpec;
  const type = field.type;
  if (type.kind === 'array') {
    if (spec !== undefined && !isNullSpec(spec)) throw new Error(`${what}: arrays default only to null`);
    return spec === undefined ? { kind: 'emptyArray' } : { kind: 'null' };
  }
  if (type.kind === 'struct') {
    if (spec !== undefined && !isNullSpec(spec)) throw new Error(`${what}: structs default only to null`);
    const struct = message.structs.get(type.name);
    if (!struct) throw new Error(`${what}: unknown struct ${type.name}`);
    return spec === undefined ? { kind: 'struct', typeName: struct.typeName } : { kind: 'null' };
  }
  switch (type.name) {
    case 'bool':
      if (spec === undefined) return { kind: 'boolean', value: false };
      if (spec === true || spec === 'true') return { kind: 'boolean', value: true };
      if (spec === false || spec === 'false') return { kind: 'boolean', value: false };
      throw new Error(`${what}: bad boolean default ${JSON.stringify(spec)}`);
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64': {
      const value = spec === undefined ? 0n : parseInteger(spec, what);
      const [low, high] = INTEGER_BOUNDS[type.name];
      if (value < low || value > high) throw new Error(`${what}: default ${value} out of range for ${type.name}`);
      return type.name === 'int64' ? { kind: 'bigint', value } : { kind: 'number', value: Number(value) };
    }
    case 'float64': {
      if (spec === undefined) return { kind: 'number', value: 0 };
      const value = Number(spec);
      if (Number.isNaN(value) && spec !== 'NaN') throw new Error(`${what}: bad float default ${JSON.stringify(spec)}`);
      return { kind: 'number', value };
    }
    case 'string':
      if (spec === undefined) return { kind: 'string', value: '' };
      if (isNullSpec(spec)) return { kind: 'null' };
      if (typeof spec !== 'string') throw new Error(`${what}: bad string default`);
      return { kind: 'string', value: spec };
    case 'bytes':
      if (spec === undefined) return { kind: 'emptyBytes' };
      if (isNullSpec(spec)) return { kind: 'null' };
      throw new Error(`${what}: bytes default only to null`);
    case 'records':
      return { kind: 'null' };
    case 'uuid':
      if (spec !== undefined) throw new Error(`${what}: uuid fields take no default`);
      return { kind: 'zeroUuid' };
  }
}

function numberLiteral(value: number): string {
  if (Object.is(value, -0)) return '-0';
  if (Number.isNaN(value)) return 'NaN';
  return String(value);
}

/** Accumulates one generated module: its body and the runtime names it imports. */
class ModuleEmitter {
  readonly message: MessageSpec;
  private readonly planner: LayoutPlanner;
  private readonly runtimeImports = new Set<string>();
  private usesWriterValue = false;
  private usesZeroUuid = false;
  private readonly isDefaultNeeded = new Set<StructSpec>();
  private readonly lines: string[] = [];

  constructor(message: MessageSpec) {
    this.message = message;
    this.planner = new LayoutPlanner(message);
  }

  private runtime(name: string): string {
    this.runtimeImports.add(name);
    return name;
  }

  private defaultCode(value: DefaultValue): string {
    switch (value.kind) {
      case 'null':
        return 'null';
      case 'number':
        return numberLiteral(value.value);
      case 'bigint':
        return `${value.value}n`;
      case 'boolean':
        return String(value.value);
      case 'string':
        return JSON.stringify(value.value);
      case 'emptyBytes':
        return this.runtime('EMPTY_BYTES');
      case 'zeroUuid':
        this.usesZeroUuid = true;
        return 'ZERO_UUID';
      case 'emptyArray':
        return '[]';
      case 'struct':
        return `default${value.typeName}()`;
    }
  }

  private fieldDefault(field: FieldSpec): string {
    return this.defaultCode(resolveDefault(field, this.message));
  }

  /** A TS condition that is true when `expr` differs from the field's default. */
  private nonDefaultCondition(field: FieldSpec, expr: string): string {
    const value = resolveDefault(field, this.message);
    switch (value.kind) {
      case 'null':
        return `${expr} !== null`;
      case 'number':
        return field.type.kind === 'primitive' && field.type.name === 'float64'
          ? `!Object.is(${expr}, ${numberLiteral(value.value)})`
          : `${expr} !== ${numberLiteral(value.value)}`;
      case 'bigint':
        return `${expr} !== ${value.value}n`;
      case 'boolean':
        return `${expr} !== ${value.value}`;
      case 'string':
        return `${expr} !== ${JSON.stringify(value.value)}`;
      case 'zeroUuid':
        this.usesZeroUuid = true;
        return `${expr} !== ZERO_UUID`;
      case 'emptyBytes':
      case 'emptyArray':
        return this.nullableType(field) ? `(${expr} === null || ${expr}.length !== 0)` : `${expr}.length !== 0`;
      case 'struct': {
        const struct = this.planner.structNamed((field.type as { name: string }).name);
        this.isDefaultNeeded.add(struct);
        return this.nullableType(field)
          ? `(${expr} === null || !isDefault${struct.typeName}(${expr}))`
          : `!isDefault${struct.typeName}(${expr})`;
      }
    }
  }

  private nullableType(field: FieldSpec): boolean {
    if (field.type.kind === 'primitive' && field.type.name === 'records') return true;
    return field.nullableVersions !== null || isNullSpec(field.defaultSpec);
  }

  private isOptional(field: FieldSpec): boolean {
    return field.taggedVersions !== null;
  }

  private tsType(type: FieldType): string {
    switch (type.kind) {
      case 'array': {
        const element = this.tsType(type.element);
        return `${element}[]`;
      }
      case 'struct':
        return this.planner.structNamed(type.name).typeName;
      case 'primitive':
        return PRIMITIVE_TS[type.name];
    }
  }

  private fieldTsType(field: FieldSpec): string {
    const base = this.tsType(field.type);
    return this.nullableType(field) ? `${base} | null` : base;
  }

  emit(kafkaCommit: string): string {
    const message = this.message;
    // plan every version up front, lowest first, so layout ids name their first version
    for (let v = message.validVersions.min; v <= message.validVersions.max; v++) {
      this.planner.layoutOf(message.root, v);
    }
    const structs = [message.root, ...message.structs.values()];
    for (const struct of structs) this.emitInterface(struct);
    const interfaceLines = this.lines.length;
    this.emitCodec();
    for (const struct of structs) {
      for (const layout of this.planner.layoutsOf(struct)) {
        this.emitWriter(layout);
        this.emitReader(layout);
      }
    }
    for (const struct of structs) this.emitDefaults(struct);
    // isDefault functions may ask for others: emit until no new ones appear
    const emitted = new Set<StructSpec>();
    for (;;) {
      const pending = structs.filter((s) => this.isDefaultNeeded.has(s) && !emitted.has(s));
      if (pending.length === 0) break;
      for (const struct of pending) {
        emitted.add(struct);
        this.emitIsDefault(struct);
      }
    }
    // Interfaces stay at the top level; the code goes into one define function so the module
    // has no runtime imports (see header()) and costs nothing until a codec is first used.
    const interfaces = this.lines.slice(0, interfaceLines);
    const code = this.lines.slice(interfaceLines);
    while (code.length > 0 && code[code.length - 1] === '') code.pop();
    const name = message.root.typeName;
    return (
      this.header(kafkaCommit) +
      interfaces.join('\n') +
      '\n' +
      `/** Builds the ${name} codec; called once, by the lazy codec in ./index.ts, on first use. */\n` +
      `export function ${defineFunctionName(name)}(runtime: CodecRuntime): MessageCodec<${name}> {\n` +
      this.runtimeBindings() +
      code.map((line) => (line === '' ? '' : `  ${line}`)).join('\n') +
      '\n' +
      `  return ${name};\n` +
      '}\n'
    );
  }

  /**
   * Values the code needs from the runtime (helpers, Writer, ZERO_UUID) come in as a parameter
   * rather than imports: the module is loaded with a synchronous require() on first use, and
   * importing them there could load a second copy of those modules (under vitest) whose error
   * classes would not be the ones callers check with instanceof.
   */
  private runtimeBindings(): string {
    const names = [...this.runtimeImports];
    if (this.usesWriterValue) names.push('Writer');
    if (this.usesZeroUuid) names.push('ZERO_UUID');
    if (names.length === 0) return '';
    return `  const { ${names.sort().join(', ')} } = runtime;\n\n`;
  }

  private header(kafkaCommit: string): string {
    const out: string[] = [
      `// generated by packages/protocol/scripts/codegen from Kafka ${kafkaCommit} — do not edit`,
      `// source: ${this.message.sourcePath}`,
    ];
    // type imports only: this module must load nothing else (see runtimeBindings())
    out.push(`import type { Reader, TaggedField } from '../../primitives/reader.ts';`);
    out.push(`import type { Writer } from '../../primitives/writer.ts';`);
    out.push(`import type { MessageCodec } from '../codec.ts';`);
    out.push(`import type { CodecRuntime } from '../lazy-codec.ts';`);
    return out.join('\n') + '\n\n';
  }

  private emitInterface(struct: StructSpec): void {
    this.lines.push(`export interface ${struct.typeName} {`);
    for (const field of struct.fields) {
      const optional = this.isOptional(field) ? '?' : '';
      this.lines.push(`  ${field.propertyName}${optional}: ${this.fieldTsType(field)};`);
    }
    this.lines.push(`  unknownTaggedFields?: TaggedField[];`);
    this.lines.push(`}`, ``);
  }

  private emitCodec(): void {
    const message = this.message;
    const root = message.root;
    const rangeText = (r: { min: number; max: number } | null) => (r === null ? 'null' : `{ min: ${r.min}, max: ${r.max} }`);
    const layouts = this.planner.layoutsOf(root);
    const cases = (layout: Layout) => layout.versions.map((v) => `case ${v}:`).join(' ');
    this.lines.push(`const ${root.typeName}: MessageCodec<${root.typeName}> = {`);
    this.lines.push(`  name: '${message.name}',`);
    this.lines.push(`  apiKey: ${message.apiKey === null ? 'null' : message.apiKey},`);
    this.lines.push(`  messageType: '${message.messageType}',`);
    this.lines.push(`  validVersions: ${rangeText(message.validVersions)},`);
    this.lines.push(`  flexibleVersions: ${rangeText(clampRange(message.flexibleVersions))},`);
    this.lines.push(`  encode(writer: Writer, message: ${root.typeName}, version: number): void {`);
    this.lines.push(`    switch (version) {`);
    for (const layout of layouts) {
      this.lines.push(`      ${cases(layout)}`);
      this.lines.push(`        write${root.typeName}${layout.id}(writer, message);`);
      this.lines.push(`        return;`);
    }
    this.lines.push(`      default:`);
    this.lines.push(`        throw ${this.runtime('unsupportedEncodeVersion')}('${message.name}', version);`);
    this.lines.push(`    }`);
    this.lines.push(`  },`);
    this.lines.push(`  decode(reader: Reader, version: number): ${root.typeName} {`);
    this.lines.push(`    switch (version) {`);
    for (const layout of layouts) {
      this.lines.push(`      ${cases(layout)}`);
      this.lines.push(`        return read${root.typeName}${layout.id}(reader);`);
    }
    this.lines.push(`      default:`);
    this.lines.push(`        throw ${this.runtime('unsupportedDecodeVersion')}('${message.name}', version);`);
    this.lines.push(`    }`);
    this.lines.push(`  },`);
    this.lines.push(`  defaults: default${root.typeName},`);
    this.lines.push(`};`, ``);
  }

  // ---- writing ----

  /** Statements writing `expr` (already non-undefined) with writer variable `w`. */
  private writeValue(type: FieldType, expr: string, fl: FieldLayout, w: string, indent: string, depth: number): string[] {
    const { compact, nullable } = fl;
    if (type.kind === 'primitive') {
      const name = type.name;
      if (name in NUMERIC_WRITERS) return [`${indent}${w}.${NUMERIC_WRITERS[name]}(${expr});`];
      const method = lengthForm(name === 'string' ? 'String' : 'Bytes', compact, nullable);
      return [`${indent}${w}.${method}(${expr});`];
    }
    if (type.kind === 'struct') {
      const child = fl.child!;
      const call = `write${child.struct.typeName}${child.id}(${w}, `;
      if (!nullable) return [`${indent}${call}${expr});`];
      const marker = fl.presence === 'tagged' ? ['uvarint(0)', 'uvarint(1)'] : ['int8(-1)', 'int8(1)'];
      return [
        `${indent}if (${expr} === null) {`,
        `${indent}  ${w}.${marker[0]};`,
        `${indent}} else {`,
        `${indent}  ${w}.${marker[1]};`,
        `${indent}  ${call}${expr});`,
        `${indent}}`,
      ];
    }
    // array
    const items = `items${depth}`;
    const index = `i${depth}`;
    const elementLayout: FieldLayout = { ...fl, nullable: false };
    const body = [
      compact ? `${indent}  ${w}.uvarint(${items}.length + 1);` : `${indent}  ${w}.int32(${items}.length);`,
      `${indent}  for (let ${index} = 0; ${index} < ${items}.length; ${index}++) {`,
      ...this.writeValue(type.element, `${items}[${index}]`, elementLayout, w, `${indent}    `, depth + 1),
      `${indent}  }`,
    ];
    if (!nullable) return [`${indent}{`, `${indent}  const ${items} = ${expr};`, ...body, `${indent}}`];
    return [
      `${indent}{`,
      `${indent}  const ${items} = ${expr};`,
      `${indent}  if (${items} === null) {`,
      `${indent}    ${w}.${compact ? 'uvarint(0)' : 'int32(-1)'};`,
      `${indent}  } else {`,
      ...body.map((line) => `  ${line}`),
      `${indent}  }`,
      `${indent}}`,
    ];
  }

  private emitWriter(layout: Layout): void {
    const struct = layout.struct;
    const body: string[] = [];
    const versionsText = versionListText(layout.versions);
    let hasTagged = false;
    for (const fl of layout.fields) {
      const field = fl.field;
      const property = `message.${field.propertyName}`;
      if (fl.presence === 'absent') {
        if (field.ignorable) continue;
        const guard = this.isOptional(field) ? `${property} !== undefined && ` : '';
        body.push(`  if (${guard}${this.nonDefaultCondition(field, property)}) {`);
        body.push(
          `    throw ${this.runtime('fieldNotInVersion')}('${struct.typeName}', '${field.propertyName}', '${versionsText}');`,
        );
        body.push(`  }`);
        continue;
      }
      if (fl.presence === 'tagged') {
        hasTagged = true;
        continue;
      }
      let expr = property;
      if (this.isOptional(field)) expr = `(${property} ?? ${this.fieldDefault(field)})`;
      if (this.nullableType(field) && !fl.nullable) {
        expr = `${this.runtime('requireNonNull')}(${expr}, '${struct.typeName}.${field.propertyName}')`;
      }
      if (field.type.kind === 'primitive' || expr === property) {
        body.push(...this.writeValue(field.type, expr, fl, 'writer', '  ', 0));
      } else {
        body.push(`  {`);
        body.push(`    const value = ${expr};`);
        body.push(...this.writeValue(field.type, 'value', fl, 'writer', '    ', 0));
        body.push(`  }`);
      }
    }
    if (layout.flexible) {
      if (!hasTagged) {
        body.push(`  ${this.runtime('writeUnknownTaggedFields')}(writer, message.unknownTaggedFields);`);
      } else {
        this.usesWriterValue = true;
        body.push(`  let known: TaggedField[] | undefined;`);
        for (const fl of layout.fields) {
          if (fl.presence !== 'tagged') continue;
          const field = fl.field;
          body.push(`  {`);
          body.push(`    const value = message.${field.propertyName};`);
          body.push(`    if (value !== undefined && ${this.nonDefaultCondition(field, 'value')}) {`);
          body.push(`      const tagged = new Writer(64);`);
          let valueExpr = 'value';
          if (this.nullableType(field) && !fl.nullable) {
            body.push(
              `      const present = ${this.runtime('requireNonNull')}(value, '${struct.typeName}.${field.propertyName}');`,
            );
            valueExpr = 'present';
          }
          if (field.type.kind === 'struct' && fl.nullable && resolveDefault(field, this.message).kind === 'null') {
            // written only when not null (its default): just the presence marker and the struct
            body.push(`      tagged.uvarint(1);`);
            body.push(`      write${fl.child!.struct.typeName}${fl.child!.id}(tagged, ${valueExpr});`);
          } else {
            body.push(...this.writeValue(field.type, valueExpr, fl, 'tagged', '      ', 0));
          }
          body.push(`      (known ??= []).push({ tag: ${field.tag}, data: tagged.finish() });`);
          body.push(`    }`);
          body.push(`  }`);
        }
        body.push(`  ${this.runtime('writeTaggedFields')}(writer, known, message.unknownTaggedFields);`);
      }
    }
    this.lines.push(`/** ${struct.typeName} versions ${versionsText}. */`);
    const messageParam = body.some((line) => line.includes('message')) ? 'message' : '_message';
    this.lines.push(`function write${struct.typeName}${layout.id}(writer: Writer, ${messageParam}: ${struct.typeName}): void {`);
    this.lines.push(...body);
    this.lines.push(`}`, ``);
  }

  // ---- reading ----

  /** Statements that leave the value in `target` (declared by the caller), reading from `r`. */
  private readValue(type: FieldType, fl: FieldLayout, r: string, target: string, indent: string, depth: number): string[] {
    const { compact, nullable } = fl;
    if (type.kind === 'primitive') {
      const name = type.name;
      if (name in NUMERIC_WRITERS) return [`${indent}${target} = ${r}.${NUMERIC_WRITERS[name]}();`];
      const method = lengthForm(name === 'string' ? 'String' : 'Bytes', compact, nullable);
      return [`${indent}${target} = ${r}.${method}();`];
    }
    if (type.kind === 'struct') {
      const child = fl.child!;
      const call = `read${child.struct.typeName}${child.id}(${r})`;
      if (!nullable) return [`${indent}${target} = ${call};`];
      const presence = fl.presence === 'tagged' ? 'readTaggedStructPresence' : 'readStructPresence';
      return [`${indent}${target} = ${this.runtime(presence)}(${r}) ? ${call} : null;`];
    }
    const count = `count${depth}`;
    const items = `items${depth}`;
    const index = `i${depth}`;
    const elementType = this.tsType(type.element);
    const lengthMethod = compact
      ? nullable
        ? 'compactNullableArrayLength'
        : 'compactArrayLength'
      : nullable
        ? 'nullableArrayLength'
        : 'arrayLength';
    const elementLayout: FieldLayout = { ...fl, nullable: false };
    const isInt32Array = type.element.kind === 'primitive' && type.element.name === 'int32';
    // int32 arrays (replica lists, partition ids) are the most common: check their bytes once
    // and read them straight from the buffer instead of one bounds check per element
    const fill = isInt32Array
      ? [
          `const at${depth} = ${r}.ensure(${count} * 4, 'int32 array');`,
          `const bytes${depth} = ${r}.buffer;`,
          `const ${items} = new Array<number>(${count});`,
          `for (let ${index} = 0, p = at${depth}; ${index} < ${count}; ${index}++, p += 4) {`,
          `  ${items}[${index}] = (bytes${depth}[p] << 24) | (bytes${depth}[p + 1] << 16) | (bytes${depth}[p + 2] << 8) | bytes${depth}[p + 3];`,
          `}`,
          `${r}.offset = at${depth} + ${count} * 4;`,
          `${target} = ${items};`,
        ]
      : [
          `const ${items} = new Array<${elementType}>(${count});`,
          `for (let ${index} = 0; ${index} < ${count}; ${index}++) {`,
          ...this.readValue(type.element, elementLayout, r, `${items}[${index}]`, '  ', depth + 1),
          `}`,
          `${target} = ${items};`,
        ];
    if (!nullable) {
      return [`${indent}{`, `${indent}  const ${count} = ${r}.${lengthMethod}();`, ...fill.map((l) => `${indent}  ${l}`), `${indent}}`];
    }
    return [
      `${indent}{`,
      `${indent}  const ${count} = ${r}.${lengthMethod}();`,
      `${indent}  if (${count} < 0) {`,
      `${indent}    ${target} = null;`,
      `${indent}  } else {`,
      ...fill.map((l) => `${indent}    ${l}`),
      `${indent}  }`,
      `${indent}}`,
    ];
  }

  private emitReader(layout: Layout): void {
    const struct = layout.struct;
    const body: string[] = [];
    const values: string[] = [];
    const taggedFields = layout.fields.filter((fl) => fl.presence === 'tagged');
    for (const fl of layout.fields) {
      const field = fl.field;
      const local = `f_${field.propertyName}`;
      if (fl.presence === 'absent') {
        values.push(`    ${field.propertyName}: ${this.fieldDefault(field)},`);
        continue;
      }
      values.push(`    ${field.propertyName}: ${local},`);
      if (fl.presence === 'tagged') {
        body.push(`  let ${local}: ${this.fieldTsType(field)} = ${this.fieldDefault(field)};`);
        continue;
      }
      const statements = this.readValue(field.type, fl, 'reader', local, '  ', 0);
      const simple = statements.length === 1 ? /^  f_\w+ = (.*);$/.exec(statements[0]) : null;
      if (simple) {
        body.push(`  const ${local} = ${simple[1]};`);
      } else {
        body.push(`  let ${local}: ${this.fieldTsType(field)};`);
        body.push(...statements);
      }
    }
    let unknownExpr = 'undefined';
    if (layout.flexible) {
      unknownExpr = 'unknownTaggedFields';
      if (taggedFields.length === 0) {
        body.push(`  const unknownTaggedFields = ${this.runtime('readUnknownTaggedFields')}(reader);`);
      } else {
        body.push(`  let unknownTaggedFields: TaggedField[] | undefined;`);
        body.push(`  const tagCount = ${this.runtime('readTagCount')}(reader);`);
        body.push(`  for (let i = 0, previousTag = -1; i < tagCount; i++) {`);
        body.push(`    const tag = reader.uvarint();`);
        body.push(`    ${this.runtime('checkTagOrder')}(tag, previousTag, reader);`);
        body.push(`    previousTag = tag;`);
        body.push(`    const end = ${this.runtime('readTaggedFieldEnd')}(reader);`);
        body.push(`    switch (tag) {`);
        for (const fl of [...taggedFields].sort((a, b) => a.field.tag! - b.field.tag!)) {
          const field = fl.field;
          body.push(`      case ${field.tag}: {`);
          body.push(`        const tagged = ${this.runtime('taggedFieldReader')}(reader, end);`);
          body.push(...this.readValue(field.type, fl, 'tagged', `f_${field.propertyName}`, '        ', 0));
          body.push(`        ${this.runtime('checkTaggedFieldConsumed')}(tagged, ${field.tag});`);
          body.push(`        break;`);
          body.push(`      }`);
        }
        body.push(`      default:`);
        body.push(`        (unknownTaggedFields ??= []).push({ tag, data: reader.buffer.subarray(reader.offset, end) });`);
        body.push(`    }`);
        body.push(`    reader.offset = end;`);
        body.push(`  }`);
      }
    }
    const readerParam = body.length > 0 ? 'reader' : '_reader';
    this.lines.push(`/** ${struct.typeName} versions ${versionListText(layout.versions)}. */`);
    this.lines.push(`function read${struct.typeName}${layout.id}(${readerParam}: Reader): ${struct.typeName} {`);
    this.lines.push(...body);
    this.lines.push(`  return {`);
    this.lines.push(...values);
    this.lines.push(`    unknownTaggedFields: ${unknownExpr},`);
    this.lines.push(`  };`);
    this.lines.push(`}`, ``);
  }

  // ---- defaults ----

  private emitDefaults(struct: StructSpec): void {
    this.lines.push(`function default${struct.typeName}(): ${struct.typeName} {`);
    this.lines.push(`  return {`);
    for (const field of struct.fields) this.lines.push(`    ${field.propertyName}: ${this.fieldDefault(field)},`);
    this.lines.push(`    unknownTaggedFields: undefined,`);
    this.lines.push(`  };`);
    this.lines.push(`}`, ``);
  }

  private emitIsDefault(struct: StructSpec): void {
    const conditions = struct.fields.map((field) => {
      const property = `message.${field.propertyName}`;
      const differs = this.nonDefaultCondition(field, property);
      return this.isOptional(field) ? `(${property} !== undefined && ${differs})` : `${differs}`;
    });
    // unknown tagged fields kept from decoding count as content too, as in Kafka's equals()
    conditions.push(`(message.unknownTaggedFields !== undefined && message.unknownTaggedFields.length !== 0)`);
    this.lines.push(`function isDefault${struct.typeName}(message: ${struct.typeName}): boolean {`);
    this.lines.push(`  return !(\n    ${conditions.join(' ||\n    ')}\n  );`);
    this.lines.push(`}`, ``);
  }
}

const PRIMITIVE_TS: Record<PrimitiveName, string> = {
  bool: 'boolean',
  int8: 'number',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  uint32: 'number',
  int64: 'bigint',
  float64: 'number',
  string: 'string',
  bytes: 'Buffer',
  records: 'Buffer',
  uuid: 'string',
};

function lengthForm(base: 'String' | 'Bytes', compact: boolean, nullable: boolean): string {
  const name = (compact ? 'compact' : '') + (nullable ? 'Nullable' : '') + base;
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function clampRange(range: { min: number; max: number } | null): { min: number; max: number } | null {
  if (range === null) return null;
  return { min: range.min, max: Math.min(range.max, VERSION_MAX) };
}

/** The function a message module exports to build its codec: `defineProduceRequest`. */
export function defineFunctionName(messageTypeName: string): string {
  return `define${messageTypeName}`;
}

export function emitMessageModule(message: MessageSpec, kafkaCommit: string): string {
  return new ModuleEmitter(message).emit(kafkaCommit);
}

