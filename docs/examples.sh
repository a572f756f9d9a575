#!/usr/bin/env bash
# The README's examples, in order, against a fresh `newsdesk serve --demo`. CI runs it, so the
# README's commands keep working; a test checks that each README command line is here verbatim.
#
#   docs/examples.sh BASE_URL ADMIN_PASSWORD      (needs curl and jq)
#
# `curl` below fails on any 4xx/5xx (--fail-with-body), so the first example that stops working
# stops the script; `expect` checks what an answer says.
set -euo pipefail
BASE=${1:?BASE_URL}
ADMIN_PASSWORD=${2:?ADMIN_PASSWORD}
curl() { command curl --fail-with-body --show-error "$@"; }
expect() { # expect WHAT JQ-FILTER < json
    local got
    got=$(jq -e "$2") || { echo "examples: $1 failed (jq $2)" >&2; exit 1; }
    echo "ok: $1 ($got)"
}

# --- Using the API with curl -------------------------------------------------------------
API=$BASE/api/v1
PASSWORD=$ADMIN_PASSWORD
TOKEN=$(curl -s -X POST $API/auth/login -H 'content-type: application/json' \
  -d "{\"email\":\"admin@newsdesk.example\",\"password\":\"$PASSWORD\"}" | jq -r .access_token)
[ -n "$TOKEN" ] && [ "$TOKEN" != null ]

curl -s -X POST $API/tags -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"City Hall"}' | expect "tag created" '.slug == "city-hall"'
curl -s -X POST $API/articles -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"title":"Council Approves the Budget","body":"The **council** voted 7-2.","dateline":"Springfield",
       "image":{"url":"https://cdn.example.com/council.webp","credit":"© Jane Doe"},"tags":["city-hall"]}' \
  | expect "draft created" '.status == "draft" and .version == 1'
ETAG=$(curl -sI $API/articles/council-approves-the-budget -H "authorization: Bearer $TOKEN" | awk -F': ' 'tolower($1)=="etag"{print $2}' | tr -d '\r')
echo "$ETAG" | grep -q '^"v1-' || { echo "examples: no ETag from HEAD ($ETAG)" >&2; exit 1; }
curl -s -X PATCH $API/articles/council-approves-the-budget -H "authorization: Bearer $TOKEN" \
  -H "If-Match: $ETAG" -H 'content-type: application/json' -d '{"status":"published"}' \
  | expect "published with If-Match" '.status == "published" and .version == 2'
# The same ETag again is stale now: 412, nothing changed.
status=$(command curl -s -o /dev/null -w '%{http_code}' -X PATCH $API/articles/council-approves-the-budget \
  -H "authorization: Bearer $TOKEN" -H "If-Match: $ETAG" -H 'content-type: application/json' -d '{"subtitle":"x"}')
[ "$status" = 412 ] || { echo "examples: a stale If-Match gave $status" >&2; exit 1; }

curl -s "$API/articles?per_page=5" | expect "latest five" '.data | length == 5'
curl -s "$API/articles?tag=city-hall&sort=popular" | expect "by tag" '.data[0].slug == "council-approves-the-budget"'
curl -s "$API/articles?q=budget%20council" | expect "search" '.meta.total == 1'
curl -s "$API/articles?fields=slug,title,excerpt,image&per_page=2" | expect "sparse fieldsets" '.data[0] | keys == ["excerpt","image","slug","title"]'
NEXT=$(curl -s "$API/articles?per_page=3" | jq -r .meta.next_cursor)
curl -s "$API/articles?per_page=3&cursor=$NEXT" | expect "next page by cursor" '.data | length == 3'
curl -s "$API/articles/council-approves-the-budget" | expect "one article" '.body_html == "<p>The <strong>council</strong> voted 7-2.</p>\n"'
curl -s "$API/articles/council-approves-the-budget/related?limit=5" | expect "related" '.meta.total == (.data | length)'
curl -s --compressed -D - -o /dev/null "$API/articles" | grep -qi '^content-encoding: br'

