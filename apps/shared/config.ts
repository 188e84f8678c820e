/**
 * Configuration from environment variables, validated with zod.
 * Every real backend is chosen here: unset AMQP_URL / REDIS_URL / DATABASE_URL means the
 * embedded twin. An invalid value stops start-up with a message naming the variable.
 */
import { z } from 'zod';
import { parseAllowedOrigins } from './http/origins';

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.string().url().optional())
  .optional();

export const configSchema = z.object({
  // --- process / HTTP ---
  PORT: int(8080, 0, 65535),
  HOST: z.string().default('0.0.0.0'),
  WS_PATH: z.string().startsWith('/').default('/ws'),
  NODE_ID: z.string().regex(/^[A-Za-z0-9_.]{1,32}$/).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),
  ROOM_TEMPLATE: z.string().includes('{roomId}').default('/topic/room.{roomId}'),

  // --- WebSocket transport ---
  WS_OUTPUT: z.enum(['text', 'binary']).default('text'),
  WS_COMPRESSION: bool(false),
  /** Bytes a client may send before its CONNECT succeeds (fits an 8 KiB JWT). */
  PRE_CONNECT_MAX_BYTES: int(16 * 1024, 1024),
  /** Outgoing bytes queued for one connection before it counts as a slow consumer. */
  SEND_BUFFER_MAX_BYTES: int(4 * 1024 * 1024, 1024),
  /** Default: the open-file limit less what the process keeps for itself (shared/open-files.ts). */
  MAX_CONNECTIONS: z.coerce.number().int().min(1).optional(),
  /** A connection that has not completed CONNECT by then gets ERROR and is closed. */
  CONNECT_TIMEOUT_MS: int(10_000, 0),
  /** Time to wait for an ERROR or close to flush before the socket is destroyed. */
  CLOSE_GRACE_MS: int(2_000, 0),

  // --- STOMP limits ---
  MAX_FRAME_BYTES: int(4 * 1024 * 1024, 1024),
  MAX_BODY_BYTES: int(4 * 1024 * 1024, 0),
  MAX_HEADERS: int(64, 1),
  MAX_HEADER_LINE_BYTES: int(8 * 1024 + 512, 64),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: int(1_000, 1),
  MAX_TRANSACTIONS_PER_CONNECTION: int(16, 1),
  MAX_FRAMES_PER_TRANSACTION: int(1_000, 1),
  /** Messages queued for a client-ack subscription beyond its prefetch window. */
  MAX_PENDING_PER_SUBSCRIPTION: int(10_000, 1),
  MAX_PENDING_FRAMES_PER_CONNECTION: int(10_000, 1),
  /** Bytes of messages held for one connection: unacknowledged, behind prefetch, behind a history replay. */
  MAX_HELD_BYTES_PER_CONNECTION: int(32 * 1024 * 1024, 1024),
  /** Bytes of the frames buffered in one connection's open transactions. */
  MAX_TRANSACTION_BYTES_PER_CONNECTION: int(16 * 1024 * 1024, 1024),
  /** What all connections may buffer together (output unread, input unhandled); over it reading pauses. 0: no budget. */
  BUFFER_BUDGET_BYTES: int(64 * 1024 * 1024, 0),
  /** How long the budget may stay exceeded before the connection holding the most unread output is closed. */
  BUFFER_BUDGET_STALL_MS: int(5_000, 0),
  /** A frame begun must be complete within this time (0: no limit). */
  FRAME_TIMEOUT_MS: int(60_000, 0),
  /** Frames of one connection handled per event-loop turn before other connections are served. */
  INPUT_FRAMES_PER_TURN: int(256, 1),
  /** Default prefetch for client / client-individual subscriptions (0 = unlimited). */
  DEFAULT_PREFETCH: int(0, 0),
  HEARTBEAT_MIN_MS: int(1_000, 0),
  /** What the broker offers to send / wants to receive in CONNECTED heart-beat (0 = none). */
  HEARTBEAT_SERVER_SEND_MS: int(10_000, 0),
  HEARTBEAT_SERVER_RECV_MS: int(10_000, 0),
  /** Treat handshakes that look like StompProtocolAndroid's as restricted readers. */
  ANDROID_DETECT: bool(true),

  // --- offload / persistence ---
  AMQP_URL: optionalUrl,
  REDIS_URL: optionalUrl,
  DATABASE_URL: optionalUrl,
  OFFLOAD_MAX_PENDING: int(100_000, 1),
  HISTORY_MAX: int(200, 0),
  /** Per-room ring of recently routed messages kept by the broker for gap-free history. */
  RECENT_RING_SIZE: int(200, 0),
  RECENT_RING_MAX_ROOMS: int(10_000, 1),
  /** Bytes the recent rings of all rooms may hold together (least recently written rooms go first). */
  RECENT_RING_MAX_BYTES: int(64 * 1024 * 1024, 0),

  // --- pipeline (shared/queue/amqp-*, apps/consumer, apps/all-in-one/pipeline.ts) ---
  /** Bytes accepted by the offload and not yet confirmed, at most (with OFFLOAD_MAX_PENDING). */
  OFFLOAD_MAX_PENDING_BYTES: int(256 * 1024 * 1024, 1024),
  /** A pack is sealed at this many messages or bytes, else at the next tick (+ linger). */
  OFFLOAD_PACK_MAX_MESSAGES: int(200, 1),
  OFFLOAD_PACK_MAX_BYTES: int(256 * 1024, 1024),
  OFFLOAD_LINGER_MS: int(0, 0, 1_000),
  /** A SEND not confirmed this long after it was packed fails (ERROR to its sender). */
  OFFLOAD_TIMEOUT_MS: int(30_000, 100),
  OFFLOAD_MAX_INFLIGHT_PACKS: int(256, 1),
  AMQP_EXCHANGE: z.string().min(1).default('stompbox.chat'),
  AMQP_PERSIST_QUEUE: z.string().min(1).default('stompbox.persist'),
  AMQP_PUSH_QUEUE: z.string().min(1).default('stompbox.push'),
  AMQP_DEAD_EXCHANGE: z.string().min(1).default('stompbox.dead'),
  AMQP_DEAD_QUEUE: z.string().min(1).default('stompbox.dead'),
  AMQP_DELIVERY_LIMIT: int(20, 1),
  /** Route packs to the push queue too, and run the push consumer on it (RabbitMQ, or the in-process twin). */
  AMQP_PUSH_ENABLED: bool(true),
  /** Push queue bounds (packs, bytes): the oldest are dropped past them. Dead-letter queue bounds: new dead letters are refused past them. */
  AMQP_PUSH_MAX_LENGTH: int(100_000, 1),
  AMQP_PUSH_MAX_BYTES: int(64 * 1024 * 1024, 1024),
  AMQP_DEAD_MAX_LENGTH: int(1_000_000, 1),
  AMQP_DEAD_MAX_BYTES: int(256 * 1024 * 1024, 1024),
  /** In-process queue (no AMQP_URL): messages queued or un-acked, at most. */
  EMBEDDED_QUEUE_MAX: int(50_000, 1),
  /** Bytes of packs the in-process queue holds (embedded default: it lives in this process's memory). */
  EMBEDDED_QUEUE_MAX_BYTES: int(128 * 1024 * 1024, 1024),
  /** Consumer: packs un-acked from the queue at once. */
  CONSUMER_PREFETCH: int(64, 1),
  CONSUMER_HOST: z.string().default('0.0.0.0'),
  /** Consumer's own /healthz and /metrics port (npm run consumer). */
  CONSUMER_PORT: int(9091, 0, 65535),
  STREAM_KEY: z.string().min(1).default('stompbox:persist'),
  STREAM_GROUP: z.string().min(1).default('writers'),
  /** Stream entries (packs) not yet in the database, at most: past it the consumer stops taking from the queue. */
  STREAM_MAX_ENTRIES: int(5_000, 1),
  /** Byte bound of the in-process stream twin (embedded default); Redis is bounded by entries and its maxmemory. */
  STREAM_MAX_BYTES: int(128 * 1024 * 1024, 1024),
  /** Packs read per batch insert by one writer; writers per consumer process. */
  WRITER_BATCH_PACKS: int(20, 1),
  WRITER_CONCURRENCY: int(2, 1, 16),
  /** Entries pending this long at a writer that stopped are taken over (XAUTOCLAIM). */
  WRITER_CLAIM_IDLE_MS: int(15_000, 100),
  /** Recent-N cache per room (0 = off) and how long a quiet room's cache lives. */
  RECENT_CACHE_SIZE: int(100, 0, 10_000),
  /** Byte bound of the in-process recent cache (embedded default); Redis is bounded by its own maxmemory and the TTL. */
  RECENT_CACHE_MAX_BYTES: int(64 * 1024 * 1024, 1024),
  RECENT_CACHE_TTL_S: int(7 * 24 * 3600, 0),
  RECENT_CACHE_PREFIX: z.string().default('stompbox:recent:'),
  /** Embedded dead letters kept in memory (no AMQP_URL). */
  EMBEDDED_DEAD_LETTERS_MAX: int(10_000, 1),

  // --- access (no auth configured: loopback clients only, README.md "Connecting") ---
  ALLOW_REMOTE_WITHOUT_AUTH: bool(false),
  /** Web origins (comma-separated) allowed besides the broker's own, for WebSocket upgrades and state-changing HTTP requests. */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      try {
        return [...parseAllowedOrigins(v)];
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    }),
  // --- authentication (JWT on CONNECT; either variable switches development mode off) ---
  /** HS256 shared secret; at least 32 bytes (RFC 7518 3.2: a key of at least the hash's size). */
  JWT_SECRET: z
    .string()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.string().refine((v) => Buffer.byteLength(v, 'utf8') >= 32, 'must be at least 32 bytes').optional())
    .optional(),
  /** JWKS of the token issuer (RS256 / ES256 keys, fetched and cached by jose's createRemoteJWKSet). */
  JWT_JWKS_URL: optionalUrl,
  /** Required `iss`; unset: not checked. */
  JWT_ISSUER: z.string().trim().min(1).optional(),
  /** Required `aud` (comma-separated: any of them); unset: not checked. */
  JWT_AUDIENCE: z
    .string()
    .trim()
    .min(1)
    .transform((v) => v.split(',').map((a) => a.trim()).filter((a) => a !== ''))
    .optional(),
  /** Tolerance for `exp` and `nbf` against this machine's clock. */
  JWT_CLOCK_SKEW_S: int(30, 0, 600),
  /** A connection is closed this long after its token's `exp` (-1: never). */
  JWT_EXPIRY_GRACE_S: int(0, -1),

  // --- access on the STOMP side (who may subscribe and send where) ---
  /** Rooms: `members` (membership checked, cached) or `open`. Default: members with JWT, open in development mode. */
  ROOM_ACCESS: z.enum(['members', 'open']).optional(),
  /** Destinations that are neither rooms nor user queues: open to any authenticated user, or closed. */
  PUBSUB_ACCESS: z.enum(['open', 'closed']).default('open'),
  /** SEND to another user's `/user/{userId}/queue/{name}`: `off` (default) or `any` authenticated user. */
  USER_SEND: z.enum(['off', 'any']).default('off'),
  /** How long a membership answer is trusted before it is looked up again (changes also invalidate it at once). */
  ACCESS_CACHE_TTL_MS: int(30_000, 0),
  /** Membership answers cached in one broker process (oldest dropped first). */
  ACCESS_CACHE_MAX_ENTRIES: int(100_000, 1),
  /** SENDs per second one connection may make (0: unlimited); past it, reads from its socket pause. */
  SEND_RATE_PER_S: int(0, 0),
  /** SENDs a connection may make in a burst above SEND_RATE_PER_S. */
  SEND_BURST: int(200, 1),
  /**
   * With JWT_SECRET: the demo page may ask for a development token (and room membership) from
   * loopback (`POST /demo/token`). Never in production: refused when NODE_ENV=production.
   */
  DEMO_TOKENS: bool(false),

  /** Development mode: the consumer creates rooms and users named by SENDs on first use. */
  CREATE_ON_FIRST_USE: bool(true),
  /** Distinct rooms one sender may be made a member of (creating them) per minute; past it the pair is skipped. */
  FIRST_USE_ROOMS_PER_SENDER_PER_MINUTE: int(60, 1),
  /** (room, sender) pairs waiting to be created, at most, and their ids' bytes; past either, new pairs are dropped. */
  FIRST_USE_QUEUE_MAX: int(10_000, 1),
  FIRST_USE_QUEUE_MAX_BYTES: int(4 * 1024 * 1024, 1024),
  /** Pairs created per database statement. */
  FIRST_USE_BATCH: int(500, 1, 10_000),

  // --- cluster: broker nodes sharing rooms through RabbitMQ (apps/broker/cluster) ---
  /** Broker processes (nodes) sharing one port: a number or `auto` (one per core). More than one needs AMQP_URL. */
  BROKER_PROCESSES: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(256)]).default(1),
  /** With AMQP_URL: relay messages live between nodes (off: nodes share only persistence and history). */
  CLUSTER_ENABLED: bool(true),
  /** Direct exchange (durable) the node queues bind to by destination; queue `<prefix><nodeId>` per node. */
  CLUSTER_EXCHANGE: z.string().min(1).default('stompbox.nodes'),
  CLUSTER_QUEUE_PREFIX: z.string().min(1).default('stompbox.node.'),
  /** Bytes a node's queue holds; past it RabbitMQ refuses new packs for it, counted as missed by their publisher. */
  CLUSTER_QUEUE_MAX_BYTES: int(64 * 1024 * 1024, 1024),
  /** Messages / bytes waiting to be relayed; past either a message is not relayed (counted as missed). */
  CLUSTER_MAX_PENDING: int(100_000, 1),
  CLUSTER_MAX_PENDING_BYTES: int(64 * 1024 * 1024, 1024),
  /** A destination's messages of one event-loop turn go in packs of at most this many messages / bytes. */
  CLUSTER_PACK_MAX_MESSAGES: int(500, 1),
  CLUSTER_PACK_MAX_BYTES: int(256 * 1024, 1024),
  /** Packs from other nodes un-acked at once. */
  CLUSTER_PREFETCH: int(256, 1),
  /** How long a first SUBSCRIBE waits for a reconnecting node's bindings before it is acknowledged anyway. */
  CLUSTER_BIND_WAIT_MS: int(5_000, 0),

  // --- insights: trending words counted by the consumer (apps/shared/insights, apps/consumer/insights) ---
  /** Count the words of stored room messages (off: nothing counted, the trending routes answer empty). */
  INSIGHTS_ENABLED: bool(true),
  /** Redis keys of the minute buckets (with REDIS_URL). */
  INSIGHTS_KEY_PREFIX: z.string().min(1).default('stompbox:trend:'),
  /** Distinct words kept per minute of one room, and per minute across rooms; the least counted are trimmed. */
  INSIGHTS_MAX_WORDS_PER_BUCKET: int(1_000, 10),
  INSIGHTS_MAX_WORDS_OVERALL_BUCKET: int(10_000, 10),
  /** Longer words are not counted; at most this many distinct words of one message count. */
  INSIGHTS_MAX_WORD_CHARS: int(32, 2, 256),
  INSIGHTS_MAX_WORDS_PER_MESSAGE: int(32, 1, 1_000),
  /** Bytes of one message's text read for words. */
  INSIGHTS_MAX_TEXT_BYTES: int(2_048, 64, 1024 * 1024),
  /** Strip Korean particles (서울에서 → 서울). */
  INSIGHTS_STRIP_KOREAN_PARTICLES: bool(true),
  /** More stop words besides the shipped Korean and English lists (comma-separated). */
  INSIGHTS_EXTRA_STOP_WORDS: z.string().default(''),
  /** Stored messages waiting to be counted, and their body bytes; past either, messages are not counted (metric). */
  INSIGHTS_QUEUE_MAX: int(20_000, 1),
  INSIGHTS_QUEUE_MAX_BYTES: int(16 * 1024 * 1024, 1024),
  /** In-process buckets (no REDIS_URL): word entries over all minutes and rooms. */
  INSIGHTS_MEMORY_MAX_WORDS: int(2_000_000, 1_000),
  /** How long a summed window is reused by the next query of the same window. */
  INSIGHTS_QUERY_CACHE_MS: int(1_000, 0, 60_000),
  /** Publish each active room's top words to `<room destination>.trending` every this many seconds (0: off). */
  INSIGHTS_LIVE_INTERVAL_S: int(0, 0, 3_600),
  /** Rooms published per interval, at most (the most recently active). */
  INSIGHTS_LIVE_MAX_ROOMS: int(1_000, 1),
  INSIGHTS_LIVE_WINDOW_MINUTES: int(5, 1, 60),
  INSIGHTS_LIVE_LIMIT: int(10, 1, 100),

  // --- push notifications: FCM to offline room members (apps/consumer/push) ---
  /** Service-account JSON file for firebase-admin; or the JSON itself in FCM_SERVICE_ACCOUNT_JSON. Neither: pushes are off (decisions still made and counted). */
  GOOGLE_APPLICATION_CREDENTIALS: z.string().trim().transform((v) => (v === '' ? undefined : v)).optional(),
  /** Never validated here, so never echoed into a configuration error: it holds a private key. */
  FCM_SERVICE_ACCOUNT_JSON: z.string().transform((v) => (v.trim() === '' ? undefined : v)).optional(),
  /** Per user and room at most one push per this interval, carrying the count of messages it stands for (0: no wait). */
  PUSH_COLLAPSE_MS: int(1_000, 0, 3_600_000),
  /** (user, room) windows open at once, and their bytes; past either no pack is taken until windows close. */
  PUSH_COLLAPSE_MAX_WINDOWS: int(100_000, 1),
  PUSH_COLLAPSE_MAX_BYTES: int(64 * 1024 * 1024, 1024),
  /** Packs un-acked from the push queue at once. */
  PUSH_PREFETCH: int(16, 1),
  /** Tokens per sendEachForMulticast call (FCM allows 500) and calls in flight at once. */
  PUSH_BATCH_TOKENS: int(500, 1, 500),
  PUSH_CONCURRENCY: int(16, 1, 64),
  /**
   * Worker threads that send (each its own firebase-admin app); 0 sends from the consumer's own
   * thread. firebase-admin and Node's HTTP/2 client cost ~300 µs of CPU per token, so one thread
   * sends ~3k tokens/s: more need workers and cores.
   */
  PUSH_SEND_WORKERS: int(0, 0, 32),
  /** FCM's payload limit; the body is cut to fit it. */
  PUSH_PAYLOAD_MAX_BYTES: int(4_096, 1_024, 4_096),
  /** Sends of one push to one token before it is dead-lettered (UNAVAILABLE, INTERNAL, QUOTA_EXCEEDED). */
  PUSH_RETRY_ATTEMPTS: int(5, 1, 50),
  PUSH_RETRY_BASE_MS: int(1_000, 1),
  PUSH_RETRY_MAX_MS: int(600_000, 1),
  /** A QUOTA_EXCEEDED retry waits at least this long. */
  PUSH_QUOTA_RETRY_MIN_MS: int(60_000, 0),
  /** Tokens being sent or waiting for a retry, at most; past it no pack is taken (the queue holds them). */
  PUSH_RETRY_MAX_TOKENS: int(50_000, 1),
  /** How long a room's member list (and name) is reused before it is read again; rooms kept at most. */
  PUSH_MEMBERS_CACHE_MS: int(5_000, 0),
  PUSH_MEMBERS_CACHE_ROOMS: int(10_000, 1),
  /** Device tokens not re-registered for this long are deleted, checked every PUSH_PRUNE_EVERY_MS (0: never). */
  PUSH_TOKEN_MAX_AGE_DAYS: int(270, 1),
  PUSH_PRUNE_EVERY_MS: int(6 * 3_600_000, 0),

  // --- presence and membership events (apps/shared/presence, apps/shared/membership) ---
  /** Each process refreshes its presence this often; a process that stops (killed) drops out within PRESENCE_EXPIRY_MS (must be longer; 3x is good). */
  PRESENCE_REFRESH_MS: int(5_000, 10),
  PRESENCE_EXPIRY_MS: int(15_000, 20),
  /** Users one process reports at most; connections of further users are not reported (metric). */
  PRESENCE_MAX_USERS_PER_PROCESS: int(100_000, 1),
  /** Connects and disconnects within this delay go to Redis in one write. */
  PRESENCE_FLUSH_MS: int(20, 0, 10_000),
  /** User ids per Redis script call in one presence query (all calls in one round trip). */
  PRESENCE_QUERY_BATCH: int(500, 1, 5_000),
  /** A presence write or query slower than this fails (a query then rejects: unknown, never "offline"). */
  PRESENCE_TIMEOUT_MS: int(1_000, 10),
  PRESENCE_KEY_PREFIX: z.string().min(1).default('stompbox:presence:'),
  /** Redis pub/sub channel announcing membership changes to every broker process. */
  MEMBERSHIP_CHANNEL: z.string().min(1).default('stompbox:membership'),
  MEMBERSHIP_PUBLISH_TIMEOUT_MS: int(1_000, 10),

  // --- REST API (apps/broker/http): rate limit, bodies, user messages, the probes' own listener ---
  /** Requests one API caller (its user; its address when not identified) may make per window; 0: no limit. */
  API_RATE_LIMIT_MAX: int(600, 0, 1_000_000),
  API_RATE_LIMIT_WINDOW_MS: int(60_000, 1_000, 3_600_000),
  /** Callers the rate limiter remembers at once (least recently seen forgotten first). */
  API_RATE_LIMIT_MAX_KEYS: int(10_000, 100, 1_000_000),
  /** Largest JSON request body of the REST API. */
  API_MAX_BODY_BYTES: int(64 * 1024, 1024, 4 * 1024 * 1024),
  /** Who may POST /api/users/:id/messages: `admin` (default) or `any` authenticated user. */
  API_USER_MESSAGES: z.enum(['admin', 'any']).default('admin'),
  /** Set: /healthz, /readyz and /metrics move to this port (on METRICS_HOST, default HOST) and leave the main one. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().trim().min(1).optional(),

  // --- storage: how message rows are written, and the embedded database's memory (apps/shared/store) ---
  /** insertBatch's path (shared/store/row-inserter.ts): copy (COPY into a staging table; fastest measured), unnest (pg arrays), prisma (Prisma's raw SQL). */
  STORE_INSERT_PATH: z.enum(['copy', 'unnest', 'prisma']).default('copy'),
  /** Rows per insert statement (larger batches are split; a refused chunk is bisected). */
  STORE_INSERT_CHUNK_ROWS: int(1_000, 1, 100_000),
  /** Embedded PGlite's shared_buffers in MiB: most of its memory (PGlite's own default, 128, costs ~130 MiB RSS). */
  EMBEDDED_DB_SHARED_BUFFERS_MB: int(16, 1, 1_024),

  // --- shutdown ---
  DRAIN_TIMEOUT_MS: int(10_000, 0),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

