#!/usr/bin/env bash
# pnpm test:compat: install what the compat suites need (idempotent, fast when cached), run them,
# then render the compatibility table and the differential report into tests/compat/README.md.
# Extra arguments go to vitest (CI passes its reporters). Exits non-zero when any suite fails.
# Goes through scripts/kafkaesque.mjs, which installs the workspace with the pinned pnpm when
# needed and runs the pinned Node 24, so nothing but Node/npm must be on PATH.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
node scripts/kafkaesque.mjs node --version >/dev/null || exit 1
bash tests/compat/install.sh
rm -rf tests/compat/.cache/results tests/compat/.cache/differential-*.json
node scripts/kafkaesque.mjs vitest run --config vitest.compat.config.ts "$@"
status=$?
node scripts/kafkaesque.mjs node tests/compat/support/compat-table.ts --write tests/compat/README.md ||
  echo "[compat] could not render the compatibility table"
exit $status
