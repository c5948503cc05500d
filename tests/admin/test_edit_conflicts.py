"""Issue 10, "lost work": two editors save the same article, category or intent. The second save used to
overwrite the first (both got 303); now it is a 409 page that keeps the second editor's text and shows
what changed meanwhile, and the API answers a stale version with 409 and the current one. On SQLite and
PostgreSQL, over the whole app.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, func, select

from api.app import create_app
from core import accounts
from core.accounts import User
from core.db import make_engine
from core.settings import Settings
from helpcenter import articles, categories
from helpcenter.models import Article, ArticleRevision, Category
from support import intents
from support.models import FaqIntent
from tests.admin.conftest import CSRF_INPUT, login, make_settings

VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("conflicts"), database_url=database_url)


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[Any]:
    with TestClient(create_app(settings)) as running:
        yield running.app
    engine = _ENGINES.pop(settings.database_url, None)
    if engine is not None:
        engine.dispose()


_ENGINES: dict[str, Engine] = {}


def _editor(app: Any, email: str) -> TestClient:
    return login(TestClient(app, follow_redirects=False), email)


def _db(settings: Settings) -> Session:
    """A session of the test's own on the app's database (one engine per module)."""
    if settings.database_url not in _ENGINES:
        _ENGINES[settings.database_url] = make_engine(settings.database_url)
    return Session(_ENGINES[settings.database_url])


def _new_article(settings: Settings, title: str) -> int:
    with _db(settings) as session:
        article = articles.create_article(session, locale="en", title=title, body="Original text.", author="seed")
        session.commit()
        assert article.id is not None
        return article.id


class Opened:
    """An editor page as loaded: the form's CSRF token and the version it started from."""

    def __init__(self, client: TestClient, path: str, form_action: str | None = None) -> None:
        page = client.get(path)
        assert page.status_code == 200, page.text[:500]
        self.client, self.text = client, page.text
        # the version field of the form that posts to form_action (a page may hold several forms)
        start = self.text.index(f'action="{form_action}"') if form_action else 0
        csrf, version = CSRF_INPUT.search(self.text, start), VERSION_INPUT.search(self.text, start)
        assert csrf and version, f"no token or version in {path}"
        self.csrf, self.version = csrf.group(1), version.group(1)

    def post(self, path: str, **fields: str) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf, "version": self.version, **fields})


def _article_form(**fields: str) -> dict[str, str]:
    return {"title": "Returns", "slug": "", "tags": "", "intents": "", "category_id": "", "position": "0"} | fields


# --- the article editor ----------------------------------------------------------------------------


def test_the_second_of_two_article_saves_is_a_conflict_that_keeps_its_text(app: Any, settings: Settings) -> None:
    article_id = _new_article(settings, "Returns")
    path = f"/admin/articles/{article_id}"
    ann = Opened(_editor(app, "editor@example.com"), path)
    bob = Opened(_editor(app, "admin@example.com"), path)
    assert ann.version == bob.version == "1"

    saved = ann.post(path, **_article_form(slug="returns", body="Ann's text: returns within 30 days."))
    assert saved.status_code == 303
    refused = bob.post(path, **_article_form(slug="returns", body="Bob's <text> & his 14 days."))
    assert refused.status_code == 409

    page = refused.text
    assert "Bob's &lt;text&gt; &amp; his 14 days." in page  # his text, escaped, back in the editor
    assert "saved by editor@example.com" in page and "version 2" in page
    assert "<del>-Original text.</del>" in page and "<ins>+Ann&#39;s text: returns within 30 days.</ins>" in page
    assert VERSION_INPUT.findall(page) == ["2"]  # saving again now is a deliberate overwrite of version 2
    with _db(settings) as session:
        article = session.get(Article, article_id)
        assert article is not None and article.body == "Ann's text: returns within 30 days." and article.version == 2

    bob.csrf, bob.version = CSRF_INPUT.findall(page)[0], "2"
    assert bob.post(path, **_article_form(slug="returns", body="Bob's merged text.")).status_code == 303
    with _db(settings) as session:
        article = session.get(Article, article_id)
        assert article is not None and (article.body, article.version) == ("Bob's merged text.", 3)
        revisions = session.exec(select(func.count()).where(ArticleRevision.article_id == article_id)).one()
        assert revisions == 3  # every save kept: the original, Ann's and Bob's


