#!/usr/bin/env python3
"""Writes the compose fixture projects (issue 7) under /tmp/gwdoctor-compose-NAME/.

No Docker engine runs on the build machine and the compose plugin is not installed, so these
are hand-assembled project trees shaped like real ones (a Django app with Postgres and an nginx
container, or a host nginx in front of a published port). Each compose file is checked here with
a real YAML parse (PyYAML) before it is written; `gwdoctor snapshot --compose-file ...` then
records them (see Tests/DoctorChecksTests/Fixtures/README.md, "Docker Compose").
"""
import os
import sys
import textwrap

import yaml

DOCKERFILE = """\
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN python manage.py collectstatic --noinput
"""

ENV_FILE = """\
DJANGO_SETTINGS_MODULE=shop.settings.production
DJANGO_SECRET_KEY=fixture-not-a-real-key
DATABASE_URL=postgres://shop:fixture-password@db:5432/shop
"""

NGINX_UPSTREAM = """\
upstream django {
    server {target};
}

server {
    listen 80;
    server_name shop.example.com;
    client_max_body_size 20m;

    location /static/ {
        alias /srv/static/;
    }

    location / {
        proxy_pass http://django;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
}
"""

NGINX_SOCKET = """\
server {
    listen 80;
    server_name shop.example.com;

    location / {
        proxy_pass http://unix:/run/gunicorn/gunicorn.sock;
        proxy_set_header Host $host;
    }
}
"""

HOST_NGINX = """\
pid {root}/nginx.pid;
error_log {root}/logs/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {root}/logs/access.log;
    server {{
        listen 127.0.0.1:18080;
        server_name shop.example.com;
        location / {{
            proxy_pass {target};
            proxy_set_header Host $host;
        }}
    }}
}}
"""


def compose(web_name="web", web_command=None, web_image=None, web_extra=None, nginx_volumes=None,
            web_volumes=None, nginx=True, web_ports=None, healthcheck=None, volumes=("pgdata", "static")):
    web_command = web_command or "gunicorn shop.wsgi:application --bind 0.0.0.0:8000 --workers 3 --timeout 60"
    lines = [
        "name: shop",
        "",
        "x-django: &django",
        "  restart: unless-stopped",
        "  env_file: .env",
        "  environment:",
        "    - DJANGO_SETTINGS_MODULE=shop.settings.production",
        "    - POSTGRES_HOST=db",
        "",
        "services:",
        "  db:",
        "    image: postgres:16",
        "    restart: unless-stopped",
        "    environment:",
        "      POSTGRES_DB: shop",
        "      POSTGRES_USER: shop",
        "      POSTGRES_PASSWORD: fixture-password",
        "    volumes:",
        "      - pgdata:/var/lib/postgresql/data",
        "    healthcheck:",
        "      test: [\"CMD-SHELL\", \"pg_isready -U shop -d shop\"]",
        "      interval: 5s",
        "      timeout: 3s",
        "      retries: 10",
        "",
        f"  {web_name}:",
        "    <<: *django",
    ]
    lines += [f"    image: {web_image}"] if web_image else ["    build: .", "    image: shop-web:latest"]
    lines += [f"    command: {web_command}"]
    if web_ports:
        lines += ["    ports:"] + [f"      - \"{p}\"" for p in web_ports]
    else:
        lines += ["    expose:", "      - \"8000\""]
    lines += ["    volumes:"] + [f"      - {v}" for v in (web_volumes or ["static:/app/staticfiles"])]
    lines += ["    depends_on:", "      db:", "        condition: service_healthy"]
    lines += healthcheck or [
        "    healthcheck:",
        "      test: [\"CMD\", \"python\", \"-c\", \"import urllib.request; urllib.request.urlopen('http://localhost:8000/health/')\"]",
        "      interval: 10s",
        "      timeout: 3s",
        "      retries: 3",
        "      start_period: 20s",
    ]
    lines += web_extra or []
    if nginx:
        lines += [
            "",
            "  nginx:",
            "    image: nginx:1.27-alpine",
            "    restart: unless-stopped",
            "    ports:",
            "      - \"80:80\"",
            "    volumes:",
        ] + [f"      - {v}" for v in (nginx_volumes or ["./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro",
                                                        "static:/srv/static:ro"])] + [
            "    depends_on:",
            f"      {web_name}:",
            "        condition: service_healthy",
        ]
    lines += ["", "volumes:"] + [f"  {v}:" for v in volumes]
    return "\n".join(lines) + "\n"


