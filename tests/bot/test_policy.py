"""Every decision of the policy, on constructed predictions and on the real demo model."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.data import Intent
from bot.model import Candidate, FaqModel, Prediction
from bot.policy import ConversationState, PolicyConfig, decide, escalated

INTENTS = {
    "track_order": Intent("track_order", {"en": ["x"]}, {"en": "Track it here."}, article="tracking"),
    "shipping_times": Intent("shipping_times", {"en": ["y"]}, {"en": "2 days."}, article="shipping"),
    "shipping_costs": Intent("shipping_costs", {"en": ["z"]}, {"en": "EUR 4.95"}, article="costs"),
    "greeting": Intent("greeting", {"en": ["hi"]}, {"en": "Hello!"}, kind="smalltalk"),
    "talk_to_human": Intent("talk_to_human", {"en": ["agent"]}, {"en": "A colleague takes over."}, kind="handoff"),
}


def prediction(
    *candidates: tuple[str, float],
    confidence: float,
    options_confidence: float = 0.0,
    confirm: float = 1.01,
    related: float = 1.01,
) -> Prediction:
    return Prediction(
        text="...",
        locale="en",
        candidates=[Candidate(i, p) for i, p in candidates],
        confidence=confidence,
        options_confidence=options_confidence,
        threshold=0.8,
        options_threshold=0.7,
        confirm_threshold=confirm,
        related_threshold=related,
    )


def test_fairly_sure_of_one_intent_asks_to_confirm_it() -> None:
    p = prediction(("shipping_times", 0.95), ("shipping_costs", 0.02), confidence=0.7, confirm=0.6)
    d = decide(p, INTENTS)
    assert (d.type, d.options, d.intent) == ("clarify", ["shipping_times"], None)
    unsure = decide(prediction(("shipping_times", 0.95), confidence=0.5, confirm=0.6), INTENTS)
    assert unsure.type == "suggest"
    hello = decide(prediction(("greeting", 0.95), confidence=0.7, confirm=0.6), INTENTS)
    assert hello.type == "suggest"  # small talk is answered or left, never confirmed


def test_answer_when_confident() -> None:
    d = decide(prediction(("track_order", 0.97), ("shipping_times", 0.02), confidence=0.93), INTENTS)
    assert (d.type, d.intent, d.answer, d.article, d.counts_as_question) == (
        "answer",
        "track_order",
        "Track it here.",
        "tracking",
        True,
    )


def test_threshold_is_inclusive_and_just_below_is_not_an_answer() -> None:
    at = decide(prediction(("track_order", 0.9), ("shipping_times", 0.05), confidence=0.8), INTENTS)
    below = decide(prediction(("track_order", 0.9), ("shipping_times", 0.05), confidence=0.7999), INTENTS)
    assert at.type == "answer" and below.type == "suggest"


def test_smalltalk_is_answered_but_not_a_question() -> None:
    d = decide(prediction(("greeting", 0.99), confidence=0.95), INTENTS)
    assert (d.type, d.answer, d.counts_as_question) == ("answer", "Hello!", False)


def test_handoff_when_the_visitor_asks_for_a_person() -> None:
    d = decide(prediction(("talk_to_human", 0.99), confidence=0.9), INTENTS)
    assert (d.type, d.intent, d.answer) == ("handoff", "talk_to_human", "A colleague takes over.")


def test_clarify_with_close_candidates() -> None:
    p = prediction(
        ("shipping_times", 0.5), ("shipping_costs", 0.4), ("track_order", 0.02), confidence=0.5, options_confidence=0.9
    )
    d = decide(p, INTENTS)
    assert d.type == "clarify" and d.intent is None
    # track_order is far below the best candidate, so it is not offered.
    assert d.options == ["shipping_times", "shipping_costs"]


def test_clarify_offers_at_most_the_configured_number() -> None:
    p = prediction(
        ("shipping_times", 0.34),
        ("shipping_costs", 0.33),
        ("track_order", 0.32),
        confidence=0.3,
        options_confidence=0.9,
    )
    assert decide(p, INTENTS).options == ["shipping_times", "shipping_costs", "track_order"]
    assert decide(p, INTENTS, config=PolicyConfig(clarify_max_options=2)).options == [
        "shipping_times",
        "shipping_costs",
    ]


def test_no_clarify_when_the_set_is_not_trusted_or_only_one_is_close() -> None:
    untrusted = prediction(("shipping_times", 0.5), ("shipping_costs", 0.4), confidence=0.5, options_confidence=0.5)
    assert decide(untrusted, INTENTS).type == "suggest"
    lonely = prediction(("shipping_times", 0.9), ("shipping_costs", 0.05), confidence=0.5, options_confidence=0.95)
    assert decide(lonely, INTENTS).type == "suggest"


def test_smalltalk_is_never_a_clarify_option() -> None:
    p = prediction(("shipping_times", 0.5), ("greeting", 0.45), confidence=0.5, options_confidence=0.95)
    assert decide(p, INTENTS).type == "suggest"


def test_suggest_lists_faq_candidates_for_article_search() -> None:
    p = prediction(("shipping_times", 0.4), ("greeting", 0.1), ("track_order", 0.05), confidence=0.2)
    d = decide(p, INTENTS)
    assert (d.type, d.intent, d.options, d.failed) == ("suggest", None, ["shipping_times", "track_order"], True)


def test_a_miss_offers_the_likeliest_intents_beside_its_articles_when_one_is_fairly_surely_right() -> None:
    """Not sure enough to ask about the candidates alone, but the right one is likely among them: a miss
    offers them too ("Or did you mean ...?"), even one far below the best; never small talk or an intent
    without an answer."""
    far_apart = (("shipping_times", 0.6), ("greeting", 0.3), ("track_order", 0.05))
    likely = decide(prediction(*far_apart, confidence=0.3, options_confidence=0.6, related=0.5), INTENTS)
    assert (likely.type, likely.related, likely.failed) == ("suggest", ["shipping_times", "track_order"], True)
    assert likely.options == ["shipping_times", "track_order"]  # the article search's guesses, as before
    unlikely = decide(prediction(*far_apart, confidence=0.3, options_confidence=0.4, related=0.5), INTENTS)
    assert (unlikely.type, unlikely.related) == ("suggest", [])
    unanswered = (("newsletter", 0.6), ("shipping_costs", 0.3))
    assert decide(prediction(*unanswered, confidence=0.3, options_confidence=0.6, related=0.5), UNANSWERED).related == [
        "shipping_costs"
    ]
    # Likely enough for a question of its own: a clarifying question, not a miss.
    close = (("shipping_times", 0.5), ("shipping_costs", 0.4))
    assert decide(prediction(*close, confidence=0.3, options_confidence=0.75, related=0.5), INTENTS).type == "clarify"


def test_repeated_failure_offers_a_person_and_hands_off_only_when_nothing_can_be_suggested() -> None:
    p = prediction(("shipping_times", 0.4), ("track_order", 0.1), confidence=0.2)
    first = decide(p, INTENTS, state=ConversationState(failures=0))
    assert (first.type, first.escalate) == ("suggest", False)
    assert escalated(first) is first  # a first miss is never handed off, articles or not
    second = decide(p, INTENTS, state=ConversationState(failures=1))
    # Still a suggestion: articles and a person are offered; only with nothing to suggest does it hand off.
    assert (second.type, second.escalate) == ("suggest", True) and "2 times" in second.reason
    handed = escalated(second)
    assert (handed.type, handed.intent, handed.options) == ("handoff", None, second.options)
    assert "nothing to suggest" in handed.reason
    patient = PolicyConfig(handoff_after_failures=3)
    assert not decide(p, INTENTS, state=ConversationState(failures=1), config=patient).escalate


def test_a_confident_answer_is_given_even_after_failures() -> None:
    p = prediction(("track_order", 0.97), confidence=0.95)
    assert decide(p, INTENTS, state=ConversationState(failures=5)).type == "answer"


@pytest.mark.parametrize(
    ("text", "locale", "intent"),
    [
        ("Where is my parcel? I ordered last week", "en", "track_order"),
        ("Wie lange dauert der Versand nach Deutschland?", "de", "shipping_times"),
        ("hoe kan ik mijn wachtwoord resetten", "nl", "reset_password"),
    ],
)
def test_real_model_answers_clear_questions(demo_model: FaqModel, text: str, locale: str, intent: str) -> None:
    d = decide(demo_model.predict(text, locale=locale), demo_model.intents)
    # Until traffic says otherwise the bot assumes 30% of questions are out of scope; where that leaves
    # a clear question short of the answer threshold, it asks to confirm the intent instead of guessing.
    assert (d.type, d.intent, d.locale) == ("answer", intent, locale) or (d.type, d.options) == ("clarify", [intent])
    # With traffic that is mostly in scope, the same question is answered outright.
    calm = demo_model.with_traffic({locale: 0.05})
    assert (decide(calm.predict(text, locale=locale), calm.intents).intent, d.locale) == (intent, locale)


def test_real_model_declines_what_the_shop_does_not_cover(demo_model: FaqModel) -> None:
    for text in ("What is the capital of Peru?", "Wie backe ich einen Käsekuchen?", "wie wint de champions league"):
        assert decide(demo_model.predict(text), demo_model.intents).type in {"suggest", "clarify"}


def test_real_model_hands_off_on_request(demo_model: FaqModel) -> None:
    d = decide(demo_model.predict("Ich möchte bitte mit einem Mitarbeiter sprechen", locale="de"), demo_model.intents)
    assert (d.type, d.intent) == ("handoff", "talk_to_human")


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("Wie wird das Wetter morgen in Hamburg?", "de"),
        pytest.param(
            "Regnet es morgen?",
            "de",
            # A known weakness: short weather questions with "morgen" get "Did you mean express delivery?"
            # (confidence 0.68 against a confirmation threshold of 0.65; 3 of 6 such German questions and
            # 2 of 3 Dutch ones, 2 of 6 German before the customer-service vocabulary moved it from 0.64).
            marks=pytest.mark.xfail(strict=True, reason="time words alone lead to a confirmation"),
        ),
        ("what is the capital of france", "en"),
        ("hoe laat is het in tokyo", "nl"),
    ],
)
def test_off_topic_questions_are_neither_answered_nor_confirmed(demo_model: FaqModel, text: str, locale: str) -> None:
    d = decide(demo_model.predict(text, fallback_locale=locale), demo_model.intents)
    assert (d.type, d.locale) == ("suggest", locale)


UNANSWERED = INTENTS | {
    "book_pickup": Intent("book_pickup", {"en": ["pick up my parcel"], "de": ["Abholung"]}, {"de": "Abholung: ..."}),
    "newsletter": Intent("newsletter", {"en": ["subscribe"]}, {}, article="newsletter"),
}


def test_an_intent_without_an_answer_in_the_locale_is_never_an_answer() -> None:
    sure = decide(prediction(("newsletter", 0.99), ("track_order", 0.005), confidence=0.99), UNANSWERED)
    assert (sure.type, sure.answer, sure.intent) == ("suggest", None, None)
    assert sure.article == "newsletter" and sure.options == ["newsletter", "track_order"]
    assert sure.reason == "no answer in 'en' yet" and sure.unanswered
    # Not sure what was asked: an ordinary miss, not "no answer yet".
    unsure = decide(prediction(("newsletter", 0.6), ("track_order", 0.3), confidence=0.5), UNANSWERED)
    assert unsure.type == "suggest" and not unsure.unanswered
    # Answered in German only: a German visitor gets the answer, an English one does not.
    english = decide(prediction(("book_pickup", 0.99), confidence=0.99), UNANSWERED)
    german = decide(replace(prediction(("book_pickup", 0.99), confidence=0.99), locale="de"), UNANSWERED)
    assert english.type == "suggest" and (german.type, german.answer) == ("answer", "Abholung: ...")
    # It counts as a turn the bot could not help with: the second in a row may hand off.
    again = decide(prediction(("newsletter", 0.99), confidence=0.99), UNANSWERED, state=ConversationState(failures=1))
    assert (again.type, again.escalate) == ("suggest", True)


def test_an_intent_without_an_answer_is_neither_confirmed_nor_offered() -> None:
    confirm = decide(prediction(("newsletter", 0.95), confidence=0.7, confirm=0.6), UNANSWERED)
    assert confirm.type == "suggest"
    close = prediction(
        ("shipping_times", 0.45), ("newsletter", 0.4), ("shipping_costs", 0.15), confidence=0.5, options_confidence=0.9
    )
    assert decide(close, UNANSWERED).options == ["shipping_times", "shipping_costs"]
