/**
 * A throw-away self-signed TLS certificate for 127.0.0.1 and localhost, made once per process
 * with the `openssl` CLI (Node can make keys but not X.509 certificates). Local TLS servers of
 * tests and benchmarks use it; their clients trust it through `ca`. Valid for two days; nothing
 * is kept on disk.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  /** PEM private key. */
  key: string;
  /** PEM certificate: also its own CA. */
  cert: string;
}

let made: TestCert | null = null;

export function testCert(): TestCert {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout', key, '-out', cert,
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      throw new Error(`a test TLS certificate needs the openssl CLI (OpenSSL 1.1.1 or later): ${(err as Error).message}`);
    }
    made = { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
