/**
 * `npm start`'s process for tests: the all-in-one entry point on the embedded default (no
 * AMQP_URL / REDIS_URL / DATABASE_URL), a free port, the given data directory; resolves once
 * it logged its URLs.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface AllInOneProcess {
  child: ChildProcess;
  url: string;
  http: string;
  exited: Promise<number | null>;
}

export async function startAllInOneProcess(dataDir: string, children: ChildProcess[]): Promise<AllInOneProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/all-in-one/main.ts'], {
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', AMQP_URL: '', REDIS_URL: '', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`not ready in 90 s: ${out.slice(-2000)}`)), 90_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const found = /"url":"(ws:[^"]+)","http":"(http:[^"]+)"/.exec(out);
      if (found) {
        clearTimeout(t);
        resolve(found);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out.slice(-2000)}`)));
  });
  return { child, url: m[1], http: m[2], exited };
}
