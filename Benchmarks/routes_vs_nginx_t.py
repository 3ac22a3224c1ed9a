#!/usr/bin/env python3
"""Benchmark: `gwdoctor routes` on the 2,000-server tree vs `nginx -t` on the same tree.

Both commands run alternately in the same session (machines here are noisy, so only
the ratio is meaningful). Wall time per run and peak RSS (from wait4) are recorded;
the summary prints medians and the ratio gwdoctor / nginx -t.

Usage: Benchmarks/routes_vs_nginx_t.py GWDOCTOR_BINARY TREE_DIR [--runs N]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time


def run_once(argv):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024.0, code, stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gwdoctor")
    parser.add_argument("tree")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    tree = os.path.abspath(args.tree)
    os.makedirs(os.path.join(tree, "logs"), exist_ok=True)
    gwdoctor = [args.gwdoctor, "routes", "--nginx-conf", os.path.join(tree, "nginx.conf"), "--format", "json"]
    nginx = ["nginx", "-t", "-q", "-p", tree + "/", "-e", os.path.join(tree, "logs/error.log"),
             "-c", os.path.join(tree, "nginx.conf")]
    results = {"gwdoctor": [], "nginx": []}
    for name, argv in (("gwdoctor", gwdoctor), ("nginx", nginx)):  # warm-up, and fail early
        _, _, code, stderr = run_once(argv)
        if code != 0:
            sys.exit(f"{name} failed (exit {code}): {stderr.strip()[:500]}")
    for _ in range(args.runs):
        for name, argv in (("gwdoctor", gwdoctor), ("nginx", nginx)):
            elapsed, rss, code, _ = run_once(argv)
            results[name].append((elapsed, rss))
    g = statistics.median(t for t, _ in results["gwdoctor"])
    n = statistics.median(t for t, _ in results["nginx"])
    g_rss = max(r for _, r in results["gwdoctor"])
    print(f"runs: {args.runs} each, alternating")
    print(f"gwdoctor routes --format json : median {g * 1000:7.1f} ms, peak RSS {g_rss:6.1f} MB")
    print(f"nginx -t -q                  : median {n * 1000:7.1f} ms")
    print(f"ratio gwdoctor / nginx -t    : {g / n:.3f}  (target <= 0.25, RSS < 100 MB)")
    ok = g / n <= 0.25 and g_rss < 100
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
