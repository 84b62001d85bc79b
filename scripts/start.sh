#!/usr/bin/env bash
# Builds hearth, installs it under /opt/hearth (with /usr/local/bin/hearth) and starts the daemon
# with the embedded defaults: state in /var/lib/hearth (SQLite), socket /run/hearth/hearth.sock,
# no config file needed. Under systemd it installs and starts hearth.service; elsewhere it starts
# the daemon in the background with its log in /var/log/hearth/daemon.log.
set -euo pipefail
cd "$(dirname "$0")/.."

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
  nohup /opt/hearth/bin/hearth daemon >>/var/log/hearth/daemon.log 2>&1 </dev/null &
fi

for _ in $(seq 1 100); do
  if hearth version >/dev/null 2>&1; then break; fi
  sleep 0.2
done
hearth version
echo "hearth is running. Try: hearth doctor"
