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

runMain(async () => {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'stompbox');
  logger.info({ config: summarizeConfig(config) }, 'configuration');
  const broker = await startAllInOne(config, logger, [demoRoutes(undefined, { wsPath: config.WS_PATH, roomTemplate: config.ROOM_TEMPLATE })]);
  exitOnSignals(broker.close, logger);
  logger.info({ url: broker.url, http: broker.httpUrl, nodeId: broker.nodeId }, `stompbox ready: connect STOMP over WebSocket to ${broker.url} — demo page at ${broker.httpUrl}/`);
});
