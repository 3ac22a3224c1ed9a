#!/bin/sh
# Runs inside a new PID + mount namespace (see run-scenario.sh) and becomes systemd, PID 1 there.
# Private /run, /srv and /etc/systemd/system: the host's are untouched. Every unit of the scenario
# has DefaultDependencies=no and the target is started alone, so sysinit.target never runs:
# systemd-tmpfiles-setup would empty the SHARED /tmp (it did on a first try), systemd-sysctl and
# systemd-sysusers would change the host.
# Usage: boot-scenario.sh SCENARIO_DIR REPO
set -e
SCEN="$1"; REPO="$2"
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /srv
mount -t tmpfs tmpfs /etc/systemd/system
mkdir -p /run/systemd/system
cp -r "$SCEN"/etc/. /etc/systemd/system/
cp -r "$SCEN"/srv/. /srv/
mkdir -p /srv/app/src /srv/app/venv
mount --bind "$REPO/Lab/labsite" /srv/app/src
mount --bind "$REPO/.lab-venv" /srv/app/venv
chmod 777 /srv/app/data
export container=docker
exec /lib/systemd/systemd --system --unit=gw.target --log-target=journal --log-level=info
