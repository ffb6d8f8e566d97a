# Syncline as a container image: `docker build -t syncline .`, then `docker run -p 8080:8080 syncline` for demo
# mode, or with SYNCLINE_DB and SYNCLINE_DYNAMICS_* set for a real CRM (README, "Running it in containers";
# docs/operations.md). tests/ops/dockerfile.test.ts runs this file's ENTRYPOINT and CMD with its ENV and lints it.

# The build stage has every dependency: the admin console is built by Vite, a dev dependency.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:web

# The runtime stage: production dependencies, the TypeScript sources (Node 24 runs them by type stripping, no
# build step) and the built console. The base image's Node.js 24 runs it: the `node` dev dependency that
# brings Node 24 to npm scripts is not needed here.
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY --from=build /app/web/dist ./web/dist
# The SQLite database (the default) lives on a volume the unprivileged user owns; PostgreSQL needs none.
RUN mkdir -p /app/data && chown node:node /app/data && ln -s /app/bin/syncline.js /usr/local/bin/syncline
VOLUME ["/app/data"]
USER node

# Listen on every interface of the container (the default, 127.0.0.1, is unreachable from outside it).
ENV SYNCLINE_HOST=0.0.0.0 \
    SYNCLINE_PORT=8080 \
    SYNCLINE_DB=sqlite:/app/data/syncline.db
EXPOSE 8080

# Liveness on /health. Slim images have no curl: Node's own fetch asks. Orchestrators that tell liveness from
# readiness should also probe GET /ready (the database answers and is migrated).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SYNCLINE_PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# `syncline start` by default; any other command as the arguments (`docker run … syncline migrate`). SIGTERM
# (docker stop) stops it at a safe boundary: give it the grace to get there (compose.yaml: stop_grace_period).
ENTRYPOINT ["node", "bin/syncline.js"]
CMD ["start"]
