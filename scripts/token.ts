/**
 * `npm run token -- <user> [--admin] [--ttl 3600]`: prints a development token (HS256) signed
 * with the configured JWT_SECRET, with JWT_ISSUER / JWT_AUDIENCE when set, for a client's
 * CONNECT passcode. `--admin` adds `roles: ["admin"]`.
 */
import { developmentToken } from '../apps/shared/auth/development-token';
import { ConfigError, loadConfig } from '../apps/shared/config';
import { USER_ID } from '../apps/broker/session/authenticator';

function fail(message: string): never {
  process.stderr.write(`${message}\nusage: npm run token -- <user> [--admin] [--ttl <seconds>]\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let user: string | undefined;
  let admin = false;
  let ttl = 3600;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--admin') admin = true;
    else if (a === '--ttl') {
      const v = args[++i];
      if (v === undefined || !/^\d{1,9}$/.test(v) || Number(v) === 0) fail(`--ttl needs a positive number of seconds, got ${JSON.stringify(v)}`);
      ttl = Number(v);
    } else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else if (user === undefined) user = a;
    else fail(`unexpected argument ${a}`);
  }
  if (user === undefined) fail('missing <user>');
  if (!USER_ID.test(user)) fail(`<user> must be 1-128 of [A-Za-z0-9_-.@], got ${JSON.stringify(user.slice(0, 40))}`);

  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  if (config.JWT_SECRET === undefined) fail('JWT_SECRET is not set (at least 32 bytes): tokens are signed with it');

  const token = await developmentToken(user, { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, admin, ttlS: ttl });
  process.stdout.write(`${token}\n`);
}

await main();
