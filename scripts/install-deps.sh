#!/usr/bin/env bash
# Installs the host packages hearth needs on Debian or Ubuntu, skipping apt when all are present.
#   scripts/install-deps.sh run    what the daemon runs (vm create, image build) and the build
#                                  needs, plus QEMU for bin/hearth-qemu-firecracker when
#                                  Firecracker cannot run here (vmm = auto then picks QEMU)
#   scripts/install-deps.sh test   that, plus what the test suite uses (QEMU always)
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
  [setpriv]=util-linux
  [mountpoint]=util-linux
  [cp]=coreutils
  [chroot]=coreutils
  [tar]=tar
  # vm create: the identity stage (debugfs), growing a disk past the image (e2fsck, resize2fs)
  [debugfs]=e2fsprogs
  [e2fsck]=e2fsprogs
  [resize2fs]=e2fsprogs
  # image build: debootstrap, the rootfs (mkfs.ext4 -d), Debian's kernel unpacked (xz)
  [debootstrap]=debootstrap
  [mkfs.ext4]=e2fsprogs
  [xz]=xz-utils
)
declare -A test_pkgs=(
  [qemu-system-x86_64]=qemu-system-x86
  [ps]=procps
  [git]=git
  [iptables]=iptables
  [sshd]=openssh-server
  [ssh-keygen]=openssh-client
  # The e2e suite reaches its guests (under QEMU, above) with OpenSSH.
  [ssh]=openssh-client
  # TapGuardsHostTest sends and watches raw frames between network namespaces (frames.py).
  [python3]=python3
  # The VM DNS's host tests run a local upstream resolver with fixed records.
  [dnsmasq]=dnsmasq-base
  # The web UI's browser test (WebUiBrowserTest): headless Chromium driven through chromedriver.
  [chromium]=chromium
  [chromedriver]=chromium-driver
)
# The web UI in Firefox (WebUiFirefoxTest, through Marionette): Debian's firefox-esr. Ubuntu has
# Firefox as a snap only, so there that test is skipped, saying so.
if [ -r /etc/os-release ] && grep -qx 'ID=debian' /etc/os-release; then
  test_pkgs[firefox-esr]=firefox-esr
fi

missing=()
check() {
  local -n pkgs=$1
  for cmd in "${!pkgs[@]}"; do
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1; then
      missing+=("${pkgs[$cmd]}")
    fi
  done
}
# Firecracker runs only when it is installed and /dev/kvm works: it exists, is not PVM's (which
# boots only kernels built for PVM) and opens read-write. Otherwise vmm = auto runs VMs under QEMU
# (bin/hearth-qemu-firecracker; README "Firecracker, QEMU and KVM"), the same test as the daemon's.
kvm_usable() {
  [ -c /dev/kvm ] && [ ! -e /sys/module/kvm_pvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]
}
if ! command -v firecracker >/dev/null 2>&1 || ! kvm_usable; then
  run_pkgs[qemu-system-x86_64]=qemu-system-x86
fi
check run_pkgs
[ "$purpose" = test ] && check test_pkgs
# debootstrap checks Debian's signatures with this keyring (a package without a command).
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)

# A JDK older than 17 on PATH does not count.
if command -v javac >/dev/null 2>&1; then
  major=$(javac -version 2>&1 | sed -E 's/^javac ([0-9]+).*/\1/')
  if [ "${major:-0}" -lt 17 ]; then missing+=(openjdk-17-jdk-headless); fi
fi

# The e2e suite's daemon runs its VMMs as vm_user (default hearth-vm; start.sh makes it for a
# real install): created here too, as root, so that the suite finds it.
if [ "$purpose" = test ] && [ "$(id -u)" -eq 0 ] && ! getent passwd hearth-vm >/dev/null; then
  PATH="$PATH:/usr/sbin:/sbin" useradd --system --user-group --no-create-home \
    --home-dir /nonexistent --shell /usr/sbin/nologin hearth-vm
fi

# An unprivileged VMM (vm_unprivileged, the default) opens /dev/net/tun itself to attach to its
# TAP, which its uid owns. udev's default rule makes the node 0666; a host without udev (a
# container, a minimal VM) may have it 0600, and then every boot fails with "could not open
# /dev/net/tun: Permission denied". The node alone grants nothing: creating a TAP needs
# CAP_NET_ADMIN, attaching to one needs owning it.
if [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
  chmod 0666 /dev/net/tun
  echo "scripts/install-deps.sh: /dev/net/tun made 0666, as udev makes it (unprivileged VMMs open it)"
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
