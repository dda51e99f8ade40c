# The watcher's image: Node 24, production dependencies only, running as a non-root user on a
# read-only root file system (the Helm chart mounts /tmp, and /var/lib/lambdastack-autoscaler when
# it records, as the only writable places).

# --- build: compile TypeScript with the dev dependencies
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The build bundles GitHub's workflow parser into dist/ (the run-workflow command), with esbuild.
COPY scripts/build-workflow-parser.mjs ./scripts/
RUN npm run build

# --- production dependencies only
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts --omit=dev && npm cache clean --force

# --- runtime
FROM node:24-bookworm-slim
ENV NODE_ENV=production
# V8 grows its young generation to 128 MiB while a 150,000-pod list is parsed; 8 MiB caps it, for a
# little more GC work. At 5,000 nodes / 150,000 pods the cache alone drops from 304 to 189 MiB RSS,
# and the running watcher peaks at 408 MiB instead of 508 (bench/README.md), under the chart's limit.
ENV NODE_OPTIONS=--max-semi-space-size=8
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# A fixed non-root uid/gid (the chart's runAsUser), owning nothing it runs.
RUN groupadd --system --gid 10001 autoscaler && useradd --system --uid 10001 --gid 10001 --no-create-home autoscaler
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "bin/lambdastack-autoscaler.js"]
CMD ["watch", "--help"]
