#!/usr/bin/env bash
# The Node-RED node tests (test/node-*.test.ts, test/examples.test.ts and the journal on Node-RED's context
# stores) against Node-RED 3.1, the oldest release package.json's "node-red".version promises. Node-RED 3.1 is
# installed once into a cache directory outside this checkout's node_modules (SEQR_NODE_RED_CACHE, default
# ~/.cache/node-red-seqr) and chosen by SEQR_NODE_RED_PATH (test/helpers/node-red-runtime.ts). The browser and
# demo tests are not run: the demo pins Node-RED 4 and Dashboard 2.0.
set -euo pipefail
cd "$(dirname "$0")/.."

range="~3.1"
cache="${SEQR_NODE_RED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/node-red-seqr}/node-red-3.1"
node_red="$cache/node_modules/node-red"
installed=$(node -p "require('$node_red/package.json').version" 2>/dev/null || true)
if [[ "$installed" != 3.1.* ]]; then
  echo "Installing node-red@$range into $cache"
  mkdir -p "$cache"
  [ -f "$cache/package.json" ] || echo '{ "private": true }' > "$cache/package.json"
  # Without optional dependencies: bcrypt's native build is optional, Node-RED falls back to bcryptjs.
  npm install --prefix "$cache" --no-audit --no-fund --omit=optional --no-save "node-red@$range" >/dev/null
  installed=$(node -p "require('$node_red/package.json').version")
fi
echo "Node-RED node tests on Node-RED $installed ($node_red)"

npm run build >/dev/null
# --no-config: .mocharc.json's spec (every test) would be added to these files; its other settings follow.
SEQR_NODE_RED_PATH="$node_red" npx mocha --no-config --require tsx/cjs --extension ts --timeout 20000 --exit \
  test/node-*.test.ts test/examples.test.ts test/ledger-*.test.ts
