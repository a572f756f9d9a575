"""Uses the Python client that openapi-python-client generated from the served OpenAPI
document, as a mobile team would: log in, create an article, read it back, list it.

    python client_check.py CLIENT_DIR BASE_URL EMAIL PASSWORD
"""
import sys
import uuid

client_dir, base, email, password = sys.argv[1:5]
sys.path.insert(0, client_dir)

from newsdesk_client import AuthenticatedClient, Client  # noqa: E402
from newsdesk_client.api.articles import create_article, get_article, list_articles  # noqa: E402
from newsdesk_client.api.auth import get_me, login  # noqa: E402
from newsdesk_client.models import Article, CreateArticle, Login, LoginResponse, Problem  # noqa: E402


def check(cond, what):
    if not cond:
        sys.exit(f"client check failed: {what}")
    print(f"ok: {what}")


anonymous = Client(base_url=base, raise_on_unexpected_status=True)
signed_in = login.sync(client=anonymous, body=Login(email=email, password=password))
check(isinstance(signed_in, LoginResponse), "login returns a token")
editor = AuthenticatedClient(base_url=base, token=signed_in.access_token, raise_on_unexpected_status=True)
check(get_me.sync(client=editor).email == email, "GET /me names the signed-in user")

refused = login.sync_detailed(client=anonymous, body=Login(email=email, password="wrong password"))
check(refused.status_code == 401 and isinstance(refused.parsed, Problem), "a wrong password is a 401 problem")

title = f"Generated client {uuid.uuid4().hex[:8]}"
made = create_article.sync(
    client=editor,
    body=CreateArticle.from_dict(
        {"title": title, "body": "Written by a **generated** client.", "status": "published"}
    ),
)
check(isinstance(made, Article) and made.title == title, "create_article returns the article")
read = get_article.sync(made.slug, client=anonymous)
check(isinstance(read, Article) and read.body_html.startswith("<p>Written by a"), "get_article reads it back, anonymously")
page = list_articles.sync(client=anonymous, q=title.split()[-1])
check(page is not None and [a.slug for a in page.data] == [made.slug], "list_articles finds it")
missing = get_article.sync_detailed("no-such-article", client=anonymous)
check(missing.status_code == 404 and isinstance(missing.parsed, Problem), "a missing article is a 404 problem")
