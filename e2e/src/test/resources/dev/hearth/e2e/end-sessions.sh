# Run in the hostile guest by HostileGuestE2eTest with two session folders as $0 and $1: kills
# each session, then removes each folder once its wrapper has written the killed command's exit
# file (removed any sooner, the wrapper's last write races the rm: "Directory not empty").
for d in "$0" "$1"; do kill "$(cat "$d/pid")"; done
for d in "$0" "$1"; do
  i=0
  while [ ! -e "$d/exit" ]; do
    i=$((i + 1))
    if [ $i -gt 300 ]; then echo "no exit file in $d after 30 s" >&2; exit 1; fi
    sleep 0.1
  done
  rm -rf "$d"
done
