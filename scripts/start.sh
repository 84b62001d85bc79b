#!/usr/bin/env bash
# From a fresh Debian or Ubuntu host to a daemon ready for `hearth vm create`, as root:
#   - installs what hearth runs (scripts/install-deps.sh run: the JDK, iproute2, nftables,
#     debootstrap and Debian's keyring, e2fsprogs, xz-utils, ...; QEMU when Firecracker cannot run
#     here, for the bundled bin/hearth-qemu-firecracker that vmm = auto then picks);
#   - builds hearth and installs it under /opt/hearth (with /usr/local/bin/hearth);
#   - starts the daemon with the embedded defaults (state in /var/lib/hearth, socket
#     /run/hearth/hearth.sock, no config file): hearth.service under systemd, else in the
#     background with its log in /var/log/hearth/daemon.log (kept within daemon_log_max_size);
#   - builds the image `base` unless it exists (--no-image skips it), showing its progress.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/start.sh [--no-image]" >&2
  exit 2
}
build_image=yes
for arg in "$@"; do
  case $arg in
    --no-image) build_image=no ;;
    -h | --help) usage ;;
    *)
      echo "scripts/start.sh: unknown argument '$arg'" >&2
      usage
      ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/start.sh: run as root (it installs packages, /opt/hearth and the service)" >&2
  exit 1
fi
scripts/install-deps.sh run
./mvnw -B -ntp -q -DskipTests package

version=$(sed -n 's/^version=//p' core/target/classes/dev/hearth/core/build-info.properties)
dist="cli/target/hearth-$version"
install -d /opt/hearth
rm -rf /opt/hearth/bin /opt/hearth/lib
cp -a "$dist/bin" "$dist/lib" /opt/hearth/
install -m 0644 "$dist/config.toml" /opt/hearth/config.toml.sample
ln -sf /opt/hearth/bin/hearth /usr/local/bin/hearth
# Members of this group may use the daemon's socket (socket_group in the config).
getent group hearth >/dev/null || groupadd --system hearth
# Every VM's VMM runs as this user, without capabilities (vm_user; README "VMs without root").
getent passwd hearth-vm >/dev/null ||
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin hearth-vm

if [ -d /run/systemd/system ]; then
  install -m 0644 "$dist/hearth.service" /etc/systemd/system/hearth.service
  systemctl daemon-reload
  systemctl enable hearth.service >/dev/null 2>&1
  systemctl restart hearth.service
else
  # Replace a daemon started by an earlier run: SIGTERM is its graceful shutdown.
  if [ -f /run/hearth/hearth.pid ]; then
    old=$(cat /run/hearth/hearth.pid)
    if kill -TERM "$old" 2>/dev/null; then
      for _ in $(seq 1 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.2; done
    fi
  fi
  install -d /var/log/hearth
  # The daemon outlives this script: it must not keep a descriptor it was handed (a lock that
  # start.sh's caller holds with flock(1), say), so every one above stderr is closed first.
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ] && [ -e "/proc/$BASHPID/fd/$fd" ]; then
        eval "exec $fd>&-"
      fi
    done
    # The daemon keeps its log file within daemon_log_max_size; daemon.out (new at each start)
    # gets only what is written before logging is set up (a bad config) and the JVM's own lines.
    exec nohup /opt/hearth/bin/hearth daemon --log-file /var/log/hearth/daemon.log \
      >/var/log/hearth/daemon.out 2>&1 </dev/null
  ) &
fi

for _ in $(seq 1 150); do
  if hearth version >/dev/null 2>&1; then break; fi
  sleep 0.2
done
if ! hearth version; then
  log="/var/log/hearth/daemon.log and /var/log/hearth/daemon.out"
  [ -d /run/systemd/system ] && log="journalctl -u hearth"
  echo "scripts/start.sh: the daemon does not answer; see $log" >&2
  exit 1
fi

if [ "$build_image" = yes ]; then
  if hearth image show base >/dev/null 2>&1; then
    echo "The image base exists already."
  else
    echo "Building the image base (Debian, with debootstrap: a few minutes the first time)..."
    hearth image build base
  fi
fi

echo
echo 'hearth is running (`hearth doctor` checks this host). Next:'
if ! hearth image show base >/dev/null 2>&1; then
  echo '  hearth image build base'
fi
echo '  hearth vm create demo --image base'
echo '  hearth vm ssh demo'
