#!/usr/bin/env python3
"""Builds the fixed URL lists and GraphQL bodies the scenarios replay, from the running server.

Usage: lists.py BASE_URL OUT_DIR
Deterministic for a given corpus: the same pages are sampled every time.
"""
import json
import sys
import urllib.request

base, out = sys.argv[1], sys.argv[2]


def get(path):
    with urllib.request.urlopen(base + path, timeout=60) as r:
        return json.load(r)


total = get("/api/v1/articles?per_page=1")["meta"]["total"]
pages = max(1, total // 100)
# 50 pages of 100 spread evenly over the corpus: 5,000 slugs.
slugs, titles, authors = [], [], []
for k in range(50):
    page = 1 + (k * pages) // 50
    for a in get(f"/api/v1/articles?per_page=100&page={page}")["data"]:
        slugs.append(a["slug"])
        # The editor loop's own articles pile up at the top of the list run after run: their
        # words ("bench", "story") would become the common searches, and the search scenario
        # would measure a different query every run. Search words come from the corpus.
        if not a["title"].startswith("Bench story"):
            titles.append(a["title"])
        for person in a.get("authors", [a["author"]]):
            if person["slug"] not in authors:
                authors.append(person["slug"])
tags = [t["slug"] for t in get("/api/v1/tags?per_page=100")["data"]]
# Search words as readers type them, at every selectivity of the corpus: ranked by how many
# of the sampled titles hold each word, leaving out English function words (no reader
# searches "the"), 8 common words, 8 of middling frequency and 8 rare ones (in two titles).
# Deterministic: ties are broken by the word itself.
STOP = set("""a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few first
for from further had has have having he her here hers him his how i if in into is it its just
last me more most my new no nor not now of off on once only or other our out over own people
said same she should so some such than that the their them then there these they this those
through to too two under until up very was we were what when where which while who whom why
will with would year you your""".split())
held = {}
for t in titles:
    for w in set(t.lower().split()) - STOP:
        held[w] = held.get(w, 0) + 1
ranked = [w for w, _ in sorted(held.items(), key=lambda x: (-x[1], x[0]))]
mid = len(ranked) // 2
words = ranked[:8] + ranked[mid:mid + 8] + [w for w in ranked if held[w] == 2][:8]
depth = get("/api/v1/articles?per_page=20&page=250")["meta"]["next_cursor"]

home = ("query Home { articles(first: 20) { totalCount pageInfo { hasNextPage endCursor } "
        "edges { node { slug title excerpt publishedAt readingTimeMinutes viewCount commentCount "
        "image { url alt credit } author { name slug } tags { slug name } } } } }")
page = ("query ArticlePage($slug: String!) { article(slug: $slug) { id title subtitle dateline "
        "bodyHtml publishedAt viewCount shareCount commentCount version shareCounts { whatsapp facebook x } "
        "image { url caption credit } author { name slug bio avatarUrl } tags { slug name } "
        "related(limit: 10) { slug title excerpt viewCount image { url credit } } "
        "comments(first: 20) { totalCount edges { node { id authorName bodyHtml createdAt "
        "replies { id authorName bodyHtml createdAt } } } } } }")

files = {
    "baseline.txt": ["/healthz"],
    "article.txt": [f"/api/v1/articles/{s}" for s in slugs],
    "latest.txt": ["/api/v1/articles"],
    "tag.txt": [f"/api/v1/articles?tag={t}" for t in tags],
    "author.txt": [f"/api/v1/articles?author={a}" for a in sorted(authors)],
    "first_page.txt": ["/api/v1/articles?per_page=20"],
    "depth.txt": [f"/api/v1/articles?per_page=20&cursor={depth}"],
    "search.txt": [f"/api/v1/articles?q={w}" for w in words],
    "related.txt": [f"/api/v1/articles/{s}/related" for s in slugs],
    "graphql_home.txt": [json.dumps({"query": home})],
    "graphql_article.txt": [json.dumps({"query": page, "variables": {"slug": s}}) for s in slugs],
    "mixed_reads.txt": [f"/api/v1/articles/{s}" for s in slugs] + ["/api/v1/articles"] * 200,
    "view_slugs.txt": slugs[:10],
}
for name, lines in files.items():
    with open(f"{out}/{name}", "w") as f:
        f.write("\n".join(lines) + "\n")
print(f"lists: {len(slugs)} slugs, {len(tags)} tags, {len(authors)} authors, corpus of {total} live articles; "
      f"search words: {' '.join(words)}")
