"""The chat widget's appearance, set in the back office: accent colour, corner, title, avatar, and
whether the chat shows on the help center's own pages.

One row (``id = 1``, written by migration 0013) with a ``version`` for optimistic locking, like the
other rows editors change (core/versions.py). ``api/routes/widget_pages.py`` writes ``widget_config``
into widget.js as it is served, so the widget needs no request of its own to look right.

Colours are checked against WCAG 2.x contrast (AA, 4.5:1 for normal text): the widget's text on the
accent is white or near-black, whichever is readable, and a colour on which neither is readable is
refused. Where the accent is text on a light background (links, outline buttons), a colour too light
for that is replaced by the widget's ink colour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Column, Integer
from sqlmodel import Field, Session, SQLModel, select

from core.clock import utcnow
from core.errors import FieldErrors
from core.i18n import N_
from core.versions import check_version, flush_edit
from helpcenter.models import MediaFile

DEFAULT_ACCENT = "#1f4e79"
LIGHT_TEXT = "#ffffff"
DARK_TEXT = "#111111"
INK = "#1c2430"  # the widget's body text colour
BUBBLE = "#eef2f6"  # the background of the bot's bubbles, where links take the accent
AA_CONTRAST = 4.5
POSITIONS = ("right", "left")
TITLE_MAX = 60  # the message below says so
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

_APPEARANCE_VERSION = Column("version", Integer, nullable=False)


class WidgetAppearance(SQLModel, table=True):
    """How the widget looks on every site that embeds it (one row)."""

    __tablename__ = "widget_appearance"
    __mapper_args__ = {"version_id_col": _APPEARANCE_VERSION}

    id: int = Field(default=1, primary_key=True)
    accent: str = Field(default=DEFAULT_ACCENT, max_length=7)  # #rrggbb
    position: str = Field(default="right", max_length=8)  # right | left
    # The panel's title per locale; a locale without one shows the catalogue's "Help".
    titles: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    avatar: str | None = Field(default=None, max_length=80)  # a media_file stored_name, or none
    on_help_center: bool = True  # the chat on the help center's own pages
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=254)
    version: int = Field(default=1, sa_column=_APPEARANCE_VERSION)


# ---- contrast (WCAG 2.x relative luminance) ----


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` colour."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_on(accent: str) -> str | None:
    """The text colour readable on ``accent`` (white preferred), or None when neither passes AA."""
    for text in (LIGHT_TEXT, DARK_TEXT):
        if contrast(accent, text) >= AA_CONTRAST:
            return text
    return None


def _mix(colour: str, other: str, share: float) -> str:
    channels = (round(int(colour[i : i + 2], 16) * (1 - share) + int(other[i : i + 2], 16) * share) for i in (1, 3, 5))
    return "#" + "".join(f"{c:02x}" for c in channels)


# ---- reading and saving ----


def get_appearance(session: Session) -> WidgetAppearance:
    """The saved appearance, or the defaults (unsaved) when the row is missing."""
    row = session.get(WidgetAppearance, 1)
    return row if row is not None else WidgetAppearance()


@dataclass(frozen=True)
class AppearanceInput:
    """What the back-office form sends, as typed."""

    accent: str
    position: str
    titles: dict[str, str]
    avatar: str  # a stored name, or "" for none
    on_help_center: bool


def _problems(session: Session, data: AppearanceInput) -> dict[str, str]:
    # English, marked for the catalogue: the page shows each in the back office's language.
    problems: dict[str, str] = {}
    if not _HEX.match(data.accent.strip()):
        problems["accent"] = N_("Enter the colour as # and six hexadecimal digits, for example #1f4e79.")
    elif text_on(data.accent.strip()) is None:
        problems["accent"] = N_(
            "Neither white nor dark text is readable on this colour (WCAG AA asks for a contrast of 4.5:1): "
            "choose a darker or a lighter shade."
        )
    if data.position not in POSITIONS:
        problems["position"] = N_("Choose bottom right or bottom left.")
    for locale, title in data.titles.items():
        if len(title.strip()) > TITLE_MAX:
            problems[f"title_{locale}"] = N_("Keep the title to 60 characters or fewer.")
    if data.avatar and session.exec(select(MediaFile).where(MediaFile.stored_name == data.avatar)).first() is None:
        problems["avatar"] = N_("Choose an image from the image library, or none.")
    return problems


def save_appearance(
    session: Session, *, data: AppearanceInput, expected_version: int | None, updated_by: str
) -> WidgetAppearance:
    """Validate and save the appearance; every refused field is named (``FieldErrors``), and a save made
    from an older version than the one saved now is an ``EditConflict`` with nothing written."""
    row = session.get(WidgetAppearance, 1)
    if row is None:  # a database whose row was removed: start again from the defaults
        row = WidgetAppearance()
        session.add(row)
        session.flush()
    check_version(row, expected_version, what="The widget's appearance")
    problems = _problems(session, data)
    if problems:
        raise FieldErrors(problems)
    row.accent = data.accent.strip().lower()
    row.position = data.position
    row.titles = {locale: title.strip() for locale, title in data.titles.items() if title.strip()}
    row.avatar = data.avatar or None
    row.on_help_center = data.on_help_center
    row.updated_at = utcnow()
    row.updated_by = updated_by
    session.add(row)
    flush_edit(session, row, what="The widget's appearance")
    return row


def chat_on_help_center(session: Session) -> bool:
    """Whether the help center's pages carry the chat widget."""
    return get_appearance(session).on_help_center


def widget_config(session: Session, *, locales: list[str]) -> dict[str, object]:
    """What widget.js needs to look as saved (see ``config_of``)."""
    return config_of(get_appearance(session), locales=locales)


def config_of(row: WidgetAppearance, *, locales: list[str]) -> dict[str, object]:
    """An appearance as widget.js takes it: colours (the accent, text on it, its hover shade, the accent
    as text on light backgrounds), the corner, titles of the configured locales, the avatar's path."""
    accent = row.accent if _HEX.match(row.accent) and text_on(row.accent) else DEFAULT_ACCENT
    on_accent = text_on(accent) or LIGHT_TEXT
    # Hovering moves the accent away from its text colour, so the contrast only grows.
    hover = _mix(accent, "#000000" if on_accent == LIGHT_TEXT else "#ffffff", 0.2)
    link = accent if contrast(accent, BUBBLE) >= AA_CONTRAST else INK
    return {
        "accent": accent,
        "onAccent": on_accent,
        "hover": hover,
        "link": link,
        "position": row.position if row.position in POSITIONS else "right",
        "titles": {locale: row.titles[locale] for locale in locales if row.titles.get(locale)},
        "avatar": f"/media/{row.avatar}" if row.avatar else "",
    }
