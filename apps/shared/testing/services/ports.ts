/** Free TCP ports on 127.0.0.1 for test services. */
import { createServer, type Server } from 'node:net';

/**
 * Reserve `count` distinct free ports: all listeners stay open until every port is known, so
 * the same port is never handed out twice in one call. (Another process may still grab a
 * port between release and use; the services' start-up then fails loudly.)
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => {
      const addr = s.address();
      if (!addr || typeof addr === 'string') throw new Error('no port assigned');
      return addr.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** Start-up errors that mean "someone took the port between our check and the bind". */
const PORT_CLASH = /address already in use|eaddrinuse|could not bind|could not create listen socket/i;

/**
 * Run `start` (which picks fresh free ports each call and cleans up after itself on failure)
 * again when it failed because a port was taken meanwhile by another process.
 */
export async function retryOnPortClash<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      if (i >= attempts || !PORT_CLASH.test(String(err instanceof Error ? err.message : err))) throw err;
    }
  }
}
