"""The answer-review queue's keys in Chromium: two quick keys send one label, not a second one for the same turn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Request, expect
from sqlalchemy.engine import Engine

from api.app import create_app
from core.db import make_engine, open_session, session_scope
from core.settings import Settings
from support.models import Message
from tests.admin.conftest import PASSWORD, make_settings
from tests.live import serving
from tests.support.test_review import sampled_turn


@pytest.fixture()
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """A fresh app per test: each one's turns are the whole queue."""
    settings: Settings = make_settings(tmp_path_factory.mktemp("review_keys"))
    engine = make_engine(settings.database_url)
    with serving(create_app(settings)) as url:
        yield url, engine
    engine.dispose()


def turns(engine: Engine, *questions: str) -> list[int]:
    """A sampled bot turn for each question, in queue order; their ids."""
    ids = []
    with session_scope(engine) as s:
        for key, question in enumerate(questions, start=1):
            turn = sampled_turn(s, question, key=key / 1000, decision="suggest", intent=None, sample_p=0.5)
            ids.append(turn.id or 0)
    return ids


def labels(engine: Engine, ids: list[int]) -> list[str | None]:
    with open_session(engine) as s:
        return [getattr(s.get(Message, i), "label", None) for i in ids]


def review_queue(page: Page, base: str) -> list[str]:
    """Signed in as an editor on the queue; the label posts the page sends from now on."""
    page.goto(f"{base}/admin/review")
    page.get_by_label("Email").fill("editor@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/admin/review")
    posts: list[str] = []

    def on_request(request: Request) -> None:
        if request.method == "POST":
            posts.append(request.url.removeprefix(base))

    page.on("request", on_request)
    return posts


@pytest.mark.parametrize("keys", ["nn", "on"], ids=["n-n", "o-n"])
def test_two_quick_keys_label_the_turn_once(page: Page, server: tuple[str, Engine], keys: str) -> None:
    base, engine = server
    ids = turns(engine, "where is the thing", "something else entirely")
    posts = review_queue(page, base)
    expect(page.locator("#review-question")).to_have_text("where is the thing")

    page.keyboard.press(keys[0])
    page.keyboard.press(keys[1])  # before the next page is in

    expect(page.locator("#review-question")).to_have_text("something else entirely")
    expect(page.get_by_role("status")).to_be_visible()  # "Labelled.", not the 409 page
    assert posts == [f"/admin/review/{ids[0]}"]
    assert labels(engine, ids) == [{"n": "wrong", "o": "oos"}[keys[0]], None]

    # The next turn takes keys again.
    page.keyboard.press("n")
    expect(page.locator("#review-empty")).to_be_visible()
    assert posts == [f"/admin/review/{ids[0]}", f"/admin/review/{ids[1]}"]
    assert labels(engine, ids)[1] == "wrong"
