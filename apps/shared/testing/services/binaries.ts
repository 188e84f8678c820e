/**
 * Locate the service binaries; install missing ones once with apt (so `npm test` works on a
 * fresh Debian machine, as .ci/run does). The installation is
 * scripts/ci-services.sh, run under an flock so concurrent test files install only once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const CI_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../scripts/ci-services.sh');
const APT_LOCK = '/tmp/stompbox-apt.lock';

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    const p = `${dir}/${cmd}`;
    if (dir && existsSync(p)) return p;
  }
  return null;
}

function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(`${base}/${v}/bin/postgres`) && existsSync(`${base}/${v}/bin/initdb`))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? `${base}/${versions[0]}/bin` : null;
}

let installed = false;
function installServices(): void {
  if (installed) return;
  installed = true;
  if (process.getuid?.() !== 0) throw new Error(`service binaries missing and not root: run "sudo bash ${CI_SCRIPT}"`);
  execFileSync('flock', [APT_LOCK, 'bash', CI_SCRIPT], { stdio: 'inherit', timeout: 15 * 60_000 });
}

function locate<T>(find: () => T | null, what: string): T {
  let found = find();
  if (found) return found;
  installServices();
  found = find();
  if (!found) throw new Error(`${what} not found even after running scripts/ci-services.sh`);
  return found;
}

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  version: string;
}

export function postgresBinaries(): PostgresBinaries {
  const dir = locate(postgresBinDir, 'PostgreSQL server binaries (/usr/lib/postgresql/*/bin)');
  return { initdb: `${dir}/initdb`, postgres: `${dir}/postgres`, version: dir.split('/').at(-2)! };
}

export function redisServerBinary(): string {
  return locate(() => which('redis-server'), 'redis-server');
}

export interface RabbitBinaries {
  /** The real start script (not Debian's wrapper, which switches to the rabbitmq user). */
  server: string;
  epmd: string;
}

export function rabbitBinaries(): RabbitBinaries {
  return locate(() => {
    const server = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server') ? '/usr/lib/rabbitmq/bin/rabbitmq-server' : null;
    const epmd = which('epmd');
    return server && epmd ? { server, epmd } : null;
  }, 'rabbitmq-server and epmd');
}
