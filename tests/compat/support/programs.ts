// Finding and running the third-party programs the lab depends on. A missing program is an
// error that names the install step, never a skip: a client we could not run is not a pass.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { mavenDir, pythonEnvs, type PythonEnv } from './paths.ts';

export class MissingProgramError extends Error {
  readonly program: string;
  constructor(program: string, hint: string) {
    super(`compat lab: required program "${program}" is not installed (${hint}); ` +
      'run `bash tests/compat/install.sh` as root — this test cannot pass without it');
    this.name = 'MissingProgramError';
    this.program = program;
  }
}

function isExecutable(path: string): boolean {
  try { accessSync(path, constants.X_OK); return true; } catch { return false; }
}

/** Absolute path of `name` (a PATH lookup, or an absolute path checked as is); throws loudly. */
export function requireProgram(name: string, hint = 'see tests/compat/install.sh'): string {
  if (isAbsolute(name)) {
    if (isExecutable(name)) return name;
    throw new MissingProgramError(name, hint);
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, name))) return join(dir, name);
  }
  throw new MissingProgramError(name, hint);
}

/** The interpreter of one of the lab's Python environments, checked to import `module`. */
export function requirePython(env: PythonEnv, module: string): string {
  const python = requireProgram(pythonEnvs[env], `python environment ${env}`);
  const probe = spawnSync(python, ['-c', `import ${module}`], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new MissingProgramError(`${module} in ${env}`, probe.stderr.trim().split('\n').at(-1) ?? 'import failed');
  }
  return python;
}

/** The class path (jar list joined with ':') of a Maven set resolved by install.sh. */
export function mavenClasspath(name: string): string {
  const dir = join(mavenDir, name);
  const jars = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.jar')) : [];
  if (jars.length === 0) throw new MissingProgramError(`maven set ${name}`, `no jars in ${dir}`);
  return jars.map((jar) => join(dir, jar)).join(delimiter);
}

export interface RunResult { code: number | null; signal: string | null; stdout: string; stderr: string }
export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
  /** Kill the program after this long; the lab never waits forever on a third-party client. */
  timeoutMs?: number;
}
/** Output kept per stream, so a client stuck printing cannot exhaust memory. */
const outputBytesMax = 16 * 1024 * 1024;
const defaultRunTimeoutMs = 240_000;

/** Runs a program to completion, capturing its output (bounded) and its exit status. */
export function runProgram(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { if (stdout.length < outputBytesMax) stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { if (stderr.length < outputBytesMax) stderr += chunk; });
    const timer = setTimeout(() => {
      stderr += `\n[compat lab: killed after ${options.timeoutMs ?? defaultRunTimeoutMs} ms]`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? defaultRunTimeoutMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a Python script file in one of the lab's environments. */
export function runPython(script: string, args: readonly string[], options: RunOptions & { venv: PythonEnv; module: string }): Promise<RunResult> {
  const python = requirePython(options.venv, options.module);
  return runProgram(python, [script, ...args], { ...options, env: { PYTHONUNBUFFERED: '1', ...options.env } });
}

/** Parses the last line of a client program's stdout, which by the lab's convention is one
 *  JSON object with the results; the whole output is in the error when it is not. */
export function lastJsonLine<T>(result: RunResult): T {
  const lines = result.stdout.trim().split('\n');
  const last = lines.at(-1) ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`client printed no JSON result (exit ${result.code}, signal ${result.signal})\n` +
      `--- stdout ---\n${result.stdout.slice(-8000)}\n--- stderr ---\n${result.stderr.slice(-8000)}`);
  }
}