def test_a_conflict_names_the_other_fields_the_save_would_change_back(app: Any, settings: Settings) -> None:
    article_id = _new_article(settings, "Refund rules")
    path = f"/admin/articles/{article_id}"
    ann = Opened(_editor(app, "editor@example.com"), path)
    bob = Opened(_editor(app, "admin@example.com"), path)
    ann_saves = _article_form(title="Refund rules", slug="refund-policy", tags="returns, policy", body="Original text.")
    assert ann.post(path, **ann_saves).status_code == 303
    bob_saves = _article_form(title="Refund rules", slug="refund-rules", tags="returns", body="Bob's text.")
    refused = bob.post(path, **bob_saves)  # the slug as he loaded it
    assert refused.status_code == 409
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", refused.text)
    # Title and body aside, saving again would take back Ann's slug and one of her tags: both are shown.
    assert ("Slug", "refund-policy", "refund-rules") in rows and ("Tags", "returns, policy", "returns") in rows
    assert all(name != "Position in its category" for name, _, _ in rows)  # what is the same is not listed


def test_editors_saving_at_the_same_moment_lose_nothing(app: Any, settings: Settings) -> None:
    article_id = _new_article(settings, "Raced")
    path = f"/admin/articles/{article_id}"
    opened = [Opened(_editor(app, "editor@example.com"), path) for _ in range(6)]

    def save(n: int) -> int:
        return int(opened[n].post(path, **_article_form(title="Raced", slug="raced", body=f"Editor {n}.")).status_code)

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(save, range(6)))
    assert statuses.count(303) == 1 and statuses.count(409) == 5, statuses
    with _db(settings) as session:
        article = session.get(Article, article_id)
        assert article is not None and article.version == 2
        assert article.body == f"Editor {statuses.index(303)}."


def test_restoring_a_revision_from_a_stale_page_does_not_undo_a_newer_save(app: Any, settings: Settings) -> None:
    article_id = _new_article(settings, "Warranty")
    path, history = f"/admin/articles/{article_id}", f"/admin/articles/{article_id}/revisions"
    ann = Opened(_editor(app, "editor@example.com"), path)
    assert ann.post(path, **_article_form(title="Warranty", slug="warranty", body="Two years.")).status_code == 303
    restore = f"{history}/1/restore"
    bob = Opened(_editor(app, "admin@example.com"), history, restore)  # version 2 on his page
    ann = Opened(ann.client, path)
    fix = _article_form(title="Warranty", slug="warranty", body="Two years; IMPORTANT FIX.")
    assert ann.post(path, **fix).status_code == 303  # version 3, which bob has not seen

    refused = bob.post(restore)
    assert refused.status_code == 409
    assert "you saw version 2, version 3 is saved now" in html.unescape(refused.text)
    with _db(settings) as session:
        article = session.get(Article, article_id)
        assert article is not None and (article.body, article.version) == ("Two years; IMPORTANT FIX.", 3)
    bob = Opened(bob.client, history, restore)  # the history now shows Ann's fix: restoring is deliberate
    assert bob.post(restore).status_code == 303
    with _db(settings) as session:
        article = session.get(Article, article_id)
        assert article is not None and (article.body, article.version) == ("Original text.", 4)


# --- categories and intents ---------------------------------------------------------------------------


