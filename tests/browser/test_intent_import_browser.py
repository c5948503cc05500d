"""The intents upload in a real browser: a spreadsheet, its preview, the confirmation, the unanswered list."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, shot
from tests.browser.test_admin_browser import sign_in

ROWS = """question;answer
Do you sell gift vouchers for the shop?;Yes: vouchers from 10 to 200 euros, at the till and online.
Can I buy a voucher online?;Yes: vouchers from 10 to 200 euros, at the till and online.
Can I bring my dog into the shop?;
Are dogs allowed in your stores?;
"""


def test_an_editor_previews_and_imports_a_spreadsheet(page: Page, live_server: str, tmp_path: Path) -> None:
    sheet = tmp_path / "shop-faq.csv"
    sheet.write_text(ROWS, encoding="utf-8")
    sign_in(page, live_server)
    page.goto(f"{live_server}/admin/intents")
    page.get_by_role("link", name="Import a spreadsheet or Rasa project").click()
    page.locator("#files").set_input_files(str(sheet))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name="What the import will change")).to_be_visible()
    new_row = page.get_by_role("row", name="New")
    expect(new_row).to_contain_text("do_you_sell_gift_vouchers_for_the_shop")
    expect(page.get_by_role("row", name="Without an answer")).to_contain_text("can_i_bring_my_dog_into_the_shop")
    shot(page, "intent-import-preview")
    page.set_viewport_size(PHONE)
    shot(page, "intent-import-preview-phone")
    page.get_by_role("button", name="Import these intents").click()
    # Rows without an intent or an answer are an intent each: the voucher rows share one.
    expect(page.get_by_text("Imported: 3 created, 0 updated, 0 deleted.")).to_be_visible()
    page.get_by_role("link", name="Show them").click()
    expect(page.get_by_role("link", name="can_i_bring_my_dog_into_the_shop")).to_be_visible()
    expect(page.get_by_role("link", name="do_you_sell_gift_vouchers_for_the_shop")).to_have_count(0)
    shot(page, "intent-import-unanswered")
