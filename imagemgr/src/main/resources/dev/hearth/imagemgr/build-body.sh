SUITE=@SUITE@
MIRROR=@MIRROR@
INCLUDE=@INCLUDE@
SIZE=@SIZE@
DISTRO_KERNEL=@DISTRO_KERNEL@
INITRD_MODULES=@INITRD_MODULES@
ROOTFS="$OUT"/@ROOTFS_FILE@
INITRD="$OUT"/@INITRD_FILE@
VMLINUZ="$WORK"/@VMLINUZ_FILE@
CACHED_TREE="$CACHE/tree.tar"
PARTIAL_TREE="$CACHE/tree.tar.$$"
# Mount points inside the tree, newest first: set before each mount, so cleanup never misses one.
MOUNTED=''
# Runs the --run script in its own namespaces with the tree as its root (see the script).
SANDBOX="$WORK"/@SANDBOX_FILE@
RUN_NETWORK=${HEARTH_BUILD_RUN_NETWORK:-none}

export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umask 022

stage() {
  printf 'hearth-stage: %s\n' "$1"
}

# hearth's stages and the packages' tools run in a network namespace of their own (loopback only):
# only debootstrap, a host tool, reaches the mirror.
in_chroot() {
  unshare --net -- chroot "$TREE" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

# The build runs in mount and PID namespaces of its own (ImageBuilder starts it through unshare):
# /proc is the build's own PID namespace's, and /dev a private one (run-sandbox.sh make-dev), never
# the host's devices; no /sys. Everything mounted here goes with the namespace.
mount_in() {
  MOUNTED="$1 $MOUNTED"
  case $1 in
    proc) mount -t proc proc "$TREE/proc" ;;
    dev) sh "$SANDBOX" make-dev "$TREE/dev" ;;
  esac
}

