"""In-memory training data: intents with examples and answers per locale, plus out-of-scope examples."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

IntentKind = Literal["faq", "smalltalk", "handoff"]
INTENT_KINDS: tuple[str, ...] = ("faq", "smalltalk", "handoff")
OOS = "oos"
# The longest intent id: the back office's column size (support.models.FaqIntent.id).
MAX_ID_CHARS = 100


@dataclass(frozen=True)
class Location:
    """Where something was written: a file (or a named text) and, when known, the line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class Intent:
    """One FAQ intent: its question variants and answers per locale."""

    id: str
    examples: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    # The question as a "Did you mean …?" button shows it, per locale; the first example stands in.
    titles: dict[str, str] = field(default_factory=dict)
    article: str | None = None
    kind: IntentKind = "faq"
    source: Location | None = None  # where it was defined, for error messages; None when built in code

    def label(self, locale: str) -> str:
        """How the intent reads as a "Did you mean …?" button: its title in the locale, else its first
        question there (or in any locale); a training line such as "passwort vergessen" is only the fallback."""
        if title := self.titles.get(locale):
            return title
        return (self.examples.get(locale) or next(iter(self.examples.values()), [self.id]))[0]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (the faqdesk YAML shape)."""
        out: dict[str, object] = {"id": self.id}
        if self.kind != "faq":
            out["kind"] = self.kind
        if self.titles:
            out["title"] = self.titles
        if self.article:
            out["article"] = self.article
        out["examples"] = self.examples
        out["answer"] = self.answers
        return out


@dataclass
class TrainingData:
    """Intents in file order plus out-of-scope examples per locale (used to learn rejection)."""

    intents: dict[str, Intent] = field(default_factory=dict)
    out_of_scope: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # files in a folder that held no training data
    notes: list[str] = field(default_factory=list)  # what reading another tool's files decided (bot.imported)

    @property
    def locales(self) -> list[str]:
        """Locales that have at least one intent example, sorted."""
        return sorted({loc for intent in self.intents.values() for loc, ex in intent.examples.items() if ex})

    def examples(self, locale: str) -> tuple[list[str], list[str]]:
        """Texts and their intent ids for one locale."""
        texts: list[str] = []
        labels: list[str] = []
        for intent in self.intents.values():
            for text in intent.examples.get(locale, []):
                texts.append(text)
                labels.append(intent.id)
        return texts, labels

    def training_examples(self, locale: str) -> tuple[list[str], list[str]]:
        """What a locale's classifier learns from: its own examples; each FAQ intent's title in the locale,
        the question as its editors put it, which is also what a "Did you mean …?" button shows; and
        every other locale's examples of the conversational intents, so "thanks" in a German chat or
        "Hoi" on an English page is still a thank-you or a greeting (answered in the conversation's
        language)."""
        texts, labels = self.examples(locale)
        seen = set(zip(texts, labels, strict=True))
        for intent in self.intents.values():
            title = intent.titles.get(locale, "").strip()
            own = {t.casefold().strip() for t in intent.examples.get(locale, [])}
            if intent.kind == "faq" and title and title.casefold() not in own:
                seen.add((title, intent.id))
                texts.append(title)
                labels.append(intent.id)
        for intent in self.intents.values():
            if intent.kind == "faq" or not intent.examples.get(locale):
                continue
            for loc in sorted(intent.examples):
                for text in intent.examples[loc] if loc != locale else []:
                    if (text, intent.id) not in seen:
                        seen.add((text, intent.id))
                        texts.append(text)
                        labels.append(intent.id)
        return texts, labels

    def fingerprint(self) -> str:
        """A stable hash of everything training depends on."""
        payload = {
            "intents": [intent.to_dict() for intent in self.intents.values()],
            "oos": {loc: self.out_of_scope[loc] for loc in sorted(self.out_of_scope)},
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()
