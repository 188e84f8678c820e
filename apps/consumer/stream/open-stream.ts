/** The stream buffer chosen by configuration: a Redis Stream with REDIS_URL, else the in-process twin. */
import type { Config } from '../../shared/config';
import { MemoryPackStream } from './memory-pack-stream';
import type { PackStream } from './pack-stream';
import { RedisPackStream } from './redis-pack-stream';

/** `onStored`: for the in-process stream, told each pack whose rows were committed. */
export function openPackStream(c: Config, onStored?: (pack: Buffer) => void): PackStream {
  return c.REDIS_URL ? new RedisPackStream({ url: c.REDIS_URL, key: c.STREAM_KEY, group: c.STREAM_GROUP }) : new MemoryPackStream(onStored);
}
