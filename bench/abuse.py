#!/usr/bin/env python3
"""The attacks of issue 10 (abuse), against a running `serve --demo` on 127.0.0.1, each bounded
in count and time: password guessing (in a row, aliased in GraphQL, behind spoofed
X-Forwarded-For), a comment flood with spam, identical comments, link stuffing, a view flood
and aliased views. Prints one JSON line per attack and a table at the end.

    abuse.py BASE_URL --email ADMIN_EMAIL --password ADMIN_PASSWORD [--only a,b]

Only fixed requests to BASE_URL: no random URLs, nothing off 127.0.0.1.
"""
import argparse
import http.client
import json
import sys
import time
import urllib.parse
from collections import Counter


class Client:
    """One keep-alive connection, as one client."""

    def __init__(self, base, source=None):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        # Another loopback address (127.0.0.x) is another client to the server.
        self.source = (source, 0) if source else None

    def connect(self):
        return http.client.HTTPConnection(
            self.host, self.port, timeout=30, source_address=self.source
        )

    def __enter__(self):
        self.conn = self.connect()
        return self

    def __exit__(self, *exc):
        self.conn.close()

    def send(self, method, path, body=None, headers=None):
        h = {"content-type": "application/json"} if body is not None else {}
        h.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=h)
                res = self.conn.getresponse()
                raw = res.read()
                return res.status, dict((k.lower(), v) for k, v in res.getheaders()), raw
            except (http.client.HTTPException, ConnectionError):
                # A connection the server closed (a 429 may close it): once more on a new one.
                self.conn.close()
                self.conn = self.connect()
                if attempt:
                    raise


def slugs(base, n):
    with Client(base) as c:
        _, _, raw = c.send("GET", f"/api/v1/articles?per_page={n}&fields=slug")
    return [a["slug"] for a in json.loads(raw)["data"]]


def login(c, email, password, headers=None):
    return c.send("POST", "/api/v1/auth/login", {"email": email, "password": password}, headers)


def admin_token(base, email, password):
    with Client(base) as c:
        status, _, raw = login(c, email, password)
    return json.loads(raw).get("access_token") if status == 200 else None


def attack_login_guessing(base, args):
    statuses = Counter()
    start = time.monotonic()
    with Client(base) as c:
        for i in range(300):
            statuses[login(c, args.email, f"guess-{i}")[0]] += 1
        took = time.monotonic() - start
        right = login(c, args.email, args.password)[0]
    return {
        "sent": "300 wrong passwords for the admin, in a row, then the right one",
        "statuses": dict(statuses),
        "seconds": round(took, 2),
        "right_password_then": right,
    }


def attack_aliased_logins(base, args):
    aliases = " ".join(
        f'a{i}: login(email: "editor-{i % 3}@example.com", password: "guess-{i}") {{ accessToken }}'
        # 30: the most names one field may have in one selection (NEWSDESK_GRAPHQL_MAX_ALIASES).
        for i in range(30)
    )
    start = time.monotonic()
    with Client(base) as c:
        status, headers, raw = c.send("POST", "/graphql", {"query": f"mutation {{ {aliases} }}"})
    took = time.monotonic() - start
    body = json.loads(raw) if raw else {}
    codes = Counter(
        (e.get("extensions") or {}).get("code") for e in body.get("errors", [])
    )
    return {
        "sent": "one GraphQL request, 30 aliased logins (3 accounts)",
        "status": status,
        "error_codes": dict(codes),
        "retry_after": headers.get("retry-after"),
        "seconds": round(took, 2),
    }


def attack_spoofed_forwarded(base, args):
    statuses = Counter()
    with Client(base) as c:
        for i in range(30):
            headers = {"x-forwarded-for": f"203.0.113.{i}", "forwarded": f"for=198.51.100.{i}"}
            statuses[login(c, f"victim-{i}@example.com", "x", headers)[0]] += 1
    return {
        "sent": "30 wrong logins, each claiming another address in X-Forwarded-For/Forwarded",
        "statuses": dict(statuses),
    }


