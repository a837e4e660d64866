#!/usr/bin/env node
// Entry point that works on a fresh machine with only Node.js and npm: it installs the
// workspace (pinned pnpm, which brings the pinned Node 24) when needed, then runs the
// requested tool on that Node. Plain JavaScript on purpose: it must run on the system Node.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pnpmVersion = '12.4.2';

function installed() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  const node24 = join(root, 'node_modules', '.bin', 'node');
  if (!existsSync(marker) || !existsSync(node24)) return false;
  return statSync(marker).mtimeMs >= statSync(join(root, 'pnpm-lock.yaml')).mtimeMs;
}

function ensureInstalled() {
  if (installed()) return;
  process.stderr.write(`kafkaesque: installing the workspace with pnpm ${pnpmVersion}…\n`);
  const result = spawnSync('npx', ['--yes', `pnpm@${pnpmVersion}`, 'install', '--frozen-lockfile'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    process.stderr.write('kafkaesque: pnpm install failed\n');
    process.exit(result.status ?? 1);
  }
}

const tools = {
  // the CLI of DESIGN.md: kafkaesque up | coordinator | …
  cli: ['packages/broker/src/cli/main.ts'],
  test: ['node_modules/vitest/vitest.mjs', 'run'],
  vitest: ['node_modules/vitest/vitest.mjs'],
  // any script on the pinned Node: `node scripts/kafkaesque.mjs node file.ts …`
  node: [],
};

const [toolName, ...args] = process.argv.slice(2);
const tool = tools[toolName];
if (!tool) {
  process.stderr.write(`usage: kafkaesque.mjs ${Object.keys(tools).join('|')} [args…]\n`);
  process.exit(2);
}
ensureInstalled();
const node24 = join(root, 'node_modules', '.bin', 'node');
const child = spawnSync(node24, [...tool.map((p, i) => (i === 0 ? join(root, p) : p)), ...args], {
  cwd: process.cwd(),
  stdio: 'inherit',
});
if (child.signal) process.kill(process.pid, child.signal);
process.exit(child.status ?? 1);
