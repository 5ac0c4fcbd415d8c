#!/usr/bin/env bash
# Generates Warden's composer workload at each size given (default: tiny small medium) and runs every
# in-process scenario on it, 3 runs each, writing results/<generator>-<size>.{json,log}; then prints
# the Markdown tables for RESULTS.md. Pass SHARED=1 to also run ../shared/workload's files (the ones
# SpiceDB was measured on). Needs `npm run build` first (the start-up and memory probes run dist/).
#   bench/run-sizes.sh small medium          # about 2 + 6 minutes on 2 shared cores
#   SHARED=1 bench/run-sizes.sh small medium large
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(tiny small medium)
work="${BENCH_WORK:-$(mktemp -d -t warden-bench-XXXXXX)}"
out="${BENCH_RESULTS:-bench/results}"
mkdir -p "$out"
reports=()
for size in "${sizes[@]}"; do
  node bin/warden.js bench generate --size "$size" --out "$work/warden-$size" >&2
  node bin/warden.js bench run --workload "$work/warden-$size" --json >"$out/warden-$size.json" 2>"$out/warden-$size.log"
  reports+=("$out/warden-$size.json")
  if [ "${SHARED:-0}" = 1 ] && [ -f ../shared/workload/gen.mjs ]; then
    node ../shared/workload/gen.mjs --size "$size" --out "$work/shared-$size"
    node bin/warden.js bench run --workload "$work/shared-$size" --json >"$out/shared-$size.json" 2>"$out/shared-$size.log"
    reports+=("$out/shared-$size.json")
  fi
done
node bench/summarize.mjs "${reports[@]}"
