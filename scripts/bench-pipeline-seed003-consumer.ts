/**
 * The baseline consumer for `npm run bench:pipeline` (its `seed003` run), run as its own
 * process as a separate consumer service would be: one AMQP message per chat message (JSON),
 * one awaited INSERT per message straight from the queue, then ack. Args: amqpUrl queue databaseUrl prefetch.
 */
import amqp from 'amqplib';
import pg from 'pg';

const [amqpUrl, queue, databaseUrl, prefetchArg] = process.argv.slice(2);
if (!amqpUrl || !queue || !databaseUrl) {
  console.error('usage: bench-pipeline-seed003-consumer <amqpUrl> <queue> <databaseUrl> [prefetch]');
  process.exit(2);
}

const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const conn = await amqp.connect(amqpUrl);
const ch = await conn.createChannel();
await ch.prefetch(Number(prefetchArg ?? 250));
// Messages are handled strictly one after another, as a single-threaded listener does.
let chain = Promise.resolve();
await ch.consume(queue, (msg) => {
  if (!msg) return;
  chain = chain.then(async () => {
    const m = JSON.parse(msg.content.toString());
    await db.query(
      `INSERT INTO messages (id, room_id, destination, sender_id, node_id, body, content_type, headers, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9 / 1000.0)) ON CONFLICT (id) DO NOTHING`,
      [m.id, m.roomId, m.destination, m.senderId, m.nodeId, m.body, m.contentType, JSON.stringify(m.headers), m.sentAt],
    );
    ch.ack(msg);
  });
});
process.on('SIGTERM', async () => {
  await chain.catch(() => undefined);
  await conn.close().catch(() => undefined);
  await db.end().catch(() => undefined);
  process.exit(0);
});
