/**
 * Finds every handler file in this folder (`NN-name.ts`, NN = API key) and registers its
 * default export. Discovery instead of a hand-kept list lets several engineers add handler
 * files without editing a shared file.
 */
import { readdirSync } from 'node:fs';
import { HandlerRegistry, type ApiHandler } from './types.ts';

const HANDLER_FILE = /^\d{2,3}-[a-z0-9-]+\.ts$/;

let cached: Promise<ApiHandler[]> | null = null;

async function importHandlers(): Promise<ApiHandler[]> {
  const folder = new URL('./', import.meta.url);
  const files = readdirSync(folder).filter((file) => HANDLER_FILE.test(file) && !file.endsWith('.test.ts')).sort();
  const handlers: ApiHandler[] = [];
  for (const file of files) {
    const module = (await import(new URL(file, folder).href)) as { default?: ApiHandler };
    if (module.default === undefined) throw new Error(`handlers/${file} has no default export`);
    const apiKey = Number(file.slice(0, file.indexOf('-')));
    if (module.default.apiKey !== apiKey) throw new Error(`handlers/${file} exports API key ${module.default.apiKey}`);
    handlers.push(module.default);
  }
  return handlers;
}

/** A registry with every handler file of this folder (imported once per process). */
export async function loadHandlers(): Promise<HandlerRegistry> {
  cached ??= importHandlers();
  const registry = new HandlerRegistry();
  for (const handler of await cached) registry.register(handler);
  return registry;
}
