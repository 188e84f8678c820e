/** Small load-run options for tests: in-thread, quiet, bounded. */
import { parseLoadArgs, type LoadOptions } from '../cli/options';

export function testOptions(url: string, ...argv: string[]): LoadOptions {
  const r = parseLoadArgs([...argv, '--url', url, '--workers', '0', '--progress', 'none', '--timeout', '20s', '--receipt-timeout', '5s']);
  if (r.help) throw new Error('help');
  return r.options;
}
