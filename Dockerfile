# syntax=docker/dockerfile:1
# OpenLearning invoice portal: container image. See compose.yaml and docs/deploy.md.
#   docker build -t openlearning-invoice-portal .
#
# Node 20 (>= 20.19) is the baseline; node:22-bookworm-slim and node:24-bookworm-slim work too:
#   docker build --build-arg NODE_IMAGE=node:22-bookworm-slim .
# Both stages use the same image, so the native modules are built for the Node that runs them.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript, install native modules, drop dev dependencies ------------------
FROM ${NODE_IMAGE} AS build
# better-sqlite3 downloads a prebuilt binary when one exists for this CPU and Node version; when
# none does (or GitHub cannot be reached) node-gyp compiles it, which needs these tools. They stay
# in this stage: the runtime image has no compiler. (@node-rs/argon2 ships prebuilt binaries.)
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# If node-gyp does compile, use the Node headers already in the image instead of downloading them.
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# npm ci installs exactly the lock file and runs `prepare` (npm run build: src/ -> dist/), which
# needs the dev dependencies (TypeScript); prune removes them afterwards.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && find node_modules/@expo-google-fonts -mindepth 2 -maxdepth 2 -type d \
      ! -name '400Regular' ! -name '700Bold' -exec rm -rf {} +
# The PDF uses only the regular and bold weights (src/clients/pdf/fonts.ts); the font packages
# ship nine weights each, so the others (about 200 MB) are left out of the image.

# ---- runtime: only what runs ----------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Code stays owned by root (read-only for the `node` user that runs it).
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY views ./views
COPY locales ./locales
COPY public ./public
# Migrations are read at start-up from src/db/migrations relative to the package root (src/paths.ts).
COPY src/db/migrations ./src/db/migrations
# Created before VOLUME and owned by `node` (uid 1000), so a new named volume starts writable.
# A bind mount keeps the host directory's owner: `chown 1000:1000` it first.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
# SIGTERM: stop taking requests, let running jobs finish (the portal gives up after 30 s), exit.
# Give it that long: `docker run --stop-timeout 40` / compose `stop_grace_period: 40s`.
STOPSIGNAL SIGTERM
# The slim image has no curl: ask /healthz with Node (200 when the database answers, 503 if not).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
