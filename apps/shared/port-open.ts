/** True when something accepts TCP connections on 127.0.0.1:port (readiness probes). */
import { connect } from 'node:net';

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
