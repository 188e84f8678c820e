/** demoRoutes mounted on the real broker: files, content types, traversal, not-built 503. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../broker/broker';
import { demoRoutes } from './routes';

/** Raw GET so the path reaches the server exactly as written (fetch would normalise ".."). */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('demoRoutes', () => {
  let dist: string;
  let built: BrokerHandle;
  let empty: BrokerHandle;

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'stompbox-demo-routes-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>demo</title>');
    writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'index-abc.css'), 'body{}');
    writeFileSync(join(dist, 'secret.txt'), 'outside assets');
    writeFileSync(join(dist, 'assets', '.hidden.js'), 'hidden content');
    const env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
    built = await startBroker({ env, routes: { public: [demoRoutes(dist, { wsPath: '/ws', roomTemplate: '/topic/chat/room/{roomId}' })] } });
    empty = await startBroker({ env, routes: { public: [demoRoutes(join(dist, 'missing'))] } });
  });

  afterAll(async () => {
    await built?.close();
    await empty?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('serves the page and its bundles with their content types', async () => {
    const index = await get(built.port, '/');
    expect(index.status).toBe(200);
    expect(index.type).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('<title>demo</title>');
    expect((await get(built.port, '/index.html')).status).toBe(200);
    const js = await get(built.port, '/assets/index-abc.js');
    expect([js.status, js.type, js.body]).toEqual([200, 'text/javascript; charset=utf-8', 'console.log(1)']);
    expect((await get(built.port, '/assets/index-abc.css')).type).toBe('text/css; charset=utf-8');
    const head = await get(built.port, '/assets/index-abc.js', 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
  });

  it('tells the page the WebSocket path and room template', async () => {
    const r = await get(built.port, '/demo/config.json');
    expect(JSON.parse(r.body)).toEqual({ wsPath: '/ws', roomTemplate: '/topic/chat/room/{roomId}', auth: 'login' });
  });

  it('serves nothing outside dist/assets: traversal, encoded slashes, hidden files, unknown types', async () => {
    for (const path of [
      '/assets/../secret.txt',
      '/assets/..%2Fsecret.txt',
      '/assets/%2e%2e%2fsecret.txt',
      '/assets/..%5Csecret.txt',
      '/assets/.hidden.js',
      '/assets/%2Ehidden.js',
      '/assets/nope.js',
      '/assets/%E0%A4%A',
      '/secret.txt',
      '/assets/',
    ]) {
      const r = await get(built.port, path);
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.body, path).not.toContain('outside assets');
      expect(r.body, path).not.toContain('hidden content');
    }
  });

  it('answers 503 with the build command when the page is not built; health routes still work', async () => {
    const r = await get(empty.port, '/');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).error).toContain('npm run build:demo');
    expect((await get(empty.port, '/healthz')).status).toBe(200);
  });
});
