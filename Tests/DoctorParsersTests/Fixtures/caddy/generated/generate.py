"""Seeded generator of Caddyfiles for the differential tests (CaddyGeneratedConfigTests).

Usage: python3 generate.py OUTDIR COUNT [FIRST_SEED]
Writes OUTDIR/gNNN/Caddyfile (+ imported files) and, for each config `caddy adapt` accepts,
its stdout as OUTDIR/gNNN/adapt.json. Needs the `caddy` binary on PATH.
"""
import random, os, subprocess, json, sys, shutil

def upstream(r, kind=None):
    k = kind or r.choice(["hostport","unix","http","colon","v6","range","bare","quoted"])
    p = r.randint(8000, 8999)
    if k == "hostport": return r.choice(["127.0.0.1","localhost","10.0.0.%d" % r.randint(1,9),"app","web-%d" % r.randint(1,3)]) + ":%d" % p
    if k == "unix": return "unix//run/%s/%s.sock" % (r.choice(["gunicorn","app","uwsgi"]), r.choice(["web","api","x"]))
    if k == "http": return "http://%s:%d" % (r.choice(["127.0.0.1","backend"]), p)
    if k == "colon": return ":%d" % p
    if k == "v6": return "[::1]:%d" % p
    if k == "range": return "localhost:%d-%d" % (p, p + r.randint(1,3))
    if k == "bare": return r.choice(["app","10.1.1.1","backend.internal"])
    if k == "quoted": return '"127.0.0.1:%d"' % p

def upstreams(r, n):
    # Caddy wants one scheme per proxy: http:// only with others of http:// or plain; unix alone-ish is fine with plain.
    kinds = [r.choice(["hostport","unix","colon","v6","range","bare","quoted"]) for _ in range(n)]
    if r.random() < 0.2: kinds = ["http"] * n
    return [upstream(r, k) for k in kinds]

PATHS = ["/api/*", "/static/*", "/admin/*", "/ws", "/v1/*", "/health", "/media/*", "/graphql", "/a/b/*"]

def proxy(r, ind, matchers, allow_matcher=True):
    t = "\t" * ind
    parts = ["reverse_proxy"]
    m = None
    if allow_matcher and r.random() < 0.5:
        m = r.choice(["*", r.choice(PATHS)] + matchers)
        parts.append(m)
    ups = upstreams(r, r.randint(1,3))
    to = []
    if r.random() < 0.3:
        to = upstreams(r, 1)
        if any(u.startswith("http://") for u in ups) != any(u.startswith("http://") for u in to):
            to = []
    parts += ups
    body = []
    if to: body.append(t + "\tto " + " ".join(to))
    if r.random() < 0.3: body.append(t + "\tlb_policy " + r.choice(["round_robin","least_conn","first"]))
    if r.random() < 0.3: body.append(t + "\thealth_uri /healthz")
    if r.random() < 0.4:
        tr = [t + "\ttransport http {"]
        for name in r.sample(["dial_timeout","response_header_timeout","read_timeout","write_timeout"], r.randint(1,3)):
            tr.append(t + "\t\t%s %s" % (name, r.choice(["2s","30s","1m","1m30s","500ms"])))
        tr.append(t + "\t}")
        body += tr
    line = t + " ".join(parts)
    if r.random() < 0.15 and len(parts) > 2:
        line = t + parts[0] + " " + " \\\n".join(parts[1:])
    if body:
        return [line + " {"] + body + [t + "}"]
    return [line]

def other(r, ind, matchers):
    t = "\t" * ind
    c = r.choice(["respond", "redir", "file_server"])
    m = r.choice(["", r.choice(PATHS)] + matchers)
    if c == "respond": return [t + ("respond %s \"ok\" 200" % m if m else "respond \"ok\" 200")]
    if c == "redir": return [t + ("redir %s /new 301" % m if m else "redir /new 301")]
    return [t + ("file_server %s" % m if m else "file_server")]

def block(r, ind, matchers, depth):
    lines = []
    for _ in range(r.randint(1, 4)):
        x = r.random()
        if x < 0.45: lines += proxy(r, ind, matchers)
        elif x < 0.6: lines += other(r, ind, matchers)
        elif depth < 2:
            kind = r.choice(["handle", "handle_path", "route"])
            if kind == "handle_path": head = "handle_path " + r.choice(PATHS[:3] + ["/reports/*"])
            else:
                m = r.choice(["", r.choice(PATHS)] + matchers)
                head = (kind + " " + m).strip()
            lines.append("\t" * ind + head + " {")
            lines += block(r, ind + 1, matchers, depth + 1)
            lines.append("\t" * ind + "}")
        else:
            lines += proxy(r, ind, matchers)
        if r.random() < 0.1: lines.append("\t" * ind + "# a comment")
    return lines

