# Warden: multi-stage build. Not built on the development machines (no Docker engine there); kept simple.
# Build stage: compiles better-sqlite3 (native) and the TypeScript sources.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

# Runtime stage: only the compiled code, production dependencies, protos and the example workspace.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    WARDEN_HOST=0.0.0.0 \
    WARDEN_DATASTORE=sqlite \
    WARDEN_DATASTORE_PATH=/data/warden.db
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY proto ./proto
COPY examples ./examples
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080 50051
# Listening on 0.0.0.0 needs a key: pass -e WARDEN_PRESHARED_KEY=... (or WARDEN_INSECURE_ALLOW_UNAUTHENTICATED=true).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/warden.js"]
CMD ["serve"]