def test_the_second_of_two_category_saves_is_a_conflict_that_keeps_its_values(app: Any, settings: Settings) -> None:
    with _db(settings) as session:
        category = categories.create_category(session, slug="gifts", names={"en": "Gifts"})
        session.commit()
        path = f"/admin/categories/{category.id}"
    ann = Opened(_editor(app, "editor@example.com"), "/admin/categories", path)
    bob = Opened(_editor(app, "admin@example.com"), "/admin/categories", path)

    assert ann.post(path, action="save", name_en="Gift cards", position="3").status_code == 303
    refused = bob.post(path, action="save", name_en="Presents", description_en="Wrapping <b>too</b>", position="3")
    assert refused.status_code == 409
    page = refused.text
    assert 'value="Presents"' in page and 'value="Wrapping &lt;b&gt;too&lt;/b&gt;"' in page
    assert "<td>name (en)</td><td>Gift cards</td><td>Presents</td>" in page
    with _db(settings) as session:
        saved = session.get(Category, category.id)
        assert saved is not None and saved.names == {"en": "Gift cards"} and saved.version == 2

    bob.csrf, bob.version = CSRF_INPUT.findall(page)[0], "2"
    assert bob.post(path, action="save", name_en="Presents", position="3").status_code == 303


def test_a_refused_category_form_comes_back_with_what_was_typed(app: Any, settings: Settings) -> None:
    """A taken slug or a missing name was a bare error page, and the names typed in every locale were gone."""
    with _db(settings) as session:
        taken = categories.create_category(session, slug="wrapping", names={"en": "Wrapping"})
        session.commit()
        path = f"/admin/categories/{taken.id}"
    ann = Opened(_editor(app, "editor@example.com"), "/admin/categories", path)
    typed = {"slug": "wrapping", "name_en": "Wrapping <paper>", "name_de": "Geschenkpapier"}
    typed["description_nl"] = "Inpakken"
    refused = ann.client.post("/admin/categories", data={"csrf_token": ann.csrf, **typed, "position": "4"})
    assert refused.status_code == 409
    new_form = refused.text[refused.text.index('action="/admin/categories" class="category"') :]
    for value in ("wrapping", "Wrapping &lt;paper&gt;", "Geschenkpapier", "Inpakken", "4"):
        assert f'value="{value}"' in new_form
    assert "a category with slug &#39;wrapping&#39; exists" in refused.text

    emptied = ann.post(path, action="save", name_en="", description_en="Paper and ribbons", position="2")
    assert emptied.status_code == 422 and "a category needs a name in at least one locale" in emptied.text
    own_form = emptied.text[emptied.text.index(f'action="{path}"') :]
    assert 'value="Paper and ribbons"' in own_form.split("</form>")[0]
    with _db(settings) as session:
        saved = session.get(Category, taken.id)
        assert saved is not None and saved.names == {"en": "Wrapping"} and saved.descriptions == {}


def test_the_second_of_two_intent_saves_is_a_conflict_that_keeps_its_text(app: Any, settings: Settings) -> None:
    with _db(settings) as session:
        intents.save_intent(
            session,
            intent_id="gift_wrap",
            kind="faq",
            article=None,
            examples={"en": ["Do you wrap gifts?"]},
            answers={"en": "Yes."},
            user="seed",
            locales=settings.locales,
        )
        session.commit()
    path = "/admin/intents/gift_wrap"
    ann = Opened(_editor(app, "editor@example.com"), path)
    bob = Opened(_editor(app, "admin@example.com"), path)
    fields = {"kind": "faq", "article": "", "examples_en": "Do you wrap gifts?"}

    assert ann.post(path, **fields, answer_en="Yes, for free.").status_code == 303
    refused = bob.post(path, **fields, answer_en="Yes, for 2 <euros>.")
    assert refused.status_code == 409
    page = html.unescape(refused.text)
    assert ">Yes, for 2 <euros>.</textarea>" in page  # his answer, back in its field
    assert "by editor@example.com" in page and "answer (en)" in page and "Yes, for free." in page
    with _db(settings) as session:
        intent = session.get(FaqIntent, "gift_wrap")
        assert intent is not None and intent.answers == {"en": "Yes, for free."} and intent.version == 2


