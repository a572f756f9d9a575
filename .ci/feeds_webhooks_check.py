"""Feeds, sitemaps and webhooks checked with the tools their users run.

    python feeds_webhooks_check.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD

The server must allow private webhook targets (NEWSDESK_WEBHOOKS_ALLOW_PRIVATE=true): the
receiver here listens on 127.0.0.1.
- feedparser (the Universal Feed Parser) reads the RSS and Atom feeds without complaint (its
  released versions read no JSON Feed: that one is checked against the JSON Feed 1.1 rules);
- the sitemaps parse as XML in the sitemaps.org and Google News namespaces;
- the Standard Webhooks Python library verifies a ping and an article.published delivery.
"""

import http.server
import json
import sys
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET

import feedparser
from standardwebhooks.webhooks import Webhook

BASE, EMAIL, PASSWORD = sys.argv[1:4]
API = BASE + "/api/v1"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def call(method, path, token=None, body=None):
    req = urllib.request.Request(API + path, method=method)
    if token:
        req.add_header("authorization", "Bearer " + token)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, data, timeout=15) as res:
        text = res.read()
        return json.loads(text) if text else None


def get(path):
    with urllib.request.urlopen(BASE + path, timeout=15) as res:
        return res.headers, res.read()


def check(what, ok):
    if not ok:
        print("FAILED: " + what, file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)


token = call("POST", "/auth/login", body={"email": EMAIL, "password": PASSWORD})["access_token"]

# --- Feeds --------------------------------------------------------------------------------
for path, version in [
    ("/feeds/rss.xml", "rss20"),
    ("/feeds/atom.xml", "atom10"),
]:
    headers, body = get(path)
    feed = feedparser.parse(body, response_headers={"content-type": headers["content-type"]})
    check(f"feedparser reads {path} as {version} without complaint ({len(feed.entries)} entries)",
          not feed.bozo and feed.version == version and len(feed.entries) > 0)
    entry = feed.entries[0]
    check(f"{path}: entries have a title, a link, a date and content",
          entry.get("title") and entry.get("link") and entry.get("published_parsed") and entry.get("content"))
headers, body = get("/feeds/feed.json")
jf = json.loads(body)
check("JSON Feed 1.1: version, title, items with id, url and content",
      headers["content-type"].startswith("application/feed+json")
      and jf["version"] == "https://jsonfeed.org/version/1.1" and isinstance(jf["title"], str)
      and jf["items"] and all(isinstance(i["id"], str) and i.get("url") and (i.get("content_html") or i.get("content_text"))
                              for i in jf["items"]))
rss = feedparser.parse(get("/feeds/rss.xml")[1])
with_image = [e for e in rss.entries if e.get("media_content")]
check("RSS images are Media RSS with their credit",
      with_image and with_image[0].get("media_credit"))

# --- Sitemaps -----------------------------------------------------------------------------
index = ET.fromstring(get("/sitemap.xml")[1])
check("the sitemap index is in the sitemaps.org namespace", index.tag == SITEMAP + "sitemapindex")
locs = [e.text for e in index.iter(SITEMAP + "loc")]
for loc in locs:
    path = loc[loc.index("/sitemaps/"):]
    doc = ET.fromstring(get(path)[1])
    urls = list(doc.iter(SITEMAP + "url"))
    check(f"{path} is a urlset of {len(urls)} URLs", doc.tag == SITEMAP + "urlset")
    if path.endswith("news.xml"):
        check("news.xml names its publication in the Google News namespace",
              all(u.find(f"{NEWS}news/{NEWS}publication/{NEWS}name") is not None for u in urls))

# --- Webhooks -----------------------------------------------------------------------------
received = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_port}/hook"
hook = call("POST", "/webhooks", token, {"url": url, "events": ["article.published"]})
secret = hook["secret"]
ping = call("POST", f"/webhooks/{hook['id']}/ping", token)
check("ping delivered", ping["status"] == "delivered")
call("POST", "/articles", token, {"title": "Checked by the reference library", "body": "x", "status": "published"})
deadline = time.time() + 15
while len(received) < 2 and time.time() < deadline:
    time.sleep(0.1)
check("the ping and the article.published delivery arrived", len(received) == 2)
for headers, body in received:
    payload = Webhook(secret).verify(body, headers)
    check(f"the Standard Webhooks library verifies {payload['type']}", payload["type"] in ("ping", "article.published"))
check("the article is in its delivery",
      json.loads(received[1][1])["data"]["slug"] == "checked-by-the-reference-library")
try:
    Webhook("whsec_" + "A" * 43 + "=").verify(received[0][1], received[0][0])
    check("another secret is refused", False)
except Exception:
    check("another secret is refused", True)
call("DELETE", f"/webhooks/{hook['id']}", token)
server.shutdown()
print("every feed, sitemap and webhook check passed")
