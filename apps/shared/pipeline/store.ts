/** Opens P1's MessageStore chosen by DATABASE_URL (Postgres) or DATA_DIR (embedded PGlite). */
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { MessageStore } from '../db/message-store';

export async function openMessageStore(_c: Config, _logger: Logger): Promise<MessageStore> {
  throw new Error('MessageStore implementations (apps/shared/db) are not available yet');
}