const SECRET_VARIABLES = new Set(['JWT_SECRET']);

/** Parse and validate; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined) picked[key] = v;
  }
  const r = configSchema.safeParse(picked);
  if (!r.success) {
    // A secret is named, never echoed: this message goes to the start-up log.
    const shown = (key: string) => (SECRET_VARIABLES.has(key) ? '(hidden)' : JSON.stringify(picked[key]));
    const lines = r.error.issues.map((i) => `${i.path.join('.')}=${shown(String(i.path[0]))}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  if (r.data.JWT_SECRET !== undefined && r.data.JWT_JWKS_URL !== undefined) {
    throw new ConfigError('invalid configuration: JWT_SECRET and JWT_JWKS_URL are mutually exclusive (HS256 with a shared secret, or keys from a JWKS)');
  }
  if (r.data.DEMO_TOKENS && (r.data.JWT_SECRET === undefined || env.NODE_ENV === 'production')) {
    throw new ConfigError('invalid configuration: DEMO_TOKENS hands out development tokens: it needs JWT_SECRET and is refused when NODE_ENV=production');
  }
  return r.data;
}

/** One-line summary for the start-up log (secrets in URLs masked). */
export function summarizeConfig(c: Config): Record<string, unknown> {
  const mask = (u?: string) => (u ? u.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@') : 'embedded');
  return {
    port: c.PORT, path: c.WS_PATH, output: c.WS_OUTPUT, roomTemplate: c.ROOM_TEMPLATE,
    maxFrameBytes: c.MAX_FRAME_BYTES, sendBufferMaxBytes: c.SEND_BUFFER_MAX_BYTES,
    heartbeat: `${c.HEARTBEAT_SERVER_SEND_MS},${c.HEARTBEAT_SERVER_RECV_MS}`,
    amqp: mask(c.AMQP_URL), redis: mask(c.REDIS_URL), database: mask(c.DATABASE_URL),
  };
}
