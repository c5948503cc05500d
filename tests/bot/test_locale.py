"""The conversation's language is kept unless a message is clearly in another configured one."""

from __future__ import annotations

import pytest

from bot.locale import LocaleDetector
from bot.model import FaqModel
from bot.policy import decide


@pytest.fixture(scope="module")
def detector() -> LocaleDetector:
    return LocaleDetector(["en", "de", "nl"])


@pytest.mark.parametrize("text", ["Hallo", "Hoi", "Moin", "Danke", "ok danke", "thanks!", "Dank je wel", "Gore-Tex?"])
@pytest.mark.parametrize("current", ["en", "de", "nl"])
def test_short_messages_never_switch(detector: LocaleDetector, text: str, current: str) -> None:
    assert detector.detect(text, fallback=current) == current


@pytest.mark.parametrize(
    ("text", "current", "switched_to"),
    [
        ("Where is my parcel? I ordered it last week and nothing came", "de", "en"),
        ("Ich möchte meine Bestellung zurückschicken, wie geht das?", "nl", "de"),
        ("Hoe lang duurt het voordat mijn pakket er is?", "en", "nl"),
    ],
)
def test_a_clear_sentence_in_another_locale_switches(
    detector: LocaleDetector, text: str, current: str, switched_to: str
) -> None:
    assert detector.detect(text, fallback=current) == switched_to


@pytest.mark.parametrize(
    "text",
    [
        "<b>bold</b><script>alert(1)</script><i>italic</i>",
        "https://www.bol.com/nl/nl/p/tent-voor-vier-personen-groen/9300000012345/ ?",
        "see `git checkout main && make install` please",
        "see [link](javascript:alert(1))",
        "**bold** [link](javascript:alert(1))",
    ],
)
def test_markup_addresses_and_code_are_no_language(detector: LocaleDetector, text: str) -> None:
    assert detector.detect(text, fallback="en") == "en"
    assert detector.detect(text, fallback="de") == "de"


def test_an_english_word_in_a_dutch_sentence_keeps_dutch(detector: LocaleDetector) -> None:
    assert detector.detect("mijn account is gelockt, help", fallback="nl") == "nl"


@pytest.mark.parametrize(
    ("text", "conversation", "intent"),
    [
        ("Hoi", "de", "greeting"),
        ("Moin", "en", "greeting"),
        ("thanks!", "de", "thanks"),
        ("Danke", "nl", "thanks"),
        ("bedankt", "en", "thanks"),
    ],
)
def test_greetings_and_thanks_work_from_any_conversation(
    demo_model: FaqModel, text: str, conversation: str, intent: str
) -> None:
    prediction = demo_model.predict(text, fallback_locale=conversation)
    decision = decide(prediction, demo_model.intents)
    assert prediction.locale == conversation  # answered in the page's language
    assert (decision.type, decision.intent) == ("answer", intent)
    assert decision.answer == demo_model.intents[intent].answers[conversation]
