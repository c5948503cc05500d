"""The answers a Rasa project gives: its responses (``domain.yml``, ``data/responses.yml`` or any file
with ``responses:``) and which response each intent triggers (by name, or by the rules and stories).

Rasa answers an intent by whatever its rules, stories, forms or actions do; only some of that is a
text faqdesk can show. A response named after the intent (``utter_greet``, or ``utter_faq/ask_price``
for a retrieval intent) is its answer; otherwise a rule or story whose intent step is followed by an
``utter_`` action names it. Buttons and custom payloads have no place in a chat answer: noted, left out.
"""

from __future__ import annotations

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
        texts = [v["text"].strip() for v in variants if isinstance(v, dict) and isinstance(v.get("text"), str)]
        texts = [t for t in texts if t]
        extras = sorted({k for v in variants if isinstance(v, dict) for k in v if k in _LEFT_OUT})
        if not texts:
            if extras:
                self.notes.append(f"response {name} ({source}) has no text ({', '.join(extras)} only): not an answer")
            return
        self.texts[name] = texts[0]
        if len(texts) > 1:
            self.notes.append(f"response {name}: {len(texts)} variants, the first is the answer")
        if extras:
            self.notes.append(f"response {name}: {', '.join(extras)} left out (faqdesk answers with text)")

    def _add_steps(self, steps: list[Any]) -> None:
        for step, following in zip(steps, steps[1:], strict=False):
            if not (isinstance(step, dict) and isinstance(following, dict)):
                continue
            intent, action = step.get("intent"), following.get("action")
            if isinstance(intent, str) and isinstance(action, str) and action.startswith("utter_"):
                self.triggered.setdefault(intent, action)


# Parts of a Rasa response that a text answer cannot carry.
_LEFT_OUT = {"buttons", "custom", "image", "attachment", "elements", "quick_replies", "channel", "condition"}
