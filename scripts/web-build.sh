#!/usr/bin/env bash
# Build the web UI into web/dist when it is missing or older than its sources (npm ci + vite build).
# Exit 0 with a clear message when Node.js/npm are missing (the API still serves; / says how to build);
# exit non-zero when a build was attempted and failed.
set -euo pipefail
cd "$(dirname "$0")/../web"
log() { printf '==> %s\n' "$*" >&2; }
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "web UI: Node.js 20.19+ and npm are not installed, so the UI cannot be built; serving the API only."
  log "        Install them (e.g. apt-get install nodejs npm, or https://nodejs.org) and run scripts/serve.sh again."
  exit 0
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  log "web UI: Node.js $(node --version) is too old (20.19+ needed); serving the API only."
  exit 0
fi
if [ -f dist/index.html ] && [ -z "$(find src public index.html package.json package-lock.json vite.config.ts tsconfig.app.json -newer dist/index.html -print -quit 2>/dev/null)" ]; then
  log "web UI: web/dist is up to date"
  exit 0
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "web UI: installing packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
log "web UI: building (vite build)"
npm run --silent build >&2
