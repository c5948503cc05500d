"""The widget's appearance: defaults, validation field by field, contrast, optimistic locking, the config
widget.js gets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.db import make_engine
from core.errors import EditConflict, FieldErrors
from helpcenter.models import MediaFile
from support import appearance
from support.appearance import AppearanceInput, WidgetAppearance

LOCALES = ["en", "de", "nl"]


def _input(**changes: object) -> AppearanceInput:
    values: dict[str, object] = {
        "accent": "#1f4e79",
        "position": "right",
        "titles": {"en": "Nordkap help", "de": "Nordkap Hilfe", "nl": ""},
        "avatar": "",
        "on_help_center": True,
    }
    return AppearanceInput(**(values | changes))  # type: ignore[arg-type]


def _save(session: Session, data: AppearanceInput, version: int | None = None) -> WidgetAppearance:
    return appearance.save_appearance(session, data=data, expected_version=version, updated_by="admin@example.com")


def test_a_fresh_database_has_the_look_the_widget_always_had(session: Session) -> None:
    look = appearance.get_appearance(session)
    assert (look.accent, look.position, look.titles, look.avatar, look.on_help_center) == (
        "#1f4e79",
        "right",
        {},
        None,
        True,
    )
    config = appearance.widget_config(session, locales=LOCALES)
    assert config == {
        "accent": "#1f4e79",
        "onAccent": "#ffffff",
        "hover": "#193e61",
        "link": "#1f4e79",
        "position": "right",
        "titles": {},
        "avatar": "",
    }
    assert appearance.chat_on_help_center(session) is True


def test_a_save_is_stored_with_a_new_version_and_reaches_the_config(session: Session) -> None:
    session.add(MediaFile(stored_name="a" * 64 + ".png", original_name="face.png", content_type="image/png", size=9))
    before = appearance.get_appearance(session).version
    saved = _save(
        session,
        _input(accent="#B00020", position="left", avatar="a" * 64 + ".png", on_help_center=False),
        version=before,
    )
    assert saved.version == before + 1
    assert (saved.accent, saved.position, saved.on_help_center) == ("#b00020", "left", False)
    assert saved.titles == {"en": "Nordkap help", "de": "Nordkap Hilfe"}  # an empty title is the default
    config = appearance.widget_config(session, locales=["en", "nl"])
    assert config["titles"] == {"en": "Nordkap help"}  # only configured locales
    assert config["avatar"] == "/media/" + "a" * 64 + ".png"
    assert config["position"] == "left"
    assert appearance.chat_on_help_center(session) is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"accent": "red"}, "accent"),
        ({"accent": "#12345"}, "accent"),
        ({"accent": "#1f4e79;}"}, "accent"),
        ({"accent": "#777777"}, "accent"),  # mid grey: neither white (4.48:1) nor dark text passes AA
        ({"position": "top"}, "position"),
        ({"titles": {"en": "x" * 61}}, "title_en"),
        ({"avatar": "missing.png"}, "avatar"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(
    session: Session, changes: dict[str, object], field: str
) -> None:
    before = appearance.get_appearance(session).version
    with pytest.raises(FieldErrors) as refused:
        _save(session, _input(**changes))
    assert list(refused.value.fields) == [field]
    assert appearance.get_appearance(session).version == before


def test_text_on_the_accent_is_white_or_dark_whichever_passes_aa() -> None:
    assert appearance.text_on("#1f4e79") == "#ffffff"
    assert appearance.text_on("#ffd400") == "#111111"  # yellow: white text would be 1.4:1
    assert appearance.text_on("#777777") is None
    assert round(appearance.contrast("#ffffff", "#000000"), 1) == 21.0
    assert round(appearance.contrast("#777777", "#ffffff"), 2) == 4.48


def test_a_light_accent_gets_dark_text_and_dark_links(session: Session) -> None:
    _save(session, _input(accent="#ffd400"))
    config = appearance.widget_config(session, locales=LOCALES)
    assert config["onAccent"] == "#111111"
    assert config["link"] == appearance.INK  # yellow links on the light bubbles would be unreadable
    assert config["hover"] == "#ffdd33"  # lighter, away from the dark text


def test_a_save_from_an_older_version_is_refused(session: Session) -> None:
    first = _save(session, _input(accent="#2e7d32"))
    with pytest.raises(EditConflict) as refused:
        _save(session, _input(accent="#b00020"), version=first.version - 1)
    assert refused.value.current_version == first.version
    assert appearance.get_appearance(session).accent == "#2e7d32"


@pytest.fixture(scope="module")
def db(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_a_write_overtaken_by_another_transaction_is_a_conflict(db: Engine) -> None:
    """Two admins saving at once: the one whose read came first, committing second, is refused."""
    with Session(db) as first, Session(db) as second:
        mine = appearance.get_appearance(first)  # read (and held, as within one request) before the other save
        _save(second, _input(accent="#2e7d32"))
        second.commit()
        with pytest.raises(EditConflict):
            _save(first, _input(accent="#b00020"))  # no version sent: only the UPDATE's check catches it
        assert mine.version == 2  # read again after the refusal: the version to start from
    with Session(db) as session:
        assert appearance.get_appearance(session).accent == "#2e7d32"
