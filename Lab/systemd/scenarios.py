"""Writes one directory per systemd capture scenario under WORK/scen: the units for
/etc/systemd/system (myapp.service, nginx.service, gw.target), what goes under /srv (nginx.conf,
the env file, the stuck app), the actions run once it is up, and how long to wait first.
Usage: python3 scenarios.py WORK"""
import os, shutil, sys
HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(sys.argv[1], "scen")
NGINX = """user www-data;
worker_processes 1;
pid /srv/nginx/nginx.pid;
error_log /srv/nginx/logs/error.log warn;

events {
    worker_connections 64;
}

http {
    default_type application/octet-stream;
    access_log /srv/nginx/logs/access.log;
    client_body_temp_path /srv/nginx/tmp/client_body;
    proxy_temp_path /srv/nginx/tmp/proxy;
    fastcgi_temp_path /srv/nginx/tmp/fastcgi;
    uwsgi_temp_path /srv/nginx/tmp/uwsgi;
    scgi_temp_path /srv/nginx/tmp/scgi;

    server {
        listen 127.0.0.1:8180;
        server_name app.example;

        location / {
            proxy_pass http://127.0.0.1:8101;
            proxy_set_header Host $host;
        }
    }
}
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
STUCK = open(os.path.join(HERE, "stuckapp.py")).read()
DJANGO_EXEC = "/srv/app/venv/bin/gunicorn --workers 2 --bind 127.0.0.1:8101 labsite.wsgi:application"

def unit(description, service_lines, unit_lines=""):
    return f"""[Unit]
Description={description}
DefaultDependencies=no
{unit_lines}
[Service]
{service_lines}
"""

scenarios = {
    "systemd-healthy": dict(
        unit=unit("myapp (Django under gunicorn)", f"""WorkingDirectory=/srv/app/src
EnvironmentFile=/srv/app/env
ExecStart={DJANGO_EXEC}
Restart=on-failure"""),
        dropin="[Service]\nEnvironment=LAB_DATA_DIR=/srv/app/data\n",
        env="DJANGO_SECRET_KEY=recorded-not-a-real-secret-0123456789\n",
        actions="curl -s -o /dev/null -w '%{http_code}\\n' -H 'Host: app.example' http://127.0.0.1:8180/health/",
        wait=5),
    "systemd-restart-limit": dict(
        unit=unit("myapp (Django under gunicorn)", f"""WorkingDirectory=/srv/app/src
Environment=LAB_DATA_DIR=/srv/app/data
ExecStart={DJANGO_EXEC}
Restart=on-failure
RestartSec=1""", "StartLimitIntervalSec=60\nStartLimitBurst=4\n"),
        actions="curl -s -o /dev/null -w '%{http_code}\\n' -H 'Host: app.example' http://127.0.0.1:8180/",
        wait=12),
    "systemd-auto-restart": dict(
        unit=unit("myapp (Django under gunicorn)", f"""WorkingDirectory=/srv/app/src
Environment=LAB_DATA_DIR=/srv/app/data
ExecStart={DJANGO_EXEC}
Restart=always
RestartSec=4""", "StartLimitIntervalSec=0\n"),
        actions="curl -s -o /dev/null -w '%{http_code}\\n' -H 'Host: app.example' http://127.0.0.1:8180/",
        wait=9),
    "systemd-start-limit-hit": dict(
        unit=unit("myapp (gunicorn --daemon under Type=simple)", f"""WorkingDirectory=/srv/app/src
Environment=DJANGO_SECRET_KEY=recorded-not-a-real-secret-0123456789 LAB_DATA_DIR=/srv/app/data
ExecStart=/srv/app/venv/bin/gunicorn --daemon --workers 2 --bind 127.0.0.1:8101 labsite.wsgi:application
Restart=always
RestartSec=200ms"""),
        actions="curl -s -o /dev/null -w '%{http_code}\\n' -H 'Host: app.example' http://127.0.0.1:8180/",
        wait=8),
    "systemd-oom-kill": dict(
        unit=unit("myapp (gunicorn, 150M memory limit)", """WorkingDirectory=/srv/app/stuck
ExecStart=/srv/app/venv/bin/gunicorn --workers 2 --timeout 30 --bind 127.0.0.1:8101 stuckapp:application
Restart=on-failure
MemoryLimit=150M"""),
        actions="curl -s -o /dev/null -w '%{http_code}\\n' -H 'Host: app.example' http://127.0.0.1:8180/eat; sleep 2",
        wait=5),
    "systemd-cannot-operate": dict(  # the healthy units on a host where systemd is not PID 1 (cannot-operate.sh)
        unit=unit("myapp (Django under gunicorn)", f"""WorkingDirectory=/srv/app/src
EnvironmentFile=/srv/app/env
ExecStart={DJANGO_EXEC}
Restart=on-failure"""),
        dropin="[Service]\nEnvironment=LAB_DATA_DIR=/srv/app/data\n",
        env="DJANGO_SECRET_KEY=recorded-not-a-real-secret-0123456789\n",
        actions="true",
        wait=0),
    "systemd-worker-timeout": dict(
        unit=unit("myapp (gunicorn, 2 s timeout)", """WorkingDirectory=/srv/app/stuck
ExecStart=/srv/app/venv/bin/gunicorn --workers 2 --timeout 2 --bind 127.0.0.1:8101 stuckapp:application
Restart=on-failure"""),
        actions="curl -s -o /dev/null -w '%{http_code}\\n' -m 20 -H 'Host: app.example' http://127.0.0.1:8180/stuck; sleep 2",
        wait=5),
}
for name, spec in scenarios.items():
    d = os.path.join(BASE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d + "/etc/myapp.service.d")
    os.makedirs(d + "/srv/nginx/logs"); os.makedirs(d + "/srv/nginx/tmp")
    os.makedirs(d + "/srv/app/stuck"); os.makedirs(d + "/srv/app/data")
    open(d + "/etc/myapp.service", "w").write(spec["unit"])
    if "dropin" in spec:
        open(d + "/etc/myapp.service.d/override.conf", "w").write(spec["dropin"])
    else:
        os.rmdir(d + "/etc/myapp.service.d")
    open(d + "/etc/nginx.service", "w").write(NGINX_UNIT)
    open(d + "/etc/gw.target", "w").write(TARGET)
    open(d + "/srv/nginx/nginx.conf", "w").write(NGINX)
    open(d + "/srv/app/stuck/stuckapp.py", "w").write(STUCK)
    if "env" in spec:
        open(d + "/srv/app/env", "w").write(spec["env"])
    open(d + "/actions.sh", "w").write(spec["actions"] + "\n")
    open(d + "/wait", "w").write(str(spec["wait"]))
print("ok")
