"""Training examples made to look like visitors' messages, for calibration only.

FAQ variants are tidy, complete questions; visitors type keywords, typos, greetings around the
question and no punctuation. An acceptor that only ever saw tidy held-out variants is over-confident
on real traffic, so calibration also scores copies of held-out examples written the visitors' way
(``visitor_style``) and learns the threshold on both. The classifiers never train on these copies.
"""

from __future__ import annotations

import re

import numpy as np

from bot.text import tokens
from core.text import language

# Greetings and sign-offs wrapped around a question, per language (English for any other).
_OPENERS = {
    "en": ("hi, quick question:", "hello", "hey there, sorry to bother you but", "good morning, I was wondering"),
    "de": ("hallo, kurze frage:", "moin", "hi, ich hätte da mal eine frage:", "guten tag, ich wollte fragen"),
    "nl": ("hoi, vraagje:", "hallo", "goedemiddag, ik heb een vraag:", "hey, ik vroeg me af"),
}
_CLOSERS = {
    "en": ("thanks!", "thx", "cheers", "thank you in advance", "pls help"),
    "de": ("danke!", "lg", "vielen dank im voraus", "gruß", "bitte um hilfe"),
    "nl": ("bedankt!", "alvast bedankt", "groetjes", "thx", "graag hulp"),
}
_KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"
_PUNCTUATION = re.compile(r"[?!.,;:]+")
STYLES = ("typos", "keywords", "chatty")


def visitor_style(text: str, locale: str, rng: np.random.Generator, style: str | None = None) -> str:
    """A copy of ``text`` as a visitor might type it: with typos, as keywords, or wrapped in chat."""
    style = style or STYLES[int(rng.integers(len(STYLES)))]
    if style == "typos":
        return typos(text, rng)
    if style == "keywords":
        return keywords(text, rng)
    return chatty(text, locale, rng)


def typos(text: str, rng: np.random.Generator, rate: float = 0.35) -> str:
    """Lowercase, no punctuation, and a slip of the finger in some longer words."""
    words = _PUNCTUATION.sub("", text.lower()).split()
    return " ".join(_slip(w, rng) if len(w) >= 4 and rng.random() < rate else w for w in words)


def _slip(word: str, rng: np.random.Generator) -> str:
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(4))
    if kind == 0:  # a letter left out
        return word[:i] + word[i + 1 :]
    if kind == 1:  # two letters swapped
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if kind == 2:  # a letter doubled
        return word[:i] + word[i] + word[i:]
    return word[:i] + _KEYBOARD[int(rng.integers(len(_KEYBOARD)))] + word[i + 1 :]  # a wrong key


def keywords(text: str, rng: np.random.Generator) -> str:
    """The two to four longest words in their order: what people type into a search box."""
    words = tokens(text)
    if len(words) <= 2:
        return " ".join(words)
    keep = min(len(words), int(rng.integers(2, 5)))
    longest = sorted(sorted(range(len(words)), key=lambda i: -len(words[i]))[:keep])
    return " ".join(words[i] for i in longest)


def chatty(text: str, locale: str, rng: np.random.Generator) -> str:
    """The question between a greeting and a sign-off, lowercased, as typed in a chat."""
    lang = language(locale)
    openers, closers = _OPENERS.get(lang, _OPENERS["en"]), _CLOSERS.get(lang, _CLOSERS["en"])
    body = text.strip()
    body = body[:1].lower() + body[1:]
    parts = [openers[int(rng.integers(len(openers)))], body]
    if rng.random() < 0.7:
        parts.append(closers[int(rng.integers(len(closers)))])
    return " ".join(parts)
