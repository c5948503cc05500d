"""The hours stated to visitors are the hours the product is configured with: the demo content's (help-center
articles, the bot's answers) agree with the default, and the help center's footer words the setting itself.
A visitor told "until 17:30" who writes at 17:15 would find nobody."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.settings import Settings
from support.hours import describe, parse

ROOT = Path(__file__).resolve().parents[2] / "training_data"
# "9:00-17:00", "9:00 bis 17:00", "9:00 to 17:00", "tussen 9:00 en 17:00", "9:00 tot 17:00"
RANGE = re.compile(r"\b(\d{1,2}):(\d{2})\s*(?:-|–|bis|to|tot|en)\s*(\d{1,2}):(\d{2})")
# A range just after the team's days states its hours; delivery cut-offs ("before 22:00") are other times.
WEEKDAYS = re.compile(r"monday|montag|maandag", re.IGNORECASE)


def _stated_ranges() -> list[tuple[str, tuple[int, int]]]:
    found = []
    for path in sorted([*ROOT.glob("articles/*/*.md"), *ROOT.glob("faq/*.yaml")]):
        text = " ".join(path.read_text(encoding="utf-8").split())  # a statement may wrap over lines
        for match in RANGE.finditer(text):
            if WEEKDAYS.search(text[max(0, match.start() - 80) : match.start()]):
                h1, m1, h2, m2 = (int(g) for g in match.groups())
                hours = (h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60)
                found.append((f"{path.relative_to(ROOT)}: {match.group(0)}", hours))
    return found


def test_the_demo_content_states_the_configured_business_hours() -> None:
    default = Settings.model_fields["business_hours"].default
    week = parse(default, "Europe/Amsterdam").week
    # The content says "Monday to Friday, closed at weekends": the configured week must be that shape.
    assert len(set(week[:5])) == 1 and len(week[0]) == 1 and week[5:] == ((), ()), default
    configured = week[0][0]
    stated = _stated_ranges()
    assert len(stated) >= 21, stated  # every statement of the team's hours, in en, de and nl
    assert [where for where, hours in stated if hours != configured] == []


@pytest.mark.parametrize(
    ("spec", "locale", "expected"),
    [
        ("mon-fri 09:00-17:00", "en", "Monday to Friday, 9:00\u202fAM – 5:00\u202fPM (Central European Time)"),
        ("mon-fri 09:00-17:00", "de", "Montag bis Freitag, 09:00 – 17:00 (Mitteleuropäische Zeit)"),
        ("mon-fri 09:00-17:00", "nl", "maandag tot en met vrijdag, 09:00 – 17:00 (Midden-Europese tijd)"),
        (
            "mon-wed 08:30-12:00,13:00-17:30; thu-fri 09:00-17:00; sun 00:00-24:00",
            "de",
            "Montag bis Mittwoch, 08:30 – 12:00, 13:00 – 17:30; Donnerstag bis Freitag, 09:00 – 17:00; "
            "Sonntag, ganztägig (Mitteleuropäische Zeit)",
        ),
        ("mon,wed 09:00-12:00", "nl", "maandag, 09:00 – 12:00; woensdag, 09:00 – 12:00 (Midden-Europese tijd)"),
        ("", "en", ""),  # nobody answers live: nothing is promised
    ],
)
def test_the_hours_are_worded_from_the_setting_in_each_language(spec: str, locale: str, expected: str) -> None:
    assert describe(parse(spec, "Europe/Amsterdam"), locale) == expected
