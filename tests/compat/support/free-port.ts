import { createServer } from 'node:net';

/** An unused TCP port on 127.0.0.1, found by binding port 0 and letting it go again. A program
 *  started right after may in rare cases lose the race for it; the fixtures then fail loudly. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
