"""The misunderstood-questions page in a real browser: Enter in a field never triggers another button."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import ChatServer
from tests.browser.test_admin_browser import sign_in


def _missed_question(page: Page, base: str, text: str) -> None:
    """A visitor's question the bot does not understand (it offers articles or a person)."""
    started = page.request.post(f"{base}/api/v1/conversations", data={"locale": "en"})
    assert started.ok, started.text()
    conversation = started.json()
    sent = page.request.post(
        f"{base}/api/v1/conversations/{conversation['id']}/messages",
        data={"text": text},
        headers={"Authorization": f"Bearer {conversation['token']}"},
    )
    assert sent.ok and sent.json()["type"] != "answer", sent.text()


def test_enter_in_the_new_intent_form_neither_deletes_nor_files_the_question(
    page: Page, chat_server: ChatServer
) -> None:
    live_server = chat_server.url  # the server with a trained model, so questions can be missed
    question = f"do you sell purple climbing ropes {uuid.uuid4().hex[:6]}"
    _missed_question(page, live_server, question)
    sign_in(page, live_server, email="admin@example.com")  # an admin sees the delete buttons too
    page.goto(f"{live_server}/admin/misunderstood")
    item = page.locator("li", has_text=question)
    expect(item).to_be_visible()
    item.get_by_role("checkbox").check()
    group = page.locator("section", has=item)
    group.get_by_text("New intent from the checked questions").click()
    new_id = group.get_by_label("Intent id")
    new_id.fill("purple_ropes")
    new_id.press("Enter")  # deleted the conversation (admin) or filed it under the guess (editor)
    page.wait_for_timeout(500)
    assert "notice=" not in page.url
    page.goto(f"{live_server}/admin/misunderstood")
    expect(page.locator("li", has_text=question)).to_be_visible()  # still there, nothing done
    # The buttons still work when clicked. Dismiss, not "Create intent": this server's intents are shared
    # with the other browser tests (a new one would stop the review test from seeding the FAQ's).
    page.locator("li", has_text=question).get_by_role("checkbox").check()
    group = page.locator("section", has=page.locator("li", has_text=question))
    group.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator("li", has_text=question)).to_have_count(0)  # out of the queue
