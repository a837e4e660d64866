#!/usr/bin/env bash
# pnpm test:compat: install what the compat suites need (idempotent, fast when cached), run them,
# then render the compatibility table from the results. Extra arguments go to vitest (CI passes
# its reporters). Exits non-zero when any suite fails.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash tests/compat/install.sh
rm -rf tests/compat/.cache/results
pnpm exec vitest run --config vitest.compat.config.ts "$@"
status=$?
pnpm exec node tests/compat/support/compat-table.ts --write tests/compat/README.md || echo "[compat] could not render the table"
exit $status
