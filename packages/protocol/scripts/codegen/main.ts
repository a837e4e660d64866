/**
 * Generates the Kafka message codecs, the API table and the error-code table from Kafka's JSON
 * specs. Usage (from the repo root): `pnpm codegen` to write the files, `pnpm codegen --check`
 * to verify the committed output is what the generator produces (exit code 1 if not).
 * The spec folder is `../shared/kafka-protocol` next to the repo, or $KAFKA_PROTOCOL_SPEC_DIR.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitMessageModule } from './emit-message.ts';
import { emitApiTable, emitErrorCodes, emitGeneratedIndex, emitSchemas } from './emit-tables.ts';
import { loadSpec } from './spec.ts';

const SCRIPT_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(SCRIPT_DIR, '../../../..');
const PROTOCOL_SRC = join(REPO_ROOT, 'packages/protocol/src');
const GENERATED_DIR = join(PROTOCOL_SRC, 'messages/generated');

export function defaultSpecDir(): string {
  return process.env.KAFKA_PROTOCOL_SPEC_DIR ?? resolve(REPO_ROOT, '../shared/kafka-protocol');
}

/** Every generated file's content by absolute path. */
export function generate(specDir: string): Map<string, string> {
  const spec = loadSpec(specDir);
  const files = new Map<string, string>();
  for (const message of spec.messages) {
    files.set(join(GENERATED_DIR, `${message.fileName}.ts`), emitMessageModule(message, spec.kafkaCommit));
  }
  files.set(join(GENERATED_DIR, 'index.ts'), emitGeneratedIndex(spec));
  files.set(join(GENERATED_DIR, 'schemas.ts'), emitSchemas(spec));
  files.set(join(PROTOCOL_SRC, 'messages/api.ts'), emitApiTable(spec));
  files.set(join(PROTOCOL_SRC, 'errors/error-codes.ts'), emitErrorCodes(spec));
  return files;
}

/** Files whose content differs from what the generator produces, and stale generated files. */
export function findOutdated(files: Map<string, string>): string[] {
  const outdated: string[] = [];
  for (const [path, content] of files) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== content) outdated.push(path);
  }
  if (existsSync(GENERATED_DIR)) {
    for (const name of readdirSync(GENERATED_DIR).sort()) {
      const path = join(GENERATED_DIR, name);
      if (!files.has(path)) outdated.push(path);
    }
  }
  return outdated;
}

function writeAll(files: Map<string, string>): number {
  let written = 0;
  if (existsSync(GENERATED_DIR)) {
    for (const name of readdirSync(GENERATED_DIR)) {
      const path = join(GENERATED_DIR, name);
      if (!files.has(path)) rmSync(path);
    }
  }
  for (const [path, content] of files) {
    if (existsSync(path) && readFileSync(path, 'utf8') === content) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    written++;
  }
  return written;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const specDir = defaultSpecDir();
  if (!existsSync(join(specDir, 'message'))) {
    process.stderr.write(`codegen: no Kafka message specs at ${specDir} (set KAFKA_PROTOCOL_SPEC_DIR)\n`);
    return 2;
  }
  const files = generate(specDir);
  if (check) {
    const outdated = findOutdated(files);
    if (outdated.length > 0) {
      process.stderr.write(`codegen: ${outdated.length} generated files are out of date:\n`);
      for (const path of outdated) process.stderr.write(`  ${path}\n`);
      return 1;
    }
    process.stdout.write(`codegen: ${files.size} generated files are up to date\n`);
    return 0;
  }
  const written = writeAll(files);
  process.stdout.write(`codegen: ${files.size} files generated, ${written} changed\n`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
