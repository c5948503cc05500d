"""Unsaved changes in the editors: leaving the page asks first, once a field changed and until it is saved."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from tests.browser.test_admin_browser import sign_in


@dataclass
class Tab:
    page: Page
    asked: list[str] = field(default_factory=list)  # the type of each dialog the page opened


@pytest.fixture()
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    yield context
    context.close()  # closing does not run beforeunload
    assert not errors, f"JavaScript errors: {errors}"


def tab(context: BrowserContext) -> Tab:
    page = context.new_page()
    opened = Tab(page)

    def on_dialog(dialog: Dialog) -> None:
        opened.asked.append(dialog.type)
        dialog.dismiss()  # for a "leave this page?" question: stay

    page.on("dialog", on_dialog)
    return opened


def new_draft(page: Page, base: str) -> str:
    """A new draft article; its editor's URL."""
    page.goto(f"{base}/admin/articles/new")
    page.get_by_label("Title", exact=True).fill(f"Unsaved changes {uuid.uuid4().hex[:8]}")
    page.get_by_label("Body (Markdown)").fill("A first version.")
    page.get_by_role("button", name="Create draft").click()  # submitting: no question
    expect(page.get_by_role("status")).to_have_text("Created.")
    return page.url.split("?")[0]


def leave(page: Page) -> None:
    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Articles").click()


def asked_once(opened: Tab) -> None:
    """Wait for the page's "leave this page?" question (the dialog event arrives on its own time)."""
    for _ in range(100):
        if opened.asked:
            break
        opened.page.wait_for_timeout(50)
    assert opened.asked == ["beforeunload"]


def test_leaving_the_article_editor_with_changes_asks_first(context: BrowserContext, live_server: str) -> None:
    editor = tab(context)
    page = editor.page
    sign_in(page, live_server)
    url = new_draft(page, live_server)
    assert editor.asked == []

    leave(page)  # nothing changed: no question
    expect(page).to_have_url(f"{live_server}/admin/articles")
    page.goto(url)
    page.get_by_label("Body (Markdown)").fill("A second version, not saved yet.")
    leave(page)
    asked_once(editor)
    expect(page).to_have_url(url)  # stayed
    expect(page.get_by_label("Body (Markdown)")).to_have_value("A second version, not saved yet.")

    page.get_by_role("button", name="Save").click()  # saving: no question
    expect(page.get_by_role("status")).to_have_text("Saved.")
    leave(page)
    expect(page).to_have_url(f"{live_server}/admin/articles")
    assert editor.asked == ["beforeunload"]


def test_an_edit_conflict_page_holds_unsaved_text_from_the_start(context: BrowserContext, live_server: str) -> None:
    first, second = tab(context), tab(context)
    sign_in(first.page, live_server)
    url = new_draft(first.page, live_server)
    second.page.goto(url)
    second.page.get_by_label("Body (Markdown)").fill("Saved by the second tab.")
    second.page.get_by_role("button", name="Save").click()
    expect(second.page.get_by_role("status")).to_have_text("Saved.")

    first.page.get_by_label("Body (Markdown)").fill("Written in the first tab.")  # on the version before
    first.page.get_by_role("button", name="Save").click()
    expect(first.page.get_by_role("heading", level=2, name=re.compile("^Not saved"))).to_be_visible()
    leave(first.page)  # the text in the form was never saved: ask, though nothing was typed on this page
    asked_once(first)
    expect(first.page.get_by_label("Body (Markdown)")).to_have_value("Written in the first tab.")


def test_leaving_the_categories_page_with_a_changed_category_asks_first(
    context: BrowserContext, live_server: str
) -> None:
    categories = tab(context)
    page = categories.page
    sign_in(page, live_server)
    page.goto(f"{live_server}/admin/categories")
    page.locator("form.category").first.locator("input[name=position]").fill("7")
    leave(page)
    asked_once(categories)
    expect(page).to_have_url(f"{live_server}/admin/categories")
