#!/usr/bin/env python3
"""One cold pass over a scenario's fixed URL list (or GraphQL bodies), one request at a time,
before wrk measures the warm server. Prints the cold pass as JSON: what a first visitor waits.

    warm.py HOST PORT FILE [graphql]
"""
import http.client
import json
import sys
import time

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
graphql = len(sys.argv) > 4 and sys.argv[4] == "graphql"
lines = [l.rstrip("\n") for l in open(path) if l.strip()]
conn = http.client.HTTPConnection(host, port, timeout=60)
times = []
for line in lines:
    start = time.perf_counter()
    if graphql:
        conn.request("POST", "/graphql", body=line, headers={"Content-Type": "application/json"})
    else:
        conn.request("GET", line)
    res = conn.getresponse()
    res.read()
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(json.dumps({
    "cold_requests": len(times),
    "cold_mean_ms": round(sum(times) / len(times), 2),
    "cold_p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
}))
