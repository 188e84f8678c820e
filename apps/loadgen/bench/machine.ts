/** What the benchmark ran on, printed above its table (numbers mean little without it). */
import { cpus, loadavg } from 'node:os';
import { openFilesLimit } from '../../shared/open-files';

export { openFilesLimit };

export function machineLine(): string {
  const c = cpus();
  const fd = openFilesLimit();
  return `${c.length} × ${c[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, open files ${fd.soft}/${fd.hard} (soft/hard)`;
}
