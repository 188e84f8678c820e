/**
 * Prisma 7 CLI configuration (schema, migrations folder, datasource URL). The URL is only
 * needed by `prisma migrate deploy` (users with internet); `prisma generate` needs none, so a
 * placeholder keeps generation working on a fresh clone without DATABASE_URL.
 * Offline, use `npm run db:migrate` (scripts/db-migrate.ts) instead of `prisma migrate deploy`.
 */
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL || 'postgresql://placeholder@127.0.0.1:5432/placeholder',
  },
});
