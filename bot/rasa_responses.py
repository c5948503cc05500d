"""The answers a Rasa project gives: its responses (``domain.yml``, ``data/responses.yml`` or any file
with ``responses:``) and which response each intent triggers (by name, or by the rules and stories).

Rasa answers an intent by whatever its rules, stories, forms or actions do; only some of that is a
text faqdesk can show. A response named after the intent (``utter_greet``, or ``utter_faq/ask_price``
for a retrieval intent) is its answer; otherwise a rule or story whose intent step is followed by an
``utter_`` action names it. Buttons and custom payloads have no place in a chat answer: noted, left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Responses:
    """Text of each response by name (``utter_…``), what was left out of them, and the intent → response
    pairs that rules and stories show."""

    texts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    triggered: dict[str, str] = field(default_factory=dict)

    def add_file(self, doc: dict[str, Any], source: str) -> None:
        """Take the responses (Rasa 2/3 ``responses:``, Rasa 1 ``templates:``) and story steps of one file."""
        for key in ("responses", "templates"):
            block = doc.get(key)
            if isinstance(block, dict):
                for name, variants in block.items():
                    if isinstance(name, str) and name.startswith("utter_"):
                        self._add_response(name, variants, source)
        for key in ("rules", "stories"):
            block = doc.get(key)
            if isinstance(block, list):
                for item in block:
                    steps = item.get("steps") if isinstance(item, dict) else None
                    if isinstance(steps, list):
                        self._add_steps(steps)

    def answer_for(self, intent_name: str) -> str | None:
        """The response that answers ``intent_name``: named after it, else the one its rules trigger."""
        name = f"utter_{intent_name}"
        if name in self.texts:
            return self.texts[name]
        triggered = self.triggered.get(intent_name)
        return self.texts.get(triggered) if triggered else None

    def _add_response(self, name: str, variants: object, source: str) -> None:
        if name in self.texts or not isinstance(variants, list):
            return
        given = [v for v in variants if isinstance(v, dict)]
        texted = [v for v in given if isinstance(v.get("text"), str) and v["text"].strip()]
        extras = sorted({k for v in given for k in v if k in _LEFT_OUT})
        if not texted:
            if extras:
                self.notes.append(f"response {name} ({source}) has no text ({', '.join(extras)} only): not an answer")
            return
        # Rasa sends a channel's or a condition's variant only there or then: the answer for everyone is
        # a variant without either, and of those one that needs no slot filled, as faqdesk fills none.
        general = [v for v in texted if not _only_sometimes(v)] or texted
        chosen = next((v for v in general if not _SLOT.search(v["text"])), general[0])
        answer = chosen["text"].strip()
        if _SLOT.search(answer):
            answer = _without_slots(answer)
            slots = ", ".join("{" + slot + "}" for slot in dict.fromkeys(_SLOT.findall(chosen["text"])))
            if not answer:
                self.notes.append(f"response {name}: only {slots}, which faqdesk cannot fill: not an answer")
                return
            self.notes.append(f"response {name}: {slots} left out of the answer (faqdesk fills no slots): {answer!r}")
        self.texts[name] = answer
        self._note_choice(name, texted, chosen)
        if extras:
            self.notes.append(f"response {name}: {', '.join(extras)} left out (faqdesk answers with text)")

    def _note_choice(self, name: str, texted: list[dict[str, Any]], chosen: dict[str, Any]) -> None:
        """Say which variant answers and what the ones left out were for."""
        if len(texted) == 1:
            return
        others = [f"the one {_variant_for(v)}" for v in texted if v is not chosen and _only_sometimes(v)]
        left = f"; left out: {', '.join(others)}" if others else ""
        if _only_sometimes(chosen):
            which = f"each is for a channel or condition: the first, {_variant_for(chosen)}, is the answer"
        elif texted.index(chosen) == 0:
            which = "the first is the answer"
        else:
            which = f"the answer is variant {texted.index(chosen) + 1}, the first with no channel, condition or slot"
        self.notes.append(f"response {name}: {len(texted)} variants, {which}{left}")

    def _add_steps(self, steps: list[Any]) -> None:
        for step, following in zip(steps, steps[1:], strict=False):
            if not (isinstance(step, dict) and isinstance(following, dict)):
                continue
            intent, action = step.get("intent"), following.get("action")
            if isinstance(intent, str) and isinstance(action, str) and action.startswith("utter_"):
                self.triggered.setdefault(intent, action)


# Parts of a Rasa response that a text answer cannot carry.
_LEFT_OUT = {"buttons", "custom", "image", "attachment", "elements", "quick_replies"}
# A slot Rasa fills in when it sends the response ("Hi {name}!").
_SLOT = re.compile(r"\{([A-Za-z_][\w.-]*)\}")


def _only_sometimes(variant: dict[str, Any]) -> bool:
    return bool(variant.get("channel") or variant.get("condition"))


def _variant_for(variant: dict[str, Any]) -> str:
    """What a variant is for, in a few words: "for channel 'slack'", "for slot vip = True"."""
    parts = [f"channel '{variant['channel']}'"] if variant.get("channel") else []
    conditions = variant.get("condition")
    for condition in conditions if isinstance(conditions, list) else []:
        if isinstance(condition, dict) and condition.get("name"):
            parts.append(f"slot {condition['name']} = {condition.get('value')}")
    return "for " + (" and ".join(parts) or "a condition")


def _without_slots(text: str) -> str:
    """The text with its slot placeholders and the space before them taken out, punctuation mended:
    "Hi {name}!" → "Hi!", "As a VIP, {first_name}, you get …" → "As a VIP, you get …"."""
    text = _SLOT.sub("", text)
    text = re.sub(r"[ \t]+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:[ \t]*[,;:])+", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"^[\s,;:]+", "", text).rstrip()
    return text[:1].upper() + text[1:]
