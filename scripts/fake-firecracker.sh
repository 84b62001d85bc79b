#!/usr/bin/env bash
# Writes an executable fake firecracker (fcproc's test FakeFirecracker) for a manual run of a real
# hearth daemon: set firecracker_bin to the path it writes. The fake emulates the guest's SSH
# server on the guest's address (hearth.fake.guestSsh), so the daemon must run as root; extra
# -Dname=value arguments go to the fake (e.g. -Dhearth.fake.ignoreCtrlAltDel=true).
# Usage: scripts/fake-firecracker.sh OUT [-Dname=value...]
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: scripts/fake-firecracker.sh OUT [-Dname=value...]" >&2
  exit 2
fi
out=$(realpath -m "$1")
shift
cd "$(dirname "$0")/.."
repo=$(pwd)
# The shared reference copy of Firecracker's spec when it is beside the checkout, else the fake
# validates against fcproc's bundled copy (byte-identical; FirecrackerSpecTest holds it so).
spec="$(dirname "$repo")/shared/reference/firecracker/firecracker-api-v1.16.1.yaml"
spec_arg=()
if [ -f "$spec" ]; then
  spec_arg=("-Dhearth.firecracker.spec=$spec")
fi
classpath_file=$(mktemp)
trap 'rm -f "$classpath_file"' EXIT
# The daemon's test class path, as in the daemon's tests: fcproc's test classes (the fake) and
# the daemon's runtime libraries (eddsa, for the daemon's ed25519 key). In the reactor the
# modules' classes resolve to their target folders; daemon runs last and leaves its path here.
./mvnw -q -pl daemon -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
classpath=$(cat "$classpath_file")
mkdir -p "$(dirname "$out")"
{
  echo '#!/bin/sh'
  echo '# hearth fake firecracker with guest emulation, written by scripts/fake-firecracker.sh'
  printf 'exec %q -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx64m -cp %q' \
    "$(command -v java)" "$classpath"
  printf ' %q' "${spec_arg[@]}" -Dhearth.fake.guestSsh=true "$@"
  echo ' dev.hearth.fcproc.testing.FakeFirecrackerMain "$@"'
} >"$out"
chmod 0755 "$out"
echo "$out"
