"""What the bot says around its answers, per locale (answers themselves come from the training data).

The wording is in the one catalogue (``core/locales``, context "bot"), like the pages', the widget's and
a handoff's; a locale without a catalogue gets English.
"""

from __future__ import annotations

from functools import lru_cache

from core.i18n import DEFAULT_UI_LOCALE, has_catalog, translations_for


@lru_cache(maxsize=32)
def _replies(locale: str) -> dict[str, str]:
    t = translations_for(locale if has_catalog(locale) else DEFAULT_UI_LOCALE)
    texts = {
        "clarify": t.pgettext("bot", "Did you mean one of these?"),
        "confirm": t.pgettext("bot", "Is this what you are asking about?"),
        "suggest": t.pgettext(
            "bot",
            "I'm not sure I understood. These articles might help, or try asking in other words. "
            "You can also talk to a person.",
        ),
        "suggest_empty": t.pgettext(
            "bot", "I'm not sure I understood. Could you rephrase that, or would you like to talk to a person?"
        ),
        "unanswered": t.pgettext(
            "bot", "I can't answer that here yet. These articles might help, or you can talk to a person."
        ),
        "unanswered_empty": t.pgettext("bot", "I can't answer that here yet. Would you like to talk to a person?"),
        "handoff": t.pgettext(
            "bot", "Let me connect you with a person. Please leave your email address so we can reply."
        ),
        "handoff_failures": t.pgettext(
            "bot",
            "Sorry, I keep missing what you mean. Let me connect you with a person: "
            "please leave your email address so we can reply.",
        ),
        "read_more": t.pgettext("bot", "Read more"),
        "to_team": t.pgettext("bot", "Thanks, your message has been passed on to our team."),
    }
    return {key: str(text) for key, text in texts.items()}  # Babel types pgettext's result loosely


def reply(locale: str, key: str) -> str:
    """The text for ``key`` in the locale, English when the locale has no catalogue."""
    return _replies(locale)[key]
