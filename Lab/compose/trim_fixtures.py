#!/usr/bin/env python3
"""After-capture edits of the compose fixture snapshots (documented in
Tests/DoctorChecksTests/Fixtures/README.md, "Docker Compose"):

- the process and listener tables keep only the fixture's own host nginx (master, workers and
  its listening socket): the rest was this build machine's (other labs' nginx and gunicorn), not
  the fixture project's, and no engine runs here to own the project's ports;
- directory listings outside the fixture project (`/tmp`, `/srv/*`, `/opt/*`, `/home/*/*`,
  searched by discovery) are dropped: a replay treats them as not recorded and skips them;
- compose-container-down gets the recorded engine outputs of Tests/DoctorParsersTests/Fixtures/docker
  (`docker ps`, `docker inspect`, `docker logs` of the web container) in place of the real
  "Cannot connect to the Docker daemon" answer.
"""
import json
import os
import sys

out = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
docker = os.path.join(here, "..", "..", "Tests", "DoctorParsersTests", "Fixtures", "docker")


def dump(path, value):
    with open(path, "w") as handle:
        handle.write(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


for name in sorted(os.listdir(out)):
    if not name.startswith("compose-"):
        continue
    snap = os.path.join(out, name)
    root = "/tmp/gwdoctor-" + name
    # Keep only the fixture's own host nginx (master and workers) and its listening socket.
    processes = json.load(open(os.path.join(snap, "proc", "processes.json"))).get("rows", [])
    masters = {p["pid"] for p in processes if any(root in arg for arg in p.get("cmdline", []))}
    kept = [p for p in processes if p["pid"] in masters or p.get("ppid") in masters]
    pids = {p["pid"] for p in kept}
    listeners = json.load(open(os.path.join(snap, "proc", "listeners.json"))).get("rows", [])
    dump(os.path.join(snap, "proc", "processes.json"), {"rows": kept})
    dump(os.path.join(snap, "proc", "listeners.json"), {"rows": [l for l in listeners if set(l.get("pids", [])) & pids]})
    meta_path = os.path.join(snap, "fs-meta.json")
    meta = json.load(open(meta_path))
    for key in list(meta):
        if key == root or key.startswith(root + "/"):
            continue
        meta[key].pop("list", None)
        if not meta[key]:
            del meta[key]
    dump(meta_path, meta)
    if name == "compose-container-down":
        commands_path = os.path.join(snap, "commands.json")
        commands = json.load(open(commands_path))
        ids = open(os.path.join(docker, "ps-aq-compose.txt")).read()
        inspect = open(os.path.join(docker, "inspect-shop-web-oomkilled.json")).read()
        for command in commands:
            if command["argv"][:2] == ["docker", "ps"]:
                command.update({"exitCode": 0, "stdout": ids, "stderr": "", "truncated": False})
                command.pop("failure", None)
        commands.append({"argv": ["docker", "inspect"] + ids.split(), "exitCode": 0, "stdout": inspect, "stderr": "",
                         "truncated": False})
        logs = open(os.path.join(docker, "logs-shop-web-oomkilled.txt")).read()
        web = [line for line in ids.split() if line.startswith("a81c4e0f2d9b")][0]
        commands.append({"argv": ["docker", "logs", "--tail", "200", web[:12]], "exitCode": 0, "stdout": "", "stderr": logs,
                         "truncated": False})
        dump(commands_path, commands)
    print("trimmed", name)