def spam_queue(base, token):
    if not token:
        return None
    with Client(base) as c:
        status, _, raw = c.send(
            "GET", "/api/v1/comments?status=spam&per_page=1", headers={"authorization": f"Bearer {token}"}
        )
    return json.loads(raw)["meta"]["total"] if status == 200 else None


def attack_comment_flood(base, args):
    targets = slugs(base, 5)
    statuses = Counter()
    start = time.monotonic()
    with Client(base) as c:
        for i in range(500):
            body = {
                "author_name": "Winner",
                "author_email": "win@example.com",
                "body": f"Claim your prize #{i} at http://prize.example/{i} http://win.example/{i}",
            }
            statuses[c.send("POST", f"/api/v1/articles/{targets[i % 5]}/comments", body)[0]] += 1
    return {
        "sent": "500 anonymous comments with two links each over 5 articles, one client",
        "statuses": dict(statuses),
        "seconds": round(time.monotonic() - start, 2),
    }


def attack_spam_kinds(base, args):
    """Ten identical comments, 50 links in one, a honeypot, each from another client (source
    addresses 127.0.0.10 and up), so the rate limits let them through to the spam check."""
    targets = slugs(base, 5)
    statuses = Counter()
    bodies = [("Same words every time, from every bot of the network", None)] * 10
    bodies.append((" ".join(f"http://l{i}.example" for i in range(50)), None))
    bodies.append(("A perfectly normal remark", "http://bot.example"))
    for i, (text, website) in enumerate(bodies):
        body = {"author_name": "R", "author_email": "r@example.com", "body": text}
        if website:
            body["website"] = website
        with Client(base, f"127.0.0.{10 + i}") as c:
            statuses[c.send("POST", f"/api/v1/articles/{targets[i % 5]}/comments", body)[0]] += 1
    return {
        "sent": "10 identical comments on 5 articles, one with 50 links, one with the honeypot "
        "filled, 12 clients",
        "statuses": dict(statuses),
        "spam_queue_after": spam_queue(base, args.token),
    }


def view_count(base, slug):
    with Client(base) as c:
        _, _, raw = c.send("GET", f"/api/v1/articles/{slug}?fields=view_count")
    return json.loads(raw)["view_count"]


def attack_view_flood(base, args):
    slug = slugs(base, 1)[0]
    before = view_count(base, slug)
    statuses = Counter()
    start = time.monotonic()
    with Client(base) as c:
        for _ in range(20000):
            statuses[c.send("POST", f"/api/v1/articles/{slug}/views")[0]] += 1
    took = time.monotonic() - start
    time.sleep(1.5)
    return {
        "sent": "20,000 POST .../views from one client",
        "statuses": dict(statuses),
        "seconds": round(took, 2),
        "counted": view_count(base, slug) - before,
    }


def attack_aliased_views(base, args):
    slug = slugs(base, 2)[1]
    before = view_count(base, slug)
    aliases = " ".join(f'v{i}: recordView(slug: "{slug}")' for i in range(30))
    with Client(base) as c:
        status, _, _ = c.send("POST", "/graphql", {"query": f"mutation {{ {aliases} }}"})
    time.sleep(1.5)
    return {
        "sent": "one GraphQL request, 30 aliased recordView",
        "status": status,
        "counted": view_count(base, slug) - before,
    }


ATTACKS = [
    ("login_guessing", attack_login_guessing),
    ("aliased_logins", attack_aliased_logins),
    ("spoofed_forwarded", attack_spoofed_forwarded),
    ("comment_flood", attack_comment_flood),
    ("spam_kinds", attack_spam_kinds),
    ("view_flood", attack_view_flood),
    ("aliased_views", attack_aliased_views),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--only", default="")
    args = p.parse_args()
    only = {o for o in args.only.split(",") if o}
    # Signed in before the guessing locks the admin out: the spam queue is read with it.
    args.token = admin_token(args.base, args.email, args.password)
    for name, attack in ATTACKS:
        if only and name not in only:
            continue
        result = attack(args.base, args)
        print(json.dumps({name: result}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
