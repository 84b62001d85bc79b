#!/usr/bin/env bash
# Runs hearth's whole test suite: unit, host (as root) and contract tests, plus the module rules.
# Installs what it needs first. Extra arguments go to Maven (e.g. -Dtest=ConfigTest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
exec ./mvnw -B -ntp verify "$@"