# Processes whose root is the tree (a daemon a package or --run started) would keep mounts busy.
kill_chroot_processes() {
  [ -n "${TREE:-}" ] || return 0
  for proc in /proc/[0-9]*; do
    root=$(readlink "$proc/root" 2>/dev/null) || continue
    case $root in
      "$TREE" | "$TREE"/*) kill -KILL "${proc#/proc/}" 2>/dev/null || true ;;
    esac
  done
}

unmount_all() {
  for point in $MOUNTED; do
    if mountpoint -q "$TREE/$point"; then
      umount -l "$TREE/$point" || return 1
    fi
  done
  MOUNTED=''
}

cleanup() {
  status=$?
  trap - EXIT INT TERM HUP
  kill_chroot_processes
  unmount_all || status=1
  rm -f "$PARTIAL_TREE"
  if [ "$status" -ne 0 ]; then
    printf 'hearth: image build failed (exit %s)\n' "$status" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

stage debootstrap
mkdir -p "$WORK/tree"
# The tree's physical path, as /proc/<pid>/root shows it (the dot keeps a trailing newline).
TREE=$(cd -P -- "$WORK/tree" && pwd -P && echo .)
TREE=${TREE%?.}
if [ -f "$CACHED_TREE" ]; then
  printf 'hearth: using the cached base tree %s\n' "$CACHED_TREE"
  tar -x -p --numeric-owner --xattrs --xattrs-include='*' -f "$CACHED_TREE" -C "$TREE"
else
  debootstrap --variant=minbase --arch=amd64 --components=main --include="$INCLUDE" \
    "$SUITE" "$TREE" "$MIRROR"
  mkdir -p "$CACHE"
  tar -c --numeric-owner --xattrs --xattrs-include='*' -f "$PARTIAL_TREE" -C "$TREE" .
  mv -f "$PARTIAL_TREE" "$CACHED_TREE"
fi

stage configure
mount_in proc
mount_in dev
# Packages must not start services in the build host's namespace.
printf '#!/bin/sh\nexit 101\n' > "$TREE/usr/sbin/policy-rc.d"
chmod 0755 "$TREE/usr/sbin/policy-rc.d"
rm -f "$TREE/etc/resolv.conf"
cp -L /etc/resolv.conf "$TREE/etc/resolv.conf"
printf 'hearth\n' > "$TREE/etc/hostname"
cat > "$TREE/etc/hosts" <<'HEARTH_EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
HEARTH_EOF
cat > "$TREE/etc/fstab" <<'HEARTH_EOF'
/dev/vda	/	ext4	rw,noatime,errors=remount-ro	0	1
HEARTH_EOF

# sshd: keys only, root by key only, one host key: the VM's own, which hearth writes before the
# first boot. The keys openssh-server made in the (cached) tree would be shared by every VM.
mkdir -p "$TREE/etc/ssh/sshd_config.d"
cat > "$TREE/etc/ssh/sshd_config.d/hearth.conf" <<'HEARTH_EOF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
UseDNS no
HostKey /etc/ssh/ssh_host_ed25519_key
HEARTH_EOF
in_chroot passwd --lock root
install -d -m 0700 "$TREE/root/.ssh"
if [ -n "$AUTHORIZED_KEY" ]; then
  printf '%s\n' "$AUTHORIZED_KEY" > "$TREE/root/.ssh/authorized_keys"
  chmod 0600 "$TREE/root/.ssh/authorized_keys"
fi
install -d -m 0755 "$TREE/workspace" "$TREE/etc/hearth"

# Debian's kernel has CONFIG_IP_PNP off and ignores ip=: configure eth0 from userspace.
cat > "$TREE/usr/local/sbin/hearth-network" <<'HEARTH_EOF'
#!/bin/sh
# hearth: configure the guest network from ip= on the kernel command line (ip=<address>::
# <gateway>:<netmask>:<hostname>:<device>:off[:<dns>]), each missing value taken from
# /etc/hearth/network.env (HEARTH_IP, HEARTH_PREFIX, HEARTH_GATEWAY, HEARTH_DNS, HEARTH_HOSTNAME).
set -u
set -f
iface=eth0
address=''
prefix=''
gateway=''
dns=''
name=''

# Sets prefix from a dotted netmask (no command substitution: every fork counts at boot).
mask_to_prefix() {
  prefix=0
  old_ifs=$IFS
  IFS=.
  set -- $1
  IFS=$old_ifs
  for octet in "$@"; do
    case $octet in
      255) prefix=$((prefix + 8)) ;;
      254) prefix=$((prefix + 7)) ;;
      252) prefix=$((prefix + 6)) ;;
      248) prefix=$((prefix + 5)) ;;
      240) prefix=$((prefix + 4)) ;;
      224) prefix=$((prefix + 3)) ;;
      192) prefix=$((prefix + 2)) ;;
      128) prefix=$((prefix + 1)) ;;
    esac
  done
}

if [ -r /etc/hearth/network.env ]; then
  while IFS='=' read -r key value; do
    case $key in
      HEARTH_IP) address=$value ;;
      HEARTH_PREFIX) prefix=$value ;;
      HEARTH_GATEWAY) gateway=$value ;;
      HEARTH_DNS) dns=$value ;;
      HEARTH_HOSTNAME) name=$value ;;
    esac
  done < /etc/hearth/network.env
fi

spec=''
read -r cmdline < /proc/cmdline
for word in $cmdline; do
  case $word in
    ip=*) spec=${word#ip=} ;;
  esac
done
case $spec in
  *.*.*.*:*)
    old_ifs=$IFS
    IFS=:
    set -- $spec
    IFS=$old_ifs
    [ -n "${1:-}" ] && address=$1
    [ -n "${3:-}" ] && gateway=$3
    [ -n "${4:-}" ] && mask_to_prefix "$4"
    [ -n "${5:-}" ] && name=$5
    [ -n "${6:-}" ] && iface=$6
    [ -n "${8:-}" ] && dns=$8
    ;;
esac

if [ -n "$name" ]; then
  echo "$name" > /proc/sys/kernel/hostname
  echo "$name" > /etc/hostname
fi
if [ -z "$address" ]; then
  echo "hearth-network: no ip= on the kernel command line and no /etc/hearth/network.env" >&2
  exit 0
fi
# hearth's initrd loads virtio_net; with another initrd it may appear a moment after this starts.
tries=0
while [ ! -e "/sys/class/net/$iface" ] && [ "$tries" -lt 100 ]; do
  sleep 0.05
  tries=$((tries + 1))
done
# The address goes on before the link comes up, which then announces it (gratuitous ARP): the
# host, already asking for this address while it waits for SSH, learns it at once.
echo 1 > "/proc/sys/net/ipv4/conf/$iface/arp_notify"
route=''
if [ -n "$gateway" ]; then
  route="route replace default via $gateway dev $iface"
fi
# One ip process for all of it.
ip -batch - <<IP_EOF
link set lo up
addr replace $address/${prefix:-24} dev $iface
link set $iface up
$route
IP_EOF
if [ -n "$dns" ]; then
  # The identity stage's search list (the VMs' domain, so that bare VM names resolve) stays.
  search=''
  if [ -r /etc/resolv.conf ]; then
    while read -r key rest; do
      [ "$key" = search ] && search=$rest
    done < /etc/resolv.conf
  fi
  {
    printf 'nameserver %s\n' "$dns"
    if [ -n "$search" ]; then printf 'search %s\n' "$search"; fi
  } > /etc/resolv.conf
fi
HEARTH_EOF
chmod 0755 "$TREE/usr/local/sbin/hearth-network"
cat > "$TREE/etc/systemd/system/hearth-network.service" <<'HEARTH_EOF'
[Unit]
Description=hearth guest network (ip= or /etc/hearth/network.env)
DefaultDependencies=no
After=local-fs.target
Before=sysinit.target network.target ssh.socket ssh.service
Wants=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/hearth-network

[Install]
WantedBy=sysinit.target
HEARTH_EOF
# A guest booted without hearth's identity stage makes its own key rather than having no sshd.
cat > "$TREE/etc/systemd/system/hearth-ssh-host-key.service" <<'HEARTH_EOF'
[Unit]
Description=SSH host key for a guest that hearth gave none
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key

[Install]
WantedBy=ssh.service
HEARTH_EOF
# sshd -t before each start: the build checks the configuration once instead (stage slim).
mkdir -p "$TREE/etc/systemd/system/ssh.service.d"
cat > "$TREE/etc/systemd/system/ssh.service.d/hearth.conf" <<'HEARTH_EOF'
[Service]
ExecStartPre=
HEARTH_EOF
in_chroot systemctl enable hearth-network.service hearth-ssh-host-key.service
# sshd started on the first connection rather than at boot: SSH answers sooner.
in_chroot systemctl disable ssh.service
in_chroot systemctl enable ssh.socket
in_chroot systemctl enable serial-getty@ttyS0.service
# Units a short-lived microVM does not need. Under emulation every process started at boot costs:
# e2scrub_reap (LVM snapshots of e2scrub; about 15 s of CPU there) and getty-static (gettys on
# tty2-6, which a microVM without a display never shows) included.
in_chroot systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-tmpfiles-clean.timer \
  getty@tty1.service getty-static.service systemd-pstore.service systemd-binfmt.service \
  proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount

if [ "$DISTRO_KERNEL" = yes ]; then
  stage kernel
  set -- "$TREE"/boot/vmlinuz-*
  if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
    echo "hearth: expected one kernel in the tree's /boot, found: $*" >&2
    exit 1
  fi
  cp -- "$1" "$VMLINUZ"
  KVER=${1##*/vmlinuz-}
  # Debian's kernel has virtio and ext4 as modules. Its own initramfs (udev, hooks, scripts) takes
  # seconds under emulation: hearth's initrd is a static busybox, those modules and a short /init.
  IRD="$TREE/tmp/hearth-initrd"
  rm -rf "$IRD"
  mkdir -p "$IRD/bin" "$IRD/dev" "$IRD/proc" "$IRD/root" "$IRD/lib/modules"
  cp -- "$TREE/bin/busybox" "$IRD/bin/busybox"
  for applet in sh cat echo insmod mount umount sleep switch_root; do
    ln -s busybox "$IRD/bin/$applet"
  done
  # Dependencies first, each module once, in the order insmod needs them.
  in_chroot modprobe -S "$KVER" -a --show-depends $INITRD_MODULES > "$WORK/initrd-modules"
  : > "$IRD/lib/modules/order"
  while read -r verb path _; do
    [ "$verb" = insmod ] || continue
    module=${path#/lib/modules/"$KVER"/}
    if ! grep -qxF -- "$module" "$IRD/lib/modules/order"; then
      mkdir -p "$IRD/lib/modules/${module%/*}"
      cp -- "$TREE$path" "$IRD/lib/modules/$module"
      printf '%s\n' "$module" >> "$IRD/lib/modules/order"
    fi
  done < "$WORK/initrd-modules"
  cat > "$IRD/init" <<'HEARTH_EOF'
#!/bin/sh
# hearth initrd: load the modules for the root disk and the network, mount the root as the
# kernel command line says (root=, rootfstype=, rootflags=, ro/rw, init=), hand over to its init.
fail() {
  echo "hearth initrd: $*" >&2
  [ -s /insmod.log ] && cat /insmod.log >&2
  # Ending init panics the kernel; with panic=1 and reboot=k the VM ends, and the console says why.
  exit 1
}
mount -t proc proc /proc || fail "cannot mount /proc"
mount -t devtmpfs devtmpfs /dev || fail "cannot mount /dev"
# A module for hardware that is not there (crc32c-intel on a CPU without SSE4.2) may fail.
while read -r module; do
  insmod "/lib/modules/$module" 2>> /insmod.log
done < /lib/modules/order
root=/dev/vda
fstype=ext4
flags=''
mode=rw
init=/sbin/init
for word in $(cat /proc/cmdline); do
  case $word in
    root=*) root=${word#root=} ;;
    rootfstype=*) fstype=${word#rootfstype=} ;;
    rootflags=*) flags=,${word#rootflags=} ;;
    ro | rw) mode=$word ;;
    init=*) init=${word#init=} ;;
  esac
done
tries=0
while [ ! -b "$root" ]; do
  [ "$tries" -lt 500 ] || fail "no root device $root after 5 s"
  sleep 0.01
  tries=$((tries + 1))
done
mount -t "$fstype" -o "$mode$flags" "$root" /root || fail "cannot mount $root ($fstype, $mode$flags)"
[ -x "/root$init" ] || [ -L "/root$init" ] || fail "no $init on $root"
mount --move /dev /root/dev || umount /dev
umount /proc
exec switch_root /root "$init" "$@"
HEARTH_EOF
  chmod 0755 "$IRD/init"
  in_chroot /bin/sh -c 'cd /tmp/hearth-initrd && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0' \
    > "$INITRD"
  rm -rf "$IRD"
fi

if [ -n "$RUN_FILE" ]; then
  stage run
  cp -- "$RUN_FILE" "$TREE/root/hearth-run"
  chmod 0700 "$TREE/root/hearth-run"
  sh "$SANDBOX" "$TREE" "$RUN_NETWORK" /bin/sh /root/hearth-run
  rm -f "$TREE/root/hearth-run"
fi

stage slim
# What ssh.service's sshd -t checked at every boot, checked once here, --run's changes included,
# with a throwaway host key; then no host key stays in the image (see the sshd configuration).
rm -f "$TREE"/etc/ssh/ssh_host_*
in_chroot ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
mkdir -p "$TREE/run/sshd"
in_chroot /usr/sbin/sshd -t
rm -rf "$TREE/run/sshd"
rm -f "$TREE"/etc/ssh/ssh_host_*
in_chroot apt-get clean
rm -f "$TREE/usr/sbin/policy-rc.d"
kill_chroot_processes
unmount_all
rm -rf "$TREE"/var/lib/apt/lists/* "$TREE"/var/cache/apt/*.bin "$TREE"/tmp/* "$TREE"/var/tmp/*
# Empty: each VM's systemd makes its own machine id at first boot.
: > "$TREE/etc/machine-id"

stage mkfs
rm -f "$ROOTFS"
truncate -s "$SIZE" "$ROOTFS"
mkfs.ext4 -q -F -L hearth-root -d "$TREE" "$ROOTFS"

stage cleanup
rm -rf --one-file-system "$TREE"
stage done
