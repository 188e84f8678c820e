/** Process plumbing shared by every entry point: config or exit 2, drain on signals. */
import { ConfigError, loadConfig, type Config } from './config';
import type { Logger } from './logger';

/** Load the configuration; on an invalid value print it (naming the variable) and exit 2. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

/**
 * Drain on SIGTERM/SIGINT, then exit 0 (1 if the drain failed). Signals that arrive during the
 * drain are ignored, and the listeners stay installed: under `npm start` a SIGTERM to the
 * process group (a supervisor, Ctrl-C) reaches the server twice, once directly and once
 * forwarded by npm, and with no listener left Node's default action would kill it mid-drain.
 */
export function exitOnSignals(close: () => Promise<void>, logger: Logger): void {
  let done = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (done) {
      logger.info({ signal }, 'already draining: signal ignored');
      return;
    }
    done = true;
    logger.info({ signal }, 'shutdown requested');
    close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Run an async main; an unexpected failure exits 1 with the error printed. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
