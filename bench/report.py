#!/usr/bin/env python3
"""Turns the scenarios' JSON lines into the table of bench/RESULTS.md (and stdout)."""
import json
import os
import sys

results_path, backend, articles, cores, date, views_line = sys.argv[1:7]
rows = [json.loads(l) for l in open(results_path) if l.strip()]
base = next(r for r in rows if r["name"] == "baseline")["rps"]
by = {r["name"]: r for r in rows}

targets = {
    "article by slug": ("ratio", 0.50),
    "latest page of 20": ("ratio", 0.35),
    "GraphQL article page": ("ratio", 0.30),
    "mixed 90% reads / 10% views": ("ratio", 0.30),
}
def cold(r, key):
    return f"{r[key]:.2f}" if key in r else "–"


lines = [
    f"# Benchmark results\n",
    f"{backend}, {int(articles):,} articles, {cores} cores, {date}. wrk -t2 -c{os.environ.get('BENCH_CONNECTIONS', '64')}, "
    f"{os.environ.get('BENCH_DURATION', '10s')} per scenario, 127.0.0.1, after one cold pass over the scenario's URLs "
    f"(one request at a time; its mean and p99 are the *cold* columns: what the first reader of each URL waits). "
    f"Ratio: req/s over the static baseline (`/healthz`) of the same run.\n",
    "| scenario | req/s | ratio | p50 ms | p99 ms | non-2xx | cold mean ms | cold p99 ms | peak RSS MB | target |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
]
for r in rows:
    target = ""
    if r["label"] in targets:
        _, t = targets[r["label"]]
        ok = r["rps"] / base >= t
        target = f"≥ {t:.2f} {'met' if ok else 'NOT met'}"
    if r["name"] == "depth":
        first = by.get("first_page", {}).get("rps")
        if first:
            within = r["rps"] * 1.2 >= first
            target = f"within 1.2× of first page ({first:,.0f}/s): {'met' if within else 'NOT met'}"
    lines.append(
        f"| {r['label']} | {r['rps']:,.0f} | {r['rps'] / base:.2f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
        f"| {r['non2xx']} | {cold(r, 'cold_mean_ms')} | {cold(r, 'cold_p99_ms')} | {r['rss_mb']:.0f} | {target} |")
peak = max(r["rss_mb"] for r in rows)
lines.append("")
lines.append(f"Server peak RSS under load: {peak:.0f} MB (target < 100 MB: {'met' if peak < 100 else 'NOT met'}).")
lines.append(f"Views: {views_line}")
text = "\n".join(lines) + "\n"
print(text)
name = "RESULTS.md" if backend == "sqlite" else f"RESULTS-{backend}.md"
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), "w") as f:
    f.write(text)
