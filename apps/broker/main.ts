/**
 * The broker process on its own (`npm run broker`): routes only; persistence and push
 * run in the consumer process. Backends come from the environment (apps/shared/config.ts).
 */
import { summarizeConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { loadConfigOrExit, runMain } from '../shared/process';
import { startBroker } from './broker';

runMain(async () => {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'broker');
  logger.info({ config: summarizeConfig(config) }, 'configuration');
  const broker = await startBroker({ config, logger, handleSignals: true });
  logger.info({ url: broker.url, http: broker.httpUrl, nodeId: broker.nodeId }, `broker listening: connect STOMP over WebSocket to ${broker.url}`);
});