curl -s -X POST $API/articles/council-approves-the-budget/views
curl -s -X POST $API/articles/council-approves-the-budget/shares -H 'content-type: application/json' -d '{"network":"whatsapp"}'
COMMENT=$(curl -s -D - -o /dev/null -X POST $API/articles/council-approves-the-budget/comments -H 'content-type: application/json' \
  -d '{"author_name":"Reader","author_email":"reader@example.com","body":"Good news."}' | awk -F': ' 'tolower($1)=="location"{print $2}' | tr -d '\r')
curl -s "$API/comments?status=pending" -H "authorization: Bearer $TOKEN" | expect "moderation queue" '[.data[].body] | index("Good news.") != null'
curl -s -X PATCH "$BASE$COMMENT" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"status":"approved"}' \
  | expect "our comment approved" '.body == "Good news." and .status == "approved"'
curl -s "$API/articles/council-approves-the-budget/comments" | expect "shown" '.data[0].author_name == "Reader"'

RELATED=$(curl -s "$API/articles?per_page=1&tag=ukraine" | jq -r '.data[0].slug')
curl -s -X PUT $API/articles/council-approves-the-budget/related -H "authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d "{\"slugs\":[\"$RELATED\"]}" | expect "curated" '.slugs | length == 1'

REFRESH=$(curl -s -X POST $API/auth/login -H 'content-type: application/json' \
  -d "{\"email\":\"admin@newsdesk.example\",\"password\":\"$PASSWORD\"}" | jq -r .refresh_token)
echo "$REFRESH" | grep -q '^ndr_' || { echo "examples: no refresh token ($REFRESH)" >&2; exit 1; }
TOKEN=$(curl -s -X POST $API/auth/refresh -H 'content-type: application/json' -d "{\"refresh_token\":\"$REFRESH\"}" | jq -r .access_token)
[ -n "$TOKEN" ] && [ "$TOKEN" != null ]
CI_TOKEN=$(curl -s -X POST $API/tokens -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"Build server","role":"author"}' | jq -r .token)
curl -s $API/me -H "authorization: Bearer $CI_TOKEN" | expect "integration token acts as its creator" '.email == "admin@newsdesk.example"'
TOKEN_ID=$(curl -s $API/tokens -H "authorization: Bearer $TOKEN" | jq -r '.[0].id')
curl -s -X DELETE $API/tokens/$TOKEN_ID -H "authorization: Bearer $TOKEN"
status=$(command curl -s -o /dev/null -w '%{http_code}' $API/me -H "authorization: Bearer $CI_TOKEN")
[ "$status" = 401 ] || { echo "examples: a revoked token gave $status" >&2; exit 1; }

curl -s -X PATCH $API/site -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"title":"Springfield Daily","url":"https://news.example.com","article_url_template":"{url}/{year}/{slug}"}' \
  | expect "site settings" '.title == "Springfield Daily"'
curl -s "$BASE/feeds/rss.xml?tag=city-hall" | grep -q "<link>https://news.example.com/$(date -u +%Y)/council-approves-the-budget</link>" \
  || { echo "examples: the tag's RSS feed lacks the article" >&2; exit 1; }
curl -s $BASE/feeds/feed.json | expect "JSON Feed" '.version == "https://jsonfeed.org/version/1.1" and (.items | length) > 0'
curl -s $BASE/sitemap.xml | grep -q '/sitemaps/articles-1.xml</loc>' || { echo "examples: no sitemap index" >&2; exit 1; }
curl -s $BASE/sitemaps/news.xml | grep -q '<news:title>Council Approves the Budget</news:title>' \
  || { echo "examples: the news sitemap lacks the article" >&2; exit 1; }

HOOK=$(curl -s -X POST $API/webhooks -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"url":"https://93.184.215.14/hooks/newsdesk","events":["article.published","article.updated"],"active":false}' | jq -r .id)
curl -s "$API/webhooks/$HOOK/deliveries" -H "authorization: Bearer $TOKEN" | expect "an inactive webhook sends nothing" '.data | length == 0'

