/**
 * `npm start`: broker and consumer in one process (the embedded default). With no
 * AMQP_URL / REDIS_URL / DATABASE_URL everything runs on embedded twins (in-process queue
 * and stream, PGlite under DATA_DIR); each variable switches one component to the real one.
 */
import { summarizeConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { exitOnSignals, loadConfigOrExit, runMain } from '../shared/process';
import { startAllInOne } from './all-in-one';
import { demoRoutes } from '../demo/routes';
import { processesRefusal, superviseProcesses } from '../broker/cluster/processes';

runMain(async () => {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'stompbox');
  logger.info({ config: summarizeConfig(config) }, 'configuration');
  // Several processes need RabbitMQ between them and a database every process can open: the
  // embedded queue, stream and PGlite store live inside one process.
  const refusal = processesRefusal(config);
  if (refusal) {
    console.error(refusal);
    process.exit(2);
  }
  if (superviseProcesses(config, logger)) return;
  const broker = await startAllInOne(config, logger, [demoRoutes(undefined, { wsPath: config.WS_PATH, roomTemplate: config.ROOM_TEMPLATE, auth: config.DEMO_TOKENS ? 'token' : 'login' })]);
  exitOnSignals(broker.close, logger);
  logger.info({ url: broker.url, http: broker.httpUrl, nodeId: broker.nodeId }, `stompbox ready: connect STOMP over WebSocket to ${broker.url} — demo page at ${broker.httpUrl}/`);
});