def gen(seed, outdir):
    r = random.Random(seed)
    L = []
    files = {}
    http_port = None
    if r.random() < 0.5:
        L.append("{")
        if r.random() < 0.6: L.append("\tadmin off")
        if r.random() < 0.3:
            http_port = r.choice([8080, 8081]); L.append("\thttp_port %d" % http_port)
        if r.random() < 0.3: L.append("\tdefault_bind 127.0.0.1")
        if r.random() < 0.5: L += ["\tlog {", "\t\toutput file /var/log/caddy/caddy.log", "\t\tformat json", "\t}"]
        L.append("}")
    use_snip = r.random() < 0.5
    if use_snip:
        snip = ["(up) {", "\treverse_proxy {args.0} {", "\t\theader_up X-Site {args.1}", "\t}", "}"]
        if r.random() < 0.5:
            files["snippets.caddy"] = "\n".join(snip) + "\n"
            L.append("import snippets.caddy")
        else:
            L += snip
    # sites: one per port kind to avoid http/https port conflicts
    ports_used = set()
    nsites = r.randint(1, 4)
    for i in range(nsites):
        kind = r.choice(["https", "http", "portonly", "hostport"])
        if kind == "https": addrs = ["site%d.example.com" % i] + (["www.site%d.example.com" % i] if r.random() < 0.4 else [])
        elif kind == "http":
            p = http_port or 80
            addrs = ["http://site%d.example.com" % i]
        elif kind == "portonly":
            p = 9000 + i
            addrs = [":%d" % p]
        else:
            addrs = ["site%d.example.com:%d" % (i, 8440 + i)]
        sep = r.choice([", ", " ", ",\n"])
        matchers = []
        body = []
        if r.random() < 0.5:
            body.append("\t@m%d path %s" % (i, " ".join(r.sample(PATHS, 2))))
            matchers.append("@m%d" % i)
        if r.random() < 0.3:
            body += ["\t@ws%d {" % i, "\t\theader Upgrade websocket", "\t}"]
            matchers.append("@ws%d" % i)
        if r.random() < 0.3 and kind == "portonly": body.append("\tbind 127.0.0.1")
        if r.random() < 0.3: body += ["\tlog {", "\t\toutput file /var/log/caddy/site%d.log" % i, "\t\tformat json", "\t}"]
        if use_snip and r.random() < 0.6: body.append("\timport up %s site%d" % (upstream(r, r.choice(["hostport", "unix"])), i))
        body += block(r, 1, matchers, 0)
        head = sep.join(addrs) + " {"
        if r.random() < 0.3 and len(addrs) == 1 and i > 0:
            # site in an imported file
            name = "sites/site%d.caddy" % i
            files[name] = "\n".join([head] + body + ["}"]) + "\n"
            if "import sites/*.caddy" not in L: L.append("import sites/*.caddy")
            continue
        L += [head] + body + ["}"]
    os.makedirs(outdir, exist_ok=True)
    open(os.path.join(outdir, "Caddyfile"), "w").write("\n".join(L) + "\n")
    for name, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(outdir, name)) or outdir, exist_ok=True)
        open(os.path.join(outdir, name), "w").write(text)

if __name__ == "__main__":
    out = sys.argv[1]; n = int(sys.argv[2]); first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    ok = 0; seed = first
    while ok < n and seed < first + n * 10:
        d = os.path.join(out, "tmp")
        shutil.rmtree(d, ignore_errors=True)
        gen(seed, d)
        res = subprocess.run(["caddy", "adapt", "--config", "Caddyfile", "--adapter", "caddyfile"], cwd=d, capture_output=True, env={"PATH": "/usr/bin:/bin"})
        if res.returncode == 0:
            open(os.path.join(d, "adapt.json"), "wb").write(res.stdout)
            os.rename(d, os.path.join(out, "g%03d" % seed))
            ok += 1
        else:
            print("seed", seed, "rejected:", res.stderr.decode()[:200].strip())
        seed += 1