PROJECTS = {
    "healthy": dict(compose=compose(), nginx_conf=NGINX_UPSTREAM.replace("{target}", "web:8000")),
    "app-loopback": dict(
        compose=compose(web_command="gunicorn shop.wsgi:application --bind 127.0.0.1:8000 --workers 3"),
        nginx_conf=NGINX_UPSTREAM.replace("{target}", "web:8000")),
    "renamed-service": dict(compose=compose(web_name="app"), nginx_conf=NGINX_UPSTREAM.replace("{target}", "web:8000")),
    "port-mismatch": dict(
        compose=compose(nginx=False, web_ports=["127.0.0.1:8000:8000"]),
        host_nginx=True),
    "port-match": dict(
        compose=compose(nginx=False, web_ports=["127.0.0.1:8001:8000"]),
        host_nginx=True),
    # The published port through a variable (`${APP_PORT:-8000}`): set to the proxy's 8001 in .env
    # (matched), or left unset so Compose's default 8000 applies (the proxy's 8001 is not published).
    "port-env": dict(
        compose=compose(nginx=False, web_ports=["127.0.0.1:${APP_PORT:-8000}:8000"]),
        host_nginx=True, env_extra="APP_PORT=8001\n"),
    "port-default": dict(
        compose=compose(nginx=False, web_ports=["127.0.0.1:${APP_PORT:-8000}:8000"]),
        host_nginx=True),
    "socket-shared": dict(
        compose=compose(web_command="gunicorn shop.wsgi:application --bind unix:/run/gunicorn/gunicorn.sock --workers 3",
                        web_volumes=["static:/app/staticfiles", "sockets:/run/gunicorn"],
                        nginx_volumes=["./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro", "sockets:/run/gunicorn"],
                        healthcheck=["    healthcheck:", "      disable: true"],
                        volumes=("pgdata", "static", "sockets")),
        nginx_conf=NGINX_SOCKET),
    "socket-host": dict(
        compose=compose(nginx=False,
                        web_command="gunicorn shop.wsgi:application --bind unix:/run/gunicorn/gunicorn.sock --workers 3",
                        web_volumes=["static:/app/staticfiles", "./run:/run/gunicorn"],
                        healthcheck=["    healthcheck:", "      disable: true"]),
        host_nginx="http://unix:/run/gunicorn/gunicorn.sock"),
    "socket-host-ok": dict(
        compose=compose(nginx=False,
                        web_command="gunicorn shop.wsgi:application --bind unix:/run/gunicorn/gunicorn.sock --workers 3",
                        web_volumes=["static:/app/staticfiles", "./run:/run/gunicorn"],
                        healthcheck=["    healthcheck:", "      disable: true"]),
        host_nginx="http://unix:/tmp/gwdoctor-compose-socket-host-ok/run/gunicorn.sock"),
    # The socket directory through a variable: `${RUN_DIR:-./run}` with RUN_DIR=./sockets in .env.
    "socket-host-env": dict(
        compose=compose(nginx=False,
                        web_command="gunicorn shop.wsgi:application --bind unix:/run/gunicorn/gunicorn.sock --workers 3",
                        web_volumes=["static:/app/staticfiles", "${RUN_DIR:-./run}:/run/gunicorn"],
                        healthcheck=["    healthcheck:", "      disable: true"]),
        host_nginx="http://unix:/run/gunicorn/gunicorn.sock", env_extra="RUN_DIR=./sockets\n"),
    "socket-mount": dict(
        compose=compose(web_command="gunicorn shop.wsgi:application --bind unix:/run/gunicorn/gunicorn.sock --workers 3",
                        web_volumes=["static:/app/staticfiles", "sockets:/run/gunicorn"],
                        nginx_volumes=["./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro", "sockets:/var/run/app"],
                        healthcheck=["    healthcheck:", "      disable: true"],
                        volumes=("pgdata", "static", "sockets")),
        nginx_conf=NGINX_SOCKET),
    "healthcheck-failing": dict(
        compose=compose(web_image="python:3.12-slim",
                        web_command="sh -c \"python manage.py migrate --noinput && gunicorn shop.wsgi:application --bind 0.0.0.0:8000\"",
                        web_volumes=["./:/app"],
                        healthcheck=["    healthcheck:", "      test: curl -fsS http://localhost:8000/health/ || exit 1",
                                     "      interval: 10s", "      retries: 3", "      start_period: 15s"]),
        nginx_conf=NGINX_UPSTREAM.replace("{target}", "web:8000")),
    "container-down": dict(compose=compose(), nginx_conf=NGINX_UPSTREAM.replace("{target}", "web:8000")),
}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def main():
    names = sys.argv[1:] or list(PROJECTS)
    for name in names:
        spec = PROJECTS[name]
        root = f"/tmp/gwdoctor-compose-{name}"
        document = yaml.safe_load(spec["compose"])  # a real YAML parse: fails loudly on a bad file
        assert isinstance(document.get("services"), dict), name
        write(f"{root}/compose.yaml", spec["compose"])
        write(f"{root}/Dockerfile", DOCKERFILE)
        write(f"{root}/.env", ENV_FILE + spec.get("env_extra", ""))
        write(f"{root}/requirements.txt", "Django==5.1.4\ngunicorn==23.0.0\npsycopg[binary]==3.2.3\n")
        if "nginx_conf" in spec:
            write(f"{root}/nginx/default.conf", spec["nginx_conf"])
        if spec.get("host_nginx"):
            os.makedirs(f"{root}/logs", exist_ok=True)
            os.makedirs(f"{root}/run", exist_ok=True)
            target = spec["host_nginx"] if isinstance(spec["host_nginx"], str) else "http://127.0.0.1:8001"
            write(f"{root}/nginx/nginx.conf", HOST_NGINX.format(root=root, target=target))
        print(root, "services:", ", ".join(document["services"]))


if __name__ == "__main__":
    main()
