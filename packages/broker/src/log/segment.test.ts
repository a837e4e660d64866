import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogFile } from './fs.ts';
import { writevFully, WRITEV_BUFFERS_MAX } from './segment.ts';

/** An in-memory file whose writev writes at most `maxPerCall` bytes (short writes). */
function shortWritingFile(maxPerCall: number): { file: LogFile; contents: () => Buffer; calls: () => number } {
  let data = Buffer.alloc(0);
  let calls = 0;
  const file: LogFile = {
    async read() {
      return 0;
    },
    async write() {
      throw new Error('writevFully must not use write');
    },
    async writev(buffers, position) {
      calls++;
      expect(buffers.length).toBeLessThanOrEqual(WRITEV_BUFFERS_MAX);
      const bytes = Buffer.concat(buffers).subarray(0, maxPerCall);
      if (data.length < position + bytes.length) data = Buffer.concat([data, Buffer.alloc(position + bytes.length - data.length)]);
      bytes.copy(data, position);
      return bytes.length;
    },
    async truncate() {},
    async sync() {},
    async sizeBytes() {
      return data.length;
    },
    async close() {},
  };
  return { file, contents: () => data, calls: () => calls };
}

describe('writevFully', () => {
  it('writes every buffer back to back through short writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 16 }), async (parts, maxPerCall, position) => {
        const buffers = parts.map((part) => Buffer.from(part));
        const { file, contents } = shortWritingFile(maxPerCall);
        await writevFully(file, buffers, position);
        const expected = Buffer.concat(buffers);
        if (expected.length > 0) expect(contents().subarray(position)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('uses one call per WRITEV_BUFFERS_MAX buffers when the kernel takes them whole', async () => {
    const buffers = Array.from({ length: WRITEV_BUFFERS_MAX + 5 }, (_, index) => Buffer.from([index & 0xff]));
    const { file, contents, calls } = shortWritingFile(Number.MAX_SAFE_INTEGER);
    await writevFully(file, buffers, 0);
    expect(calls()).toBe(2);
    expect(contents()).toEqual(Buffer.concat(buffers));
  });

  it('fails with EIO when a write makes no progress', async () => {
    const { file } = shortWritingFile(0);
    await expect(writevFully(file, [Buffer.from('x')], 0)).rejects.toMatchObject({ code: 'EIO' });
  });
});
