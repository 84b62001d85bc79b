#!/usr/bin/env bash
# Installs the host packages hearth needs on Debian or Ubuntu, skipping apt when all are present.
#   scripts/install-deps.sh run    what the daemon uses at run time and to build
#   scripts/install-deps.sh test   that, plus what the test suite uses
set -euo pipefail

purpose=${1:-run}
# command -> Debian package that provides it
declare -A run_pkgs=(
  [javac]=openjdk-17-jdk-headless
  [curl]=curl
  [ip]=iproute2
  [nft]=nftables
  [dmsetup]=dmsetup
  [losetup]=mount
  [setsid]=util-linux
  [debugfs]=e2fsprogs
  [cp]=coreutils
  [tar]=tar
)
declare -A test_pkgs=(
  [setpriv]=util-linux
  [ps]=procps
  [git]=git
  [iptables]=iptables
  [sshd]=openssh-server
  [ssh-keygen]=openssh-client
  [debootstrap]=debootstrap
  [xz]=xz-utils
  [mkfs.ext4]=e2fsprogs
)

missing=()
check() {
  local -n pkgs=$1
  for cmd in "${!pkgs[@]}"; do
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1; then
      missing+=("${pkgs[$cmd]}")
    fi
  done
}
check run_pkgs
[ "$purpose" = test ] && check test_pkgs

# A JDK older than 17 on PATH does not count.
if command -v javac >/dev/null 2>&1; then
  major=$(javac -version 2>&1 | sed -E 's/^javac ([0-9]+).*/\1/')
  if [ "${major:-0}" -lt 17 ]; then missing+=(openjdk-17-jdk-headless); fi
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
mapfile -t unique < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/install-deps.sh: missing packages: ${unique[*]}; run as root to install them" >&2
  exit 1
fi
echo "Installing: ${unique[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${unique[@]}" >/dev/null