def test_saving_an_intent_someone_deleted_meanwhile_keeps_the_text(app: Any, settings: Settings) -> None:
    with _db(settings) as session:
        intents.save_intent(
            session, intent_id="gift_tags", kind="faq", article=None, examples={"en": ["Do you add gift tags?"]},
            answers={"en": "Yes."}, user="seed", locales=settings.locales,
        )  # fmt: skip
        session.commit()
    path = "/admin/intents/gift_tags"
    ann = Opened(_editor(app, "editor@example.com"), path)
    bob = Opened(_editor(app, "admin@example.com"), path)
    assert bob.post(f"{path}/delete").status_code == 303
    fields = {"kind": "faq", "article": "", "examples_en": "Do you add gift tags?"}
    refused = ann.post(path, **fields, answer_en="Yes, handwritten <ones>.")
    assert refused.status_code == 409  # was a bare 404 page: her answer was gone
    page = html.unescape(refused.text)
    assert ">Yes, handwritten <ones>.</textarea>" in page and "someone deleted this intent" in page
    assert 'action="/admin/intents"' in refused.text  # saving again creates it, deliberately
    with _db(settings) as session:
        assert session.get(FaqIntent, "gift_tags") is None


def test_a_delete_from_a_stale_page_does_not_drop_what_another_editor_saved(app: Any, settings: Settings) -> None:
    with _db(settings) as session:
        intents.save_intent(
            session,
            intent_id="gift_box",
            kind="faq",
            article=None,
            examples={"en": ["Do you sell gift boxes?"]},
            answers={"en": "Yes."},
            user="seed",
            locales=settings.locales,
        )
        category = categories.create_category(session, slug="boxes", names={"en": "Boxes"})
        session.commit()
        category_path = f"/admin/categories/{category.id}"
    intent_path = "/admin/intents/gift_box"
    ann = Opened(_editor(app, "editor@example.com"), intent_path)
    bob = Opened(_editor(app, "admin@example.com"), intent_path, f"{intent_path}/delete")
    fields = {"kind": "faq", "article": "", "examples_en": "Do you sell gift boxes?"}
    assert ann.post(intent_path, **fields, answer_en="Yes, in three sizes.").status_code == 303
    assert bob.post(f"{intent_path}/delete").status_code == 409  # he never saw the new answer
    ann_c = Opened(_editor(app, "editor@example.com"), "/admin/categories", category_path)
    bob_c = Opened(_editor(app, "admin@example.com"), "/admin/categories", category_path)
    assert ann_c.post(category_path, action="save", name_en="Gift boxes", position="0").status_code == 303
    assert bob_c.post(category_path, action="delete").status_code == 409
    with _db(settings) as session:
        intent = session.get(FaqIntent, "gift_box")
        assert intent is not None and intent.answers == {"en": "Yes, in three sizes."}
        assert session.get(Category, category.id) is not None
    bob = Opened(_editor(app, "admin@example.com"), intent_path, f"{intent_path}/delete")
    assert bob.post(f"{intent_path}/delete").status_code == 303  # seen now, deleting is deliberate


# --- the admin JSON API -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(app: Any, settings: Settings) -> TestClient:
    with _db(settings) as session:
        user = session.exec(select(User).where(User.email == "editor@example.com")).one()
        token, _ = accounts.create_api_token(session, user=user, name="conflicts")
        session.commit()
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def test_api_patch_from_a_stale_version_is_409_with_the_current_one(api: TestClient, settings: Settings) -> None:
    article_id = _new_article(settings, "API returns")
    url = f"/api/v1/admin/articles/{article_id}"
    read = api.get(url)
    assert read.headers["etag"] == '"1"' and read.json()["version"] == 1

    first = api.patch(url, json={"body": "First.", "version": 1})
    assert first.status_code == 200 and first.json()["version"] == 2 and first.headers["etag"] == '"2"'
    stale = api.patch(url, json={"body": "Second.", "version": 1})
    assert stale.status_code == 409
    assert stale.json() == {"error": "conflict", "detail": stale.json()["detail"], "current_version": 2}
    stale_header = api.patch(url, json={"body": "Second."}, headers={"If-Match": '"1"'})
    assert stale_header.status_code == 409 and stale_header.json()["current_version"] == 2
    assert api.get(url).json()["body"] == "First."

    current = api.patch(url, json={"body": "Second, merged."}, headers={"If-Match": '"2"'})
    assert current.status_code == 200 and current.json()["version"] == 3 and current.headers["etag"] == '"3"'
    assert api.patch(url, json={"title": "Any version"}, headers={"If-Match": "*"}).json()["version"] == 4
    assert api.patch(url, json={"title": "No version"}).json()["version"] == 5  # as before: no check asked for
    for bad in ('W/"5"', '"x"', "five"):
        assert api.patch(url, json={"title": "T"}, headers={"If-Match": bad}).status_code == 422
    huge = api.patch(url, json={"title": "T"}, headers={"If-Match": '"9999999999"'})  # allowed, never saved
    assert huge.status_code == 409 and huge.json()["current_version"] == 5
    bare = api.patch(url, json={"title": "T"}, headers={"If-Match": "4"})  # the bare number is taken too
    assert bare.status_code == 409 and bare.json()["current_version"] == 5
    # Two different versions cannot both be the saved one: the older is checked, a 409 like any stale save.
    disagree = api.patch(url, json={"title": "T", "version": 4}, headers={"If-Match": '"5"'})
    assert disagree.status_code == 409 and disagree.json()["current_version"] == 5


