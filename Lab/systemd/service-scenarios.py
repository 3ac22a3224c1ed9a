"""Writes the systemd capture scenarios of the static service-definition checks under WORK/scen, in
the layout scenarios.py uses (run each with run-scenario.sh, which boots a private systemd as PID 1
of a PID + mount namespace with a fresh tmpfs /run: every boot is "after a reboot").
Usage: python3 service-scenarios.py WORK

  systemd-runtime-directory          socket /run/myapp/gunicorn.sock, RuntimeDirectory=myapp: healthy
  systemd-runtime-directory-missing  the same socket without RuntimeDirectory=: gunicorn cannot bind
  systemd-environment-file-missing   EnvironmentFile=/srv/app/env.production (absent, no '-'), no Restart=
  systemd-user-unknown               User=gwdoctor-nosuchuser
"""
import os, shutil, sys

BASE = os.path.join(sys.argv[1], "scen")
SOCKET = "/run/myapp/gunicorn.sock"


def nginx(upstream):
    return f"""user www-data;
worker_processes 1;
pid /srv/nginx/nginx.pid;
error_log /srv/nginx/logs/error.log warn;

events {{
    worker_connections 64;
}}

http {{
    default_type application/octet-stream;
    access_log /srv/nginx/logs/access.log;
    client_body_temp_path /srv/nginx/tmp/client_body;
    proxy_temp_path /srv/nginx/tmp/proxy;
    fastcgi_temp_path /srv/nginx/tmp/fastcgi;
    uwsgi_temp_path /srv/nginx/tmp/uwsgi;
    scgi_temp_path /srv/nginx/tmp/scgi;

    server {{
        listen 127.0.0.1:8180;
        server_name app.example;

        location / {{
            proxy_pass {upstream};
            proxy_set_header Host $host;
        }}
    }}
}}
"""


NGINX_UNIT = """[Unit]
Description=nginx in front of myapp
DefaultDependencies=no

[Service]
Type=simple
ExecStart=/usr/sbin/nginx -c /srv/nginx/nginx.conf -g 'daemon off;'
Restart=on-failure
"""
TARGET = """[Unit]
Description=gwdoctor recording target
DefaultDependencies=no
Wants=systemd-journald.service nginx.service myapp.service
"""
CURL = "curl -s -o /dev/null -w '%{http_code}\\n' -H 'Host: app.example' http://127.0.0.1:8180/health/"
ENV = "DJANGO_SECRET_KEY=recorded-not-a-real-secret-0123456789\nDJANGO_SETTINGS_MODULE=labsite.settings\n"


def unit(description, service_lines):
    return f"""[Unit]
Description={description}
DefaultDependencies=no

[Service]
{service_lines}
"""


UNIX_EXEC = f"/srv/app/venv/bin/gunicorn --workers 2 --bind unix:{SOCKET} labsite.wsgi:application"
TCP_EXEC = "/srv/app/venv/bin/gunicorn --workers 2 --bind 127.0.0.1:8101 labsite.wsgi:application"

scenarios = {
    "systemd-runtime-directory": dict(
        unit=unit("myapp (gunicorn on a unix socket in its RuntimeDirectory)", f"""WorkingDirectory=/srv/app/src
EnvironmentFile=/srv/app/env
Environment=LAB_DATA_DIR=/srv/app/data
RuntimeDirectory=myapp
ExecStart={UNIX_EXEC}
Restart=on-failure"""),
        upstream=f"http://unix:{SOCKET}", env=ENV, wait=5),
    "systemd-runtime-directory-missing": dict(
        unit=unit("myapp (gunicorn on a unix socket in /run/myapp, which nothing creates)", f"""WorkingDirectory=/srv/app/src
EnvironmentFile=/srv/app/env
Environment=LAB_DATA_DIR=/srv/app/data
ExecStart={UNIX_EXEC}
Restart=on-failure
RestartSec=1"""),
        upstream=f"http://unix:{SOCKET}", env=ENV, wait=6),
    "systemd-environment-file-missing": dict(
        unit=unit("myapp (its required EnvironmentFile is missing)", f"""WorkingDirectory=/srv/app/src
EnvironmentFile=-/srv/app/env.local
EnvironmentFile=/srv/app/env.production
Environment=LAB_DATA_DIR=/srv/app/data
ExecStart={TCP_EXEC}"""),
        upstream="http://127.0.0.1:8101", wait=4),
    "systemd-user-unknown": dict(
        unit=unit("myapp (User= names an account that does not exist)", f"""WorkingDirectory=/srv/app/src
EnvironmentFile=/srv/app/env
Environment=LAB_DATA_DIR=/srv/app/data
User=gwdoctor-nosuchuser
ExecStart={TCP_EXEC}
Restart=on-failure
RestartSec=1"""),
        upstream="http://127.0.0.1:8101", env=ENV, wait=4),
}
for name, spec in scenarios.items():
    d = os.path.join(BASE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d + "/etc")
    os.makedirs(d + "/srv/nginx/logs"); os.makedirs(d + "/srv/nginx/tmp")
    os.makedirs(d + "/srv/app/data")
    open(d + "/etc/myapp.service", "w").write(spec["unit"])
    open(d + "/etc/nginx.service", "w").write(NGINX_UNIT)
    open(d + "/etc/gw.target", "w").write(TARGET)
    open(d + "/srv/nginx/nginx.conf", "w").write(nginx(spec["upstream"]))
    if "env" in spec:
        open(d + "/srv/app/env", "w").write(spec["env"])
    open(d + "/actions.sh", "w").write(CURL + "\n")
    open(d + "/wait", "w").write(str(spec["wait"]))
print("ok")
