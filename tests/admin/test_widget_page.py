"""/admin/widget: the embed snippet and the appearance form (who may see and change it, CSRF, a refused
field shown next to it, an overtaken edit), and where a saved appearance shows: the served widget.js and
the help center's pages."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.accounts import Role
from tests.admin.conftest import csrf_token, login, make_settings

LOOK = {"accent": "#2e7d32", "position": "left", "title_en": "Nordkap help", "title_de": "", "title_nl": ""}


def _version(page: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match, "the form carries the version it shows"
    return match.group(1)


def _in_script(client: TestClient, key: str, value: object) -> bool:
    """Whether the served widget.js carries this appearance value (however the script is minified)."""
    text = client.get("/widget/v1/widget.js").text
    pattern = re.escape(json.dumps(key)) + r":\s*" + re.escape(json.dumps(value)).replace(r"\ ", r"\s*")
    return re.search(pattern, text) is not None


def _save(client: TestClient, form: dict[str, str], *, version: str | None = None) -> object:
    page = client.get("/admin/widget").text
    data = form | {"csrf_token": csrf_token(client, "/admin/widget"), "version": version or _version(page)}
    return client.post("/admin/widget", data=data)


def test_editors_see_the_snippet_and_the_api_but_cannot_change_the_look(
    as_role: Callable[[Role], TestClient],
) -> None:
    page = as_role(Role.editor).get("/admin/widget")
    assert page.status_code == 200
    html = page.text
    # The snippet: the queueing stub, then the script from this server's address, escaped in a textarea.
    assert "window.faqdesk = window.faqdesk || function () { (faqdesk.q = faqdesk.q || []).push(arguments); };" in html
    assert "&lt;script src=&#34;http://testserver/widget/v1/widget.js&#34; async&gt;&lt;/script&gt;" in html
    assert 'data-copy="snippet"' in html and '<script src="/static/widget_admin.js" defer></script>' in html
    for call in ("open", "close", "toggle", "setLocale", "identify", "onReady"):
        assert f"faqdesk(&#34;{call}&#34;" in html
    assert re.search(r"<fieldset disabled>", html), "an editor's form is read-only"
    assert '<a href="/hc/en/" target="_blank" rel="noopener">See it on the help center</a>' in html
    response = as_role(Role.editor).post(
        "/admin/widget", data=LOOK | {"csrf_token": csrf_token(as_role(Role.editor), "/admin/widget")}
    )
    assert response.status_code == 403


def test_agents_and_strangers_get_nothing(as_role: Callable[[Role], TestClient], app_client: TestClient) -> None:
    assert as_role(Role.agent).get("/admin/widget").status_code == 403
    stranger = app_client.get("/admin/widget")
    assert stranger.status_code in (303, 401) and "/admin/login" in stranger.headers.get("location", "/admin/login")


def test_a_save_without_the_csrf_token_is_refused(as_role: Callable[[Role], TestClient]) -> None:
    admin = as_role(Role.admin)
    version = _version(admin.get("/admin/widget").text)
    response = admin.post("/admin/widget", data=LOOK | {"version": version})
    assert response.status_code == 403
    assert not _in_script(admin, "accent", "#2e7d32")


def test_a_colour_that_is_not_a_colour_is_shown_next_to_its_field(as_role: Callable[[Role], TestClient]) -> None:
    admin = as_role(Role.admin)
    response = _save(admin, LOOK | {"accent": "green"})
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert re.search(r'id="accent"[^>]*aria-invalid="true" aria-describedby="accent-error"', html)
    assert '<p class="field-error" id="accent-error">Enter the colour as # and six hexadecimal digits' in html
    assert 'value="Nordkap help"' in html  # what was typed is kept
    assert not _in_script(admin, "titles", {"en": "Nordkap help"})


def test_a_colour_no_text_is_readable_on_is_refused(as_role: Callable[[Role], TestClient]) -> None:
    response = _save(as_role(Role.admin), LOOK | {"accent": "#777777"})
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Neither white nor dark text is readable on this colour" in response.text  # type: ignore[attr-defined]


def test_a_save_reaches_the_widget_and_the_help_center(as_role: Callable[[Role], TestClient]) -> None:
    admin = as_role(Role.admin)
    before = admin.get("/widget/v1/widget.js")
    assert re.search(r'<script src="/widget/v1/widget\.js" data-faqdesk-locale="de" defer>', admin.get("/hc/de/").text)
    response = _save(admin, LOOK | {"on_help_center": "1"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    script = admin.get("/widget/v1/widget.js")
    assert _in_script(admin, "accent", "#2e7d32") and _in_script(admin, "position", "left")
    assert _in_script(admin, "titles", {"en": "Nordkap help"})
    assert script.headers["etag"] != before.headers["etag"]  # a browser revalidating gets the new look
    # Unticked: the help center's pages leave the chat out.
    assert _save(admin, LOOK).status_code == 303  # type: ignore[attr-defined]
    for path in ("/hc/en/", "/hc/en/search?q=order", "/hc/nl/articles/contacting-customer-service"):
        page = admin.get(path)
        assert page.status_code == 200 and "/widget/v1/widget.js" not in page.text, path
    assert '<a href="/" target="_blank" rel="noopener">See it on the demo page</a>' in admin.get("/admin/widget").text


def test_a_save_from_an_older_version_is_a_409_that_keeps_what_was_typed(
    as_role: Callable[[Role], TestClient],
) -> None:
    admin = as_role(Role.admin)
    stale = _version(admin.get("/admin/widget").text)
    assert _save(admin, LOOK | {"accent": "#b00020", "on_help_center": "1"}).status_code == 303  # type: ignore[attr-defined]
    response = _save(admin, LOOK | {"title_en": "My title"}, version=stale)
    assert response.status_code == 409  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "someone else changed the appearance" in html and 'value="My title"' in html
    assert _version(html) == str(int(stale) + 1)  # saving the form again replaces the newer version
    assert _in_script(admin, "accent", "#b00020")


def test_the_snippet_uses_the_public_url_when_one_is_set(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, public_url="https://help.nordkap.example/")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        html = login(client, "admin@example.com").get("/admin/widget").text
    assert "https://help.nordkap.example/widget/v1/widget.js" in html


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "help.example.com", 'https://x.example/"><b>'])
def test_a_public_url_that_is_not_an_address_is_refused_at_start(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="FAQDESK_PUBLIC_URL"):
        make_settings(tmp_path, public_url=bad)


def test_hostile_titles_are_refused_or_kept_as_text(as_role: Callable[[Role], TestClient]) -> None:
    admin = as_role(Role.admin)
    nul = _save(admin, LOOK | {"title_de": "Hilfe\x00"})
    assert 400 <= nul.status_code < 500  # type: ignore[attr-defined]
    long = _save(admin, LOOK | {"title_nl": "x" * 61})
    assert long.status_code == 422  # type: ignore[attr-defined]
    assert 'id="title_nl-error">Keep the title to 60 characters or fewer.' in long.text  # type: ignore[attr-defined]
    markup = '<img src=x onerror="alert(1)">'
    assert _save(admin, LOOK | {"title_de": markup}).status_code == 303  # type: ignore[attr-defined]
    page = admin.get("/admin/widget").text
    assert markup not in page and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert _in_script(admin, "titles", {"de": markup, "en": "Nordkap help"})  # the widget sets it as text
