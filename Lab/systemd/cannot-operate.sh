#!/bin/bash
# The healthy scenario's unit files on a host where systemd is not PID 1 (a container, this lab's
# host): gunicorn and nginx started by hand in a private mount namespace, captured, killed by pid.
# Usage (root): unshare --mount Lab/systemd/cannot-operate.sh WORK GWDOCTOR
set -u
WORK="$1"; GW="$2"
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
SCEN="$WORK/scen/systemd-cannot-operate"; OUT="$WORK/snaps/systemd-cannot-operate"
rm -rf "$OUT"; mkdir -p "$WORK/snaps"
mount -t tmpfs tmpfs /srv
mount -t tmpfs tmpfs /etc/systemd/system
cp -r "$SCEN"/etc/myapp.service "$SCEN"/etc/myapp.service.d /etc/systemd/system/
cp -r "$SCEN"/srv/. /srv/
mkdir -p /srv/app/src /srv/app/venv
mount --bind "$REPO/Lab/labsite" /srv/app/src
mount --bind "$REPO/.lab-venv" /srv/app/venv
chmod 777 /srv/app/data
cd /srv/app/src
env DJANGO_SECRET_KEY=recorded-not-a-real-secret-0123456789 LAB_DATA_DIR=/srv/app/data \
  /srv/app/venv/bin/gunicorn --workers 2 --bind 127.0.0.1:8101 --pid /srv/app/gunicorn.pid --daemon labsite.wsgi:application
/usr/sbin/nginx -c /srv/nginx/nginx.conf
sleep 4
curl -s -o /dev/null -w '%{http_code}\n' -H 'Host: app.example' http://127.0.0.1:8180/health/
"$GW" snapshot "$OUT" --nginx-conf /srv/nginx/nginx.conf --since 5m
"$GW" diagnose --root "$OUT"
kill "$(cat /srv/nginx/nginx.pid)" "$(cat /srv/app/gunicorn.pid)"
sleep 2