def test_api_restore_from_a_stale_version_is_409(api: TestClient, settings: Settings) -> None:
    article_id = _new_article(settings, "API warranty")
    url = f"/api/v1/admin/articles/{article_id}"
    assert api.patch(url, json={"body": "Fixed.", "version": 1}).status_code == 200
    restore = f"{url}/revisions/1/restore"
    stale = api.post(restore, headers={"If-Match": '"1"'})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert api.get(url).json()["body"] == "Fixed."
    restored = api.post(restore, headers={"If-Match": '"2"'})
    assert restored.status_code == 200 and restored.json()["body"] == "Original text."
    assert restored.headers["etag"] == '"3"'


def test_api_category_patch_from_a_stale_version_is_409(api: TestClient) -> None:
    created = api.post("/api/v1/admin/categories", json={"slug": "api-gifts", "names": {"en": "Gifts"}}).json()
    url = f"/api/v1/admin/categories/{created['id']}"
    assert created["version"] == 1
    saved = api.patch(url, json={"names": {"en": "Gift cards"}, "version": 1})
    assert saved.status_code == 200 and saved.json()["version"] == 2 and saved.headers["etag"] == '"2"'
    stale = api.patch(url, json={"names": {"en": "Presents"}, "version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    listed = {c["slug"]: c for c in api.get("/api/v1/admin/categories").json()}
    assert listed["api-gifts"]["names"] == {"en": "Gift cards"} and listed["api-gifts"]["version"] == 2


def test_any_other_overtaken_write_is_a_409_too(api: TestClient, settings: Settings, monkeypatch: Any) -> None:
    def overtaken(*_args: object, **_kwargs: object) -> None:
        raise StaleDataError("UPDATE statement on table 'article' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(articles, "set_status", overtaken)
    article_id = _new_article(settings, "Raced status")
    answer = api.post(f"/api/v1/admin/articles/{article_id}/status", json={"status": "published"})
    assert answer.status_code == 409 and answer.json()["error"] == "conflict"


def test_openapi_describes_versions_etags_and_the_conflict(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    schemas, paths = spec["components"]["schemas"], spec["paths"]
    assert "version" in schemas["AdminArticle"]["required"] and "version" in schemas["AdminCategory"]["required"]
    assert "version" in schemas["ArticleUpdate"]["properties"] and "version" in schemas["CategoryUpdate"]["properties"]
    assert "current_version" in schemas["ConflictOut"]["properties"]
    for path in ("/api/v1/admin/articles/{article_id}", "/api/v1/admin/categories/{category_id}"):
        patch = paths[path]["patch"]
        conflict = patch["responses"]["409"]["content"]["application/json"]["schema"]
        assert conflict == {"$ref": "#/components/schemas/ConflictOut"}
        assert "ETag" in patch["responses"]["200"]["headers"]
        assert "if-match" in {p["name"].lower() for p in patch["parameters"]}
    assert "ETag" in paths["/api/v1/admin/articles/{article_id}"]["get"]["responses"]["200"]["headers"]
