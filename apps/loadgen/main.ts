/**
 * `npm run load -- [scenario] [options]`: the load generator for any STOMP-over-WebSocket
 * broker. Prints progress on stderr and the report table on stdout; `--json FILE` writes the
 * same report as JSON. Exit code 1 when anything was lost, duplicated, reordered or failed,
 * 2 on bad usage.
 */
import { writeFileSync } from 'node:fs';
import { HELP, parseLoadArgs, UsageError } from './cli/options';
import { runLoad } from './run/run-load';
import { progressSink } from './run/progress';
import { renderReport, runPassed } from './stats/report';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseLoadArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`load: ${e.message}\n\n${HELP}\n`);
      return 2;
    }
    throw e;
  }
  if (parsed.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const o = parsed.options;
  const report = await runLoad(o, { progress: progressSink(o) });
  process.stdout.write(`${renderReport(report)}\n`);
  if (o.json) writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
  return runPassed(report) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`load: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
