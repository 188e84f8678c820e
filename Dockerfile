# The stompbox image: every process of the stack, compiled, run by plain node.
#
#   docker build -t stompbox .
#   docker run -p 8080:8080 -e ALLOW_REMOTE_WITHOUT_AUTH=true stompbox     # npm start's all-in-one
#   (docker-compose.yml runs the same image as migrate, broker and consumer)
#
# Two stages: `build` has the dev dependencies (esbuild, tsx, vite, the Prisma CLI) and turns
# the TypeScript into dist/; `runtime` has the production dependencies and what the compiled
# code reads at run time, nothing else.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, a layer cached until the lock file changes. --ignore-scripts: the
# packages' own install scripts are not needed to build (esbuild's JS API finds its binary
# without its postinstall) and @prisma/engines' would download a native engine; it also
# skips our postinstall, run explicitly below.
COPY package.json package-lock.json prisma.config.ts tsconfig.json ./
COPY scripts ./scripts
COPY prisma ./prisma
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY apps ./apps
# The Prisma client, generated offline (scripts/prisma-generate.mjs), then the bundles and
# the demo page (scripts/build.mjs).
RUN node scripts/prisma-generate.mjs && npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Production dependencies only. --omit=optional as well: the Prisma CLI is a devDependency
# and also an optional peer of @prisma/client, which npm keeps under --omit=dev alone (with
# ~250 MB of its own dependencies). --ignore-scripts: the postinstall generates the Prisma
# client, which is bundled into dist/ already, and @prisma/engines' script fetches a native
# engine the runtime does not use (wasm query compiler + driver adapters).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
# What the compiled code reads at run time, found from the project root (package.json):
# the bundles (with the generated Prisma client inside), the migrations the embedded store
# and `db-migrate` apply, the demo page the broker serves.
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma/migrations ./prisma/migrations
COPY --from=build /app/apps/demo/dist ./apps/demo/dist
# The embedded database (no DATABASE_URL) lives under DATA_DIR, default .data; mount a
# volume on /app/.data to keep it.
RUN mkdir .data && chown node:node .data
USER node
EXPOSE 8080 9091
# node itself, no npm in between: it receives docker stop's SIGTERM and drains.
CMD ["node", "--enable-source-maps", "dist/apps/all-in-one/main.js"]
