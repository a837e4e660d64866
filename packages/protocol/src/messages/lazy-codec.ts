/**
 * Lazily loaded message codecs. The generated codecs are ~1.8 MB of TypeScript in ~220 modules;
 * loading them all (type stripping, compiling, evaluating) took most of a process's start-up,
 * while a broker or client uses a handful. So the barrel (generated/index.ts) exports, under
 * every codec's name, a small codec object that knows the message's metadata and loads the
 * message's module with a synchronous require() the first time encode, decode or defaults is
 * called; after that the object calls the real functions directly.
 *
 * A message module has only type imports and gets the values it needs through `runtime`, so
 * require() loads exactly one file and never a second copy of the primitives (vitest runs our
 * code through its own module loader; a natively loaded copy would have its own error classes).
 */
import { createRequire } from 'node:module';
import { ZERO_UUID } from '../primitives/uuid.ts';
import { Writer } from '../primitives/writer.ts';
import type { MessageCodec, MessageType, VersionRange } from './codec.ts';
import * as helpers from './runtime.ts';

/** Everything generated message code uses at run time. */
export const codecRuntime = { ...helpers, Writer, ZERO_UUID };
export type CodecRuntime = typeof codecRuntime;

export interface CodecMetadata {
  readonly name: string;
  readonly apiKey: number | null;
  readonly messageType: MessageType;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange | null;
}

type MessageModule = Record<string, (runtime: CodecRuntime) => MessageCodec<unknown>>;

const requireGenerated = createRequire(new URL('./generated/', import.meta.url));

/**
 * A codec for `metadata.name` whose code lives in `generated/<file>` as `<defineName>(runtime)`.
 */
export function lazyCodec<T>(file: string, defineName: string, metadata: CodecMetadata): MessageCodec<T> {
  const load = (): MessageCodec<T> => {
    const module = requireGenerated(`./${file}`) as MessageModule;
    const define = module[defineName];
    if (typeof define !== 'function') throw new Error(`generated/${file} does not export ${defineName}`);
    const real = define(codecRuntime) as MessageCodec<T>;
    // from now on the calls go straight to the generated functions
    codec.encode = real.encode;
    codec.decode = real.decode;
    codec.defaults = real.defaults;
    return real;
  };
  const codec: MessageCodec<T> = {
    ...metadata,
    encode(writer, message, version) {
      load().encode(writer, message, version);
    },
    decode(reader, version) {
      return load().decode(reader, version);
    },
    defaults() {
      return load().defaults();
    },
  };
  return codec;
}
