/**
 * The broker process on its own (`npm run broker`): routes only; persistence and push
 * run in the consumer process. Backends come from the environment (apps/shared/config.ts).
 */
import { ConfigError, loadConfig, summarizeConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { startBroker } from './broker';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.LOG_LEVEL, 'broker');
  logger.info({ config: summarizeConfig(config) }, 'configuration');
  const broker = await startBroker({ config, logger, handleSignals: true });
  logger.info({ url: broker.url, http: broker.httpUrl, nodeId: broker.nodeId }, `broker listening: connect STOMP over WebSocket to ${broker.url}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
