"""The password policy: every way a password is set (admin UI, CLI) goes through it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from core import accounts
from core.accounts import Role
from core.errors import ValidationError
from core.resources import common_passwords
from faqdesk.cli import app as cli


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "at least 12 characters"),
        ("Tr0ub4dor&3", "at least 12 characters"),  # 11: long enough until now
        ("aaaaaaaaaa", "at least 12 characters"),
        ("aaaaaaaaaaaa", "mostly one repeated character"),
        ("aaaaaaaaaaaaaaaaaaaaaaa1", "mostly one repeated character"),
        ("xy" + "!" * 10, "mostly one repeated character"),
        ("abcabcabcabc", "repeats one short sequence"),
        ("PasswordPassword", "repeats one short sequence"),
        ("qwerty123456", "commonly used"),
        ("1Q2W3E4R5T6Y", "commonly used"),  # compared without case
        ("password1234", "commonly used"),
        ("jane.doe-likes-tea", "email address"),
        ("Mondays at JaneDoe HQ", "email address"),  # the name without its dot
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        accounts.check_password(password, email="jane.doe@example.com")


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "Tr0ub4dor&3x", "vier kleine tulpen", "jd@example-with-a-twist"],
)
def test_long_varied_passwords_are_accepted(password: str) -> None:
    accounts.check_password(password, email="jane.doe@example.com")


def test_a_short_email_name_is_not_a_reason_to_refuse() -> None:
    accounts.check_password("jo nailed it again", email="jo@example.com")  # "jo" is too short to count


def test_the_shipped_list_is_the_full_common_passwords_list() -> None:
    words = common_passwords()
    assert len(words) > 19_000 and {"123456", "password", "qwertyuiop", "1q2w3e4r5t6y"} <= words
    assert all(w == w.lower().strip() for w in words)


def test_create_user_applies_the_policy(session: Session) -> None:
    with pytest.raises(ValidationError, match="at least 12"):
        accounts.create_user(session, email="weak@example.com", password="aaaaaaaaaa", role=Role.editor)
    with pytest.raises(ValidationError, match="email address"):
        accounts.create_user(session, email="oscar@example.com", password="Oscar-and-something-else", role=Role.editor)
    accounts.create_user(session, email="oscar@example.com", password="a sound passphrase", role=Role.editor)


def test_the_cli_refuses_a_weak_password_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQDESK_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FAQDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    args = ["create-user", "--email", "admin@example.com", "--role", "admin", "--password-stdin"]
    weak = CliRunner().invoke(cli, args, input="aaaaaaaaaa\n")
    assert weak.exit_code == 2 and "at least 12 characters" in weak.output
    strong = CliRunner().invoke(cli, args, input="a sound passphrase\n")
    assert strong.exit_code == 0, strong.output
