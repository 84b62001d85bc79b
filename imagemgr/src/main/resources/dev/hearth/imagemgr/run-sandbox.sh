#!/bin/sh
# hearth: runs a command as root inside an image tree, sandboxed (ARCHITECTURE.md, Decisions,
# "Image build sandbox"). Usage: run-sandbox.sh TREE NETWORK COMMAND [ARG...], NETWORK being none
# (a network namespace of its own, loopback only) or host. `run-sandbox.sh make-dev DIR` mounts
# the private /dev alone (the build's own stages use it too).
#
# - mount, PID, IPC and UTS namespaces of its own (and network, unless host): when the command
#   ends, everything it started dies with its PID namespace; the build's own PID namespace and
#   setpriv --pdeathsig in the daemon's chain take it down when the build or the daemon goes;
# - the tree becomes the root through pivot_root and the old root is unmounted, so no path leads
#   back to the host's files (a chroot escape only reaches the tree's own root);
# - /proc is its own PID namespace's (so /proc/1/root is the tree), with /proc/sys and the other
#   kernel knobs read-only; /dev is the build's private one (null, zero, full, random, urandom,
#   tty, ptmx and pts, shm), never the host's; no /sys;
# - the command keeps only the capabilities a package install needs: no mknod, mount, module
#   loading, raw I/O, ptrace, open_by_handle_at (dac_read_search), admin of any kind.
set -eu

# A private /dev at $1: the few nodes a build needs, never the host's devices.
make_dev() {
  mount -t tmpfs -o mode=0755,nosuid,noexec,size=16m hearth-dev "$1"
  mknod -m 0666 "$1/null" c 1 3
  mknod -m 0666 "$1/zero" c 1 5
  mknod -m 0666 "$1/full" c 1 7
  mknod -m 0666 "$1/random" c 1 8
  mknod -m 0666 "$1/urandom" c 1 9
  mknod -m 0666 "$1/tty" c 5 0
  mkdir -m 0755 "$1/pts"
  mkdir -m 1777 "$1/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,nosuid,noexec devpts "$1/pts"
  ln -s pts/ptmx "$1/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev,size=64m shm "$1/shm"
  ln -s /proc/self/fd "$1/fd"
  ln -s /proc/self/fd/0 "$1/stdin"
  ln -s /proc/self/fd/1 "$1/stdout"
  ln -s /proc/self/fd/2 "$1/stderr"
}

if [ "${1:-}" = make-dev ]; then
  make_dev "$2"
  exit 0
fi

if [ "${HEARTH_SANDBOX_STAGE:-}" != inside ]; then
  [ "$#" -ge 3 ] || { echo "usage: run-sandbox.sh TREE none|host COMMAND [ARG...]" >&2; exit 2; }
  net=--net
  case $2 in
    none) ;;
    host) net='' ;;
    *) echo "run-sandbox.sh: network must be none or host, not $2" >&2; exit 2 ;;
  esac
  export HEARTH_SANDBOX_STAGE=inside
  # shellcheck disable=SC2086 # $net is one word or none
  exec unshare --mount --propagation private --pid --fork --kill-child=SIGKILL --ipc --uts $net \
    -- /bin/sh "$0" "$@"
fi

tree=$1
shift 2
unset HEARTH_SANDBOX_STAGE
[ -x "$tree/usr/bin/setpriv" ] || [ -x "$tree/bin/setpriv" ] || {
  echo "hearth: the image has no setpriv (util-linux), which the --run sandbox needs" >&2
  exit 1
}
ip link set lo up 2>/dev/null || true

# The tree as a mount of its own, then its own /dev and /proc over whatever was there.
mount --rbind "$tree" "$tree"
for point in proc sys dev; do
  # A mount the rbind brought along may show as a mount point yet refuse umount ("not
  # mounted"): stop there, the fresh mounts below go over it.
  while mountpoint -q "$tree/$point"; do
    umount -l "$tree/$point" 2>/dev/null || break
  done
done
mkdir -p "$tree/dev" "$tree/proc"
make_dev "$tree/dev"
mount -t proc -o nosuid,nodev,noexec proc "$tree/proc"
for knob in sys sysrq-trigger irq bus fs acpi; do
  if [ -e "$tree/proc/$knob" ]; then
    mount --bind "$tree/proc/$knob" "$tree/proc/$knob"
    mount -o remount,bind,ro,nosuid,nodev,noexec "$tree/proc/$knob"
  fi
done
for secret in kcore keys timer_list sched_debug kallsyms; do
  if [ -e "$tree/proc/$secret" ]; then
    mount --bind "$tree/dev/null" "$tree/proc/$secret"
  fi
done

# pivot_root into the tree; the old root goes away with a lazy unmount (tree's own umount now).
old=$tree/mnt
mkdir -p "$old"
cd "$tree"
pivot_root . mnt
cd /
umount -l /mnt

export HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin
exec setpriv --inh-caps=-all \
  --bounding-set=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,+net_raw,+sys_chroot,+audit_write,+setfcap \
  -- env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  LC_ALL=C.UTF-8 "$@"
