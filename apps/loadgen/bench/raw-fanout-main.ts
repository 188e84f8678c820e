/** Child-process entry for the raw fan-out server (bench:core (b)): PORT from env, prints its URL. */
import { startRawFanoutServer } from './raw-fanout-server';

const server = await startRawFanoutServer({ port: Number(process.env.PORT ?? 0) });
process.stdout.write(`listening ${server.url}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
