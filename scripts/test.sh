#!/usr/bin/env bash
# Runs hearth's whole test suite: unit, host (as root) and contract tests, the module rules, then
# the end-to-end suite (module e2e, last in the reactor: the real CLI and daemon with real guests
# under QEMU, see e2e/). Installs what it needs first. Extra arguments go to Maven (e.g.
# -Dtest=ConfigTest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
exec ./mvnw -B -ntp verify -Pe2e "$@"
