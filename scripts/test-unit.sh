#!/usr/bin/env bash
# npm run test:unit: the type check and the tests that need no root, kernel, QEMU, browser or network, side by side.
set -uo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit &
typecheck=$!
node --import tsx --test --test-concurrency=3 $(ls test/*.test.ts | grep -v -e /e2e- -e /qemu- -e /report-browser)
tests=$?
wait "$typecheck" || { echo "test:unit: the type check failed" >&2; exit 1; }
exit "$tests"
