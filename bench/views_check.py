#!/usr/bin/env python3
"""Sends exactly N view counts (in parallel, keep-alive) to a fixed set of articles, waits for
the batched writes, and checks the stored counts grew by exactly N.

Usage: views_check.py HOST PORT SLUG_FILE N
"""
import http.client
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

host, port, slug_file, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
slugs = [l.strip() for l in open(slug_file) if l.strip()]


def total():
    c = http.client.HTTPConnection(host, port, timeout=30)
    s = 0
    for slug in slugs:
        c.request("GET", f"/api/v1/articles/{slug}")
        s += json.loads(c.getresponse().read())["view_count"]
    return s


def send(k):
    c = http.client.HTTPConnection(host, port, timeout=30)
    ok = 0
    for i in range(k, n, 8):
        c.request("POST", f"/api/v1/articles/{slugs[i % len(slugs)]}/views")
        r = c.getresponse()
        r.read()
        ok += r.status == 202
    return ok


time.sleep(1.5)
before = total()
with ThreadPoolExecutor(8) as pool:
    accepted = sum(pool.map(send, range(8)))
time.sleep(1.5)
stored = total() - before
verdict = "equal" if stored == accepted == n else "DIFFERENT"
print(f"sent {n}, accepted {accepted}, stored {stored} ({verdict})")
