"""Newsroom churn: anonymous comments and editor updates at fixed rates, for a while.

    python3 bench/churn.py BASE TOKEN SLUGS_FILE SECONDS [COMMENTS_PER_S] [UPDATES_PER_S]

Comments (10 a second by default) go to the articles of SLUGS_FILE in turn, as readers would
post them (pending: nobody sees them until moderated); an editor changes one of the first 20
articles' subtitle once a second (a live article changing: its page and the lists go). Prints
one JSON line: what was sent and how it was answered.
"""

import http.client
import json
import sys
import time
import urllib.parse

base, token, slugs_file, seconds = sys.argv[1:5]
comments_per_s = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
updates_per_s = float(sys.argv[6]) if len(sys.argv) > 6 else 1.0
slugs = [s.strip() for s in open(slugs_file) if s.strip()]
host = urllib.parse.urlparse(base).netloc
conn = http.client.HTTPConnection(host, timeout=10)
statuses = {}


def send(method, path, body, auth=False):
    global conn
    headers = {"content-type": "application/json"}
    if auth:
        headers["authorization"] = "Bearer " + token
    try:
        conn.request(method, path, json.dumps(body), headers)
        res = conn.getresponse()
        res.read()
        code = res.status
    except (OSError, http.client.HTTPException):
        conn = http.client.HTTPConnection(host, timeout=10)
        code = "error"
    key = f"{method} {code}"
    statuses[key] = statuses.get(key, 0) + 1


start = time.monotonic()
end = start + float(seconds)
next_comment, next_update = start, start
n_comment = n_update = 0
while True:
    now = time.monotonic()
    if now >= end:
        break
    if now >= next_comment:
        slug = slugs[n_comment % len(slugs)]
        send("POST", f"/api/v1/articles/{slug}/comments",
             {"author_name": "Reader", "author_email": "reader@example.com",
              "body": f"Comment number {n_comment} on this story."})
        n_comment += 1
        next_comment = start + n_comment / comments_per_s
    elif now >= next_update:
        slug = slugs[n_update % min(20, len(slugs))]
        send("PATCH", f"/api/v1/articles/{slug}", {"subtitle": f"Update {n_update}"}, auth=True)
        n_update += 1
        next_update = start + n_update / updates_per_s
    else:
        time.sleep(max(0.0, min(next_comment, next_update) - now))
elapsed = time.monotonic() - start
print(json.dumps({"comments": n_comment, "updates": n_update, "seconds": round(elapsed, 1),
                  "statuses": statuses}))
