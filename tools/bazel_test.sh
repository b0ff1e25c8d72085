#!/usr/bin/env bash
# Runs `bazel test` and ends with one plain summary line: "bazel: N passed, M failed".
# Usage: tools/bazel_test.sh BAZEL TARGET... ; exits with Bazel's status.
set -o pipefail
bazel_cmd=$1; shift
log=$(mktemp)
"$bazel_cmd" test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -cE '^//.* PASSED in' "$log")
failed=$(grep -cE '^//.* (FAILED|TIMEOUT|FAILED TO BUILD|NO STATUS)' "$log")
rm -f "$log"
echo "bazel: ${passed} passed, ${failed} failed"
exit "$status"
