#!/bin/sh
# Captures the compose fixture snapshots (issue 7) from the projects make_fixtures.py writes.
# Usage: Lab/compose/capture_fixtures.sh GWDOCTOR_BINARY OUT_DIR
# No Docker engine runs on the build machine: each capture records the real `docker ps` failure
# ("Cannot connect to the Docker daemon"). See Tests/DoctorChecksTests/Fixtures/README.md for the
# edits made after capture (machine-specific tables and listings removed; recorded engine
# outputs put into compose-container-down).
set -eu
gwdoctor=$1
out=$2
here=$(dirname "$0")
python3 "$here/make_fixtures.py"
for name in healthy app-loopback renamed-service socket-mount socket-shared healthcheck-failing container-down; do
    root=/tmp/gwdoctor-compose-$name
    rm -rf "$out/compose-$name"
    # The stack's nginx runs in a container: there is no host nginx config.
    "$gwdoctor" snapshot "$out/compose-$name" --no-probe --nginx-conf "$root/no-host-nginx.conf" \
        --compose-file "$root/compose.yaml"
done
# A host nginx in front of a published port: the compose file is found next to its config.
# The host nginx really runs (on 127.0.0.1:18080, as root: this script's own process, stopped by
# its pid file); the compose stack behind it cannot (no engine).
for name in port-mismatch port-match port-env port-default socket-host socket-host-env socket-host-ok; do
    root=/tmp/gwdoctor-compose-$name
    rm -rf "$out/compose-$name"
    nginx -c "$root/nginx/nginx.conf"
    sleep 0.5
    "$gwdoctor" snapshot "$out/compose-$name" --no-probe --nginx-conf "$root/nginx/nginx.conf" || true
    pid=$(cat "$root/nginx.pid")
    kill "$pid"
    # The next capture binds the same port: wait until this master is gone.
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
done
python3 "$here/trim_fixtures.py" "$out"
