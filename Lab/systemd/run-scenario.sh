#!/bin/bash
# Boots one scenario under systemd as PID 1 of a private PID + mount namespace (the host's systemd
# is not PID 1), runs its actions, captures it with `gwdoctor snapshot` from inside, kills it.
# Usage (root): Lab/systemd/run-scenario.sh NAME WORK GWDOCTOR   (WORK from scenarios.py; snapshot in WORK/snaps/NAME)
set -u
NAME="$1"; WORK="$2"; GW="$3"
REPO="$(cd "$(dirname "$0")/../.." && pwd)"; HERE="$REPO/Lab/systemd"
SCEN="$WORK/scen/$NAME"; OUT="$WORK/snaps/$NAME"
rm -rf "$OUT"; mkdir -p "$WORK/snaps"
setsid unshare --pid --fork --mount-proc --mount "$HERE/boot-scenario.sh" "$SCEN" "$REPO" > "$WORK/$NAME.boot.log" 2>&1 < /dev/null &
UNSHARE=$!
sleep 2
S=$(pgrep -P $UNSHARE -x systemd)
[ -n "$S" ] || { echo "systemd did not start, see $WORK/$NAME.boot.log"; exit 1; }
sleep "$(cat "$SCEN/wait")"
nsenter -t "$S" -m -p bash "$SCEN/actions.sh"
nsenter -t "$S" -m -p systemctl list-units --no-pager 'myapp*' 'nginx*'
nsenter -t "$S" -m -p "$GW" snapshot "$OUT" --nginx-conf /srv/nginx/nginx.conf --since 5m
nsenter -t "$S" -m -p "$GW" diagnose --root "$OUT"
# Killing PID 1 of the namespace kills every process in it.
kill -9 "$S"
sleep 1