# --- Using the API with GraphQL ----------------------------------------------------------
GQL=$BASE/graphql
curl -s $GQL -H 'content-type: application/json' \
  -d '{"query":"{ articles(first: 20) { totalCount edges { node { slug title commentCount } } } }"}' \
  | expect "home page" '.data.articles.edges[0].node.slug == "council-approves-the-budget"'
curl -s $GQL -H 'content-type: application/json' -H 'accept: application/graphql-response+json' \
  -d '{"query":"query($slug: String!) { article(slug: $slug) { title viewCount related(limit: 3) { title excerpt } } }",
       "variables":{"slug":"council-approves-the-budget"}}' | expect "article page" '.data.article.title == "Council Approves the Budget"'
GQL_TOKEN=$(curl -s $GQL -H 'content-type: application/json' \
  -d "{\"query\":\"mutation { login(email: \\\"admin@newsdesk.example\\\", password: \\\"$PASSWORD\\\") { accessToken } }\"}" | jq -r .data.login.accessToken)
curl -s $GQL -H "authorization: Bearer $GQL_TOKEN" -H 'content-type: application/json' \
  -d '{"query":"mutation { createArticle(input: {title: \"Transit Plan Passes\", body: \"The **transit** plan passed 6-3.\", tags: [\"city-hall\"], status: PUBLISHED}) { slug version } }"}' \
  | expect "createArticle" '.data.createArticle.slug == "transit-plan-passes"'
curl -s $GQL -H "authorization: Bearer $GQL_TOKEN" -H 'content-type: application/json' \
  -d '{"query":"mutation { updateArticle(slug: \"transit-plan-passes\", input: {subtitle: \"A 6-3 vote\"}, expectedVersion: 1) { version } }"}' \
  | expect "updateArticle" '.data.updateArticle.version == 2'
# --- The editorial workflow ---------------------------------------------------------------
curl -s -X POST $API/articles -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"title":"Mayor to Step Down","body":"The mayor will resign at noon.","authors":["demo-admin","jane-doe"]}' \
  | expect "a byline of two" '[.authors[].slug] == ["demo-admin", "jane-doe"] and .author.slug == "demo-admin"'
PREVIEW=$(curl -s -X POST $API/articles/mayor-to-step-down/preview -H "authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"ttl_seconds":3600}' | jq -r .url)
curl -s "$BASE$PREVIEW" | expect "a preview of the draft, without an account" '.status == "draft"'
curl -s -X DELETE $API/articles/mayor-to-step-down/preview -H "authorization: Bearer $TOKEN"
code=$(curl -s -o /dev/null -w '%{http_code}\n' "$BASE$PREVIEW" || true)
[ "$code" = 404 ] || { echo "examples: a revoked preview gave $code" >&2; exit 1; }
curl -s -X PATCH $API/articles/mayor-to-step-down -H "authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"body":"The mayor will resign at noon toady."}' | expect "a bad edit" '.version == 2'
curl -s $API/articles/mayor-to-step-down/revisions -H "authorization: Bearer $TOKEN" | expect "two revisions" '.meta.total == 2'
curl -s -X POST $API/articles/mayor-to-step-down/revisions/1/restore -H "authorization: Bearer $TOKEN" \
  | expect "restored as a new version" '.version == 3 and .body == "The mayor will resign at noon."'
curl -s -X PATCH $API/articles/mayor-to-step-down -H "authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"status":"published","slug":"springfield-mayor-to-step-down"}' \
  | expect "renamed" '.slug == "springfield-mayor-to-step-down"'
curl -s -I $API/articles/mayor-to-step-down | grep -qi '^location: /api/v1/articles/springfield-mayor-to-step-down' \
  || { echo "examples: the old slug does not redirect" >&2; exit 1; }
echo "every example ran"
