#!/usr/bin/env python3
"""Turns the scenarios' JSON lines into the tables of bench/RESULTS.md (and stdout).

Every read scenario ran three times, each pass on a freshly started server: `warm` (a cold
pass over its URLs first, then wrk walks them in turn), `nowarm` (no cold pass, URLs picked at
random from the list) and `cacheoff` (NEWSDESK_CACHE_MB=0). Ratios are to the static baseline
(`/healthz`) of the same pass.
"""
import json
import os
import sys

results_path, backend, articles, cores, date, views_line = sys.argv[1:7]
rows = [json.loads(l) for l in open(results_path) if l.strip()]
phases = ("cacheoff", "nowarm", "warm")
by = {(r.get("phase", "warm"), r["name"]): r for r in rows}
base = {p: by[(p, "baseline")]["rps"] for p in phases if (p, "baseline") in by}

# Issue 12's targets for the cache-off pass (SQLite, 100,000 articles): ratio and p99.
cold_targets = {
    "article": (0.15, 10),
    "related": (0.05, 20),
    "graphql_article": (0.04, 30),
    "latest": (0.05, 20),
}
# The warm targets the response cache was built to.
warm_targets = {"article": 0.50, "latest": 0.35, "graphql_article": 0.30, "mixed": 0.30}


def fig(r, phase):
    if r is None:
        return "– | – | –"
    return f"{r['rps']:,.0f} | {r['rps'] / base[phase]:.3f} | {r['p99_ms']:.1f}"


connections = os.environ.get("BENCH_CONNECTIONS", "64")
duration = os.environ.get("BENCH_DURATION", "10s")
lines = [
    "# Benchmark results\n",
    f"{backend}, {int(articles):,} articles, {cores} cores, {date}. wrk -t2 -c{connections}, {duration} "
    "per scenario and pass, 127.0.0.1. Each pass runs on a freshly started server:\n",
    "- **cache off**: `NEWSDESK_CACHE_MB=0`, every request reaches the database (computed related "
    "lists are kept in the database, as in production; the row \"none kept yet\" starts without any; "
    "on PostgreSQL so are the heads of searched words' lists, and the row \"no heads yet\" starts "
    "without any);",
    "- **no warm-up**: the response cache on but empty, URLs picked at random from the list;",
    "- **warm**: one cold pass over the URLs first (one request at a time: the *first reader* "
    "columns), then wrk walks the list in turn.\n",
    "Ratio: req/s over the static baseline (`/healthz`) of the same pass. p99 in ms.\n",
    "| scenario | cache off req/s | ratio | p99 | no warm-up req/s | ratio | p99 | warm req/s | ratio | p99 "
    "| first reader mean ms | first reader p99 ms | non-2xx |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
]
names = []
for r in rows:
    if r["name"] not in names:
        names.append(r["name"])
for name in names:
    got = {p: by.get((p, name)) for p in phases}
    any_row = next(r for r in got.values() if r)
    warm = got["warm"] or {}
    first = (f"{warm['cold_mean_ms']:.2f} | {warm['cold_p99_ms']:.2f}"
             if "cold_mean_ms" in warm else "– | –")
    non2xx = sum(r["non2xx"] for r in got.values() if r)
    lines.append(f"| {any_row['label']} | {fig(got['cacheoff'], 'cacheoff')} | {fig(got['nowarm'], 'nowarm')} "
                 f"| {fig(got['warm'], 'warm')} | {first} | {non2xx} |")

lines += ["", "## Targets", "", "| scenario | pass | target | measured | |", "| --- | --- | --- | --- | --- |"]
for name, (ratio, p99) in cold_targets.items():
    r = by.get(("cacheoff", name))
    if r is None:
        continue
    got_ratio = r["rps"] / base["cacheoff"]
    ok = got_ratio >= ratio and r["p99_ms"] <= p99
    lines.append(f"| {r['label']} | cache off | ratio ≥ {ratio}, p99 ≤ {p99} ms "
                 f"| {got_ratio:.3f}, {r['p99_ms']:.1f} ms | {'met' if ok else 'NOT met'} |")
for name, ratio in warm_targets.items():
    r = by.get(("warm", name))
    if r is None:
        continue
    got_ratio = r["rps"] / base["warm"]
    lines.append(f"| {r['label']} | warm | ratio ≥ {ratio} | {got_ratio:.2f} "
                 f"| {'met' if got_ratio >= ratio else 'NOT met'} |")
depth, first_page = by.get(("warm", "depth")), by.get(("warm", "first_page"))
if depth and first_page:
    ok = depth["rps"] * 1.2 >= first_page["rps"]
    lines.append(f"| keyset page at depth 5,000 | warm | within 1.2× of the first page "
                 f"| {depth['rps']:,.0f}/s vs {first_page['rps']:,.0f}/s | {'met' if ok else 'NOT met'} |")
peak = max(r["rss_mb"] for r in rows)
lines.append(f"| peak RSS, whole benchmark | all | < 100 MB | {peak:.0f} MB | {'met' if peak < 100 else 'NOT met'} |")
editor = by.get(("warm", "editor"))
lines.append("")
if editor:
    lines.append(f"Editor create+publish loop (warm pass): {editor['rps']:,.0f} writes/s, p99 {editor['p99_ms']:.1f} ms.")
lines.append(f"Views: {views_line}")
text = "\n".join(lines) + "\n"
print(text)
name = "RESULTS.md" if backend == "sqlite" else f"RESULTS-{backend}.md"
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), "w") as f:
    f.write(text)
