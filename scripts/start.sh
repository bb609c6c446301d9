#!/usr/bin/env bash
# The README's first command: install what medpos needs (Debian packages when root, then npm ci),
# and start the cashier terminal on the demo world with an embedded SQLite file (./medpos.db).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
[ -d node_modules/better-sqlite3 ] || npm ci --no-audit --no-fund >&2
node scripts/build.mjs --if-stale >&2
exec node bin/medpos.js terminal --db "${MEDPOS_DB:-./medpos.db}" --world fixtures/worlds/demo --tester "$@"
