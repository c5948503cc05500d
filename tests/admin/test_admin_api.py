"""The admin JSON API: hashed API tokens, roles, writes that behave like the back office."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import select

from core.accounts import ApiToken, Role
from core.db import Bind, session_scope
from tests.admin.conftest import csrf_token


def new_token(client: TestClient, name: str) -> str:
    response = client.post("/admin/tokens", data={"name": name, "csrf_token": csrf_token(client, "/admin/tokens")})
    assert response.status_code == 201
    start = response.text.index('<code class="token">') + len('<code class="token">')
    return response.text[start : response.text.index("</code>", start)]


def test_tokens_are_shown_once_and_stored_hashed(as_role: Callable[[Role], TestClient], db_bind: Bind) -> None:
    token = new_token(as_role(Role.editor), "ci sync")
    assert token.startswith("fqd_") and len(token) > 40
    with session_scope(db_bind) as session:
        rows = session.exec(select(ApiToken).where(ApiToken.name == "ci sync")).all()
        assert len(rows) == 1 and rows[0].token_hash != token and token not in rows[0].token_hash
    assert token not in as_role(Role.editor).get("/admin/tokens").text


def test_write_api_needs_a_token_of_an_editor(as_role: Callable[[Role], TestClient], app_client: TestClient) -> None:
    body = {"locale": "en", "title": "API article", "body": "From **the API**."}
    missing = app_client.post("/api/v1/admin/articles", json=body)
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    wrong = app_client.post("/api/v1/admin/articles", json=body, headers={"Authorization": "Bearer fqd_nope"})
    assert wrong.status_code == 401
    agent = as_role(Role.agent)  # agents hold no tokens at all (tests/admin/test_api_tokens.py)
    refused = agent.post("/admin/tokens", data={"name": "agent token", "csrf_token": csrf_token(agent, "/admin/")})
    assert refused.status_code == 403


def test_article_life_cycle_through_the_api(as_role: Callable[[Role], TestClient], app_client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {new_token(as_role(Role.editor), 'importer')}"}
    created = app_client.post(
        "/api/v1/admin/articles",
        json={
            "locale": "en",
            "title": "Bike repairs",
            "body": "We fix bikes.",
            "category": "products-and-warranty",
            "tags": ["bikes"],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    article = created.json()
    assert (
        article["status"] == "draft" and article["slug"] == "bike-repairs" and article["author"] == "editor@example.com"
    )
    assert app_client.get("/hc/en/articles/bike-repairs").status_code == 404

    published = app_client.post(
        f"/api/v1/admin/articles/{article['id']}/status", json={"status": "published"}, headers=headers
    )
    assert published.json()["status"] == "published"
    assert "We fix bikes." in app_client.get("/hc/en/articles/bike-repairs").text

    patched = app_client.patch(
        f"/api/v1/admin/articles/{article['id']}",
        json={"body": "We fix bikes and tents.", "slug": "repairs"},
        headers=headers,
    )
    assert patched.status_code == 200 and patched.json()["slug"] == "repairs"
    assert app_client.get("/hc/en/articles/bike-repairs").headers["location"] == "/hc/en/articles/repairs"
    revisions = app_client.get(f"/api/v1/admin/articles/{article['id']}/revisions", headers=headers).json()
    assert [r["number"] for r in revisions] == [2, 1]
    restored = app_client.post(f"/api/v1/admin/articles/{article['id']}/revisions/1/restore", headers=headers)
    assert restored.json()["body"] == "We fix bikes."

    translated = app_client.post(
        "/api/v1/admin/articles",
        json={"locale": "de", "title": "Fahrradreparatur", "translation_of": article["id"], "status": "published"},
        headers=headers,
    )
    assert translated.json()["translation_group"] == article["translation_group"]
    listed = app_client.get(
        "/api/v1/admin/articles", params={"q": "bike", "status": "published"}, headers=headers
    ).json()
    assert [a["slug"] for a in listed["items"]] == ["repairs"] and listed["total"] == 1


def test_api_errors_are_clear_4xx(as_role: Callable[[Role], TestClient], app_client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {new_token(as_role(Role.admin), 'errors')}"}
    cases = [
        ("post", "/api/v1/admin/articles", {"locale": "xx", "title": "T"}, 422, "unknown locale"),
        ("post", "/api/v1/admin/articles", {"locale": "en", "title": ""}, 422, "title"),
        ("post", "/api/v1/admin/articles", {"locale": "en", "title": "T", "slug": "Bad!"}, 422, "should match pattern"),
        ("post", "/api/v1/admin/articles", {"locale": "en", "title": "T", "category": "nope"}, 404, "nope"),
        ("patch", "/api/v1/admin/articles/999999", {"title": "T"}, 404, "999999"),
        (
            "post",
            "/api/v1/admin/articles/1/status",
            {"status": "published", "publish_at": "2020-01-01T00:00:00Z"},
            422,
            "future",
        ),
        ("post", "/api/v1/admin/articles/1/status", {"status": "gone"}, 422, "status"),
        ("delete", "/api/v1/admin/categories/1", None, 409, "articles first"),  # it conflicts with its articles
        # Names the help center never shows would replace the ones it shows.
        ("post", "/api/v1/admin/categories", {"slug": "foo", "names": {"xx": "Foo"}}, 422, "unknown locale 'xx'"),
        ("patch", "/api/v1/admin/categories/1", {"names": {"xx": "Foo"}}, 422, "unknown locale 'xx'"),
        ("patch", "/api/v1/admin/categories/1", {"descriptions": {"fr": "Bof"}}, 422, "unknown locale 'fr'"),
    ]
    for method, path, body, status, words in cases:
        response = app_client.request(method, path, json=body, headers=headers)
        assert response.status_code == status, (path, body, response.text)
        assert words in response.json()["detail"], (path, response.json())
    first = app_client.get("/api/v1/admin/categories", headers=headers).json()
    assert {"en", "de", "nl"} <= set(next(c for c in first if c["id"] == 1)["names"])  # untouched


def test_revoked_tokens_stop_working(as_role: Callable[[Role], TestClient], app_client: TestClient) -> None:
    editor = as_role(Role.editor)
    token = new_token(editor, "short-lived")
    headers = {"Authorization": f"Bearer {token}"}
    assert app_client.get("/api/v1/admin/categories", headers=headers).status_code == 200
    page = editor.get("/admin/tokens").text
    marker = f"<td>short-lived</td><td><code>{token[:8]}…</code></td>"
    assert marker in page
    token_id = page.split(marker)[1].split("/admin/tokens/")[1].split("/revoke")[0]
    assert (
        editor.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(editor, "/admin/")}).status_code
        == 303
    )
    assert app_client.get("/api/v1/admin/categories", headers=headers).status_code == 401


def test_openapi_documents_the_admin_api_with_bearer_auth(app_client: TestClient) -> None:
    schema = app_client.get("/openapi.json").json()
    for path in ["/api/v1/admin/articles", "/api/v1/admin/articles/{article_id}", "/api/v1/admin/categories"]:
        assert path in schema["paths"]
    assert any(s.get("scheme") == "bearer" for s in schema["components"]["securitySchemes"].values())
    assert schema["paths"]["/api/v1/admin/articles"]["post"]["security"]
    assert not any(p.startswith("/admin") for p in schema["paths"]), "HTML pages stay out of the API schema"
