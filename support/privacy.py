"""Masking personal data that visitors type: email addresses and phone numbers.

Visitor text leaves the conversation view in the misunderstood queue, in training examples made from
it, in the dashboard's tables and in CSV exports; all of it goes through ``mask_personal`` first.

Phone numbers are told apart from the other numbers visitors write (order numbers, dates, prices,
postcodes) by their shape, not by their length alone:

- international: ``+`` or ``00`` and a country code (``+31 6 12345678``, ``0049 170 1234567``);
- national, with the trunk prefix 0 (``030-1234567``, ``06 12345678``, ``089/123456``);
- an area code in parentheses (``(555) 123-4567``, ``(030) 1234567``);
- the North American 3-3-4 grouping (``555-123-4567``, ``1-800-555-1234``).

A bare run of digits that is none of these (``123456789``) is taken for an order or customer number,
and dates, times and amounts with a currency are set aside before phone numbers are looked for, so
their digits never join a neighbouring number.

Not the ``phonenumbers`` library (tried against tests/support/test_privacy.py, matching for NL, DE, US
and GB): at ``VALID`` it misses 5 of the 24 phone numbers (North American ones with the 555 exchange)
and masks order numbers such as ``#0612345678``; at ``POSSIBLE`` it masks 29 of the 32 order numbers,
dates, prices and postcodes that must stay; ``STRICT_GROUPING`` misses 8, ``06 12 34 56 78`` among them.
"""

from __future__ import annotations

import re

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# Dates and times: ISO (2024-01-15, 2024/01/15) and day-month-year (15.01.2024, 15-01-24), not glued to
# further digit groups (06-12-34-56-78 is a phone number, not a date followed by digits).
_DATE = re.compile(
    r"(?<![\d./-])"
    r"(?:(?P<y1>\d{4})[-./](?P<m1>\d{1,2})[-./](?P<d1>\d{1,2})"
    r"|(?P<d2>\d{1,2})[-./](?P<m2>\d{1,2})[-./](?P<y2>\d{4}|\d{2}))"
    r"(?![-./]?\d)"
)
_TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
# Amounts with a currency: € 1 234 567, 1234567890 EUR, $1,299.99.
_CURRENCY = r"(?:[€$£¥]|\b(?:EUR|USD|GBP|CHF|euros?|dollars?)\b)"
_AMOUNT = re.compile(
    rf"{_CURRENCY}\s?\d[\d.,' ]*\d|{_CURRENCY}\s?\d|(?<![\d.,'])\d[\d.,']*\s?{_CURRENCY}",
    re.IGNORECASE,
)

# A run of digit groups, each maybe in parentheses ("(0)6"), joined by one separator (space, hyphen,
# dot, slash). It never starts inside a word, after "#" (an order number) or a currency sign, and never
# ends in front of letters ("1234 AB" stays a postcode) or a decimal part (",50").
_CANDIDATE = re.compile(
    r"(?<![\w#€$£¥+/,-])"
    r"\+?(?:\(\d{1,5}\)\d*|\d+)"
    r"(?:(?:\s?[-./]\s?|\s)(?:\(\d{1,5}\)\d*|\d+))*"
    r"(?![\w€$£¥%])(?![.,]\d)"
)
_NANP = re.compile(r"(?:1[-. ])?\d{3}[-. ]\d{3}[-. ]\d{4}")
# "order 0612345678", "Bestellnummer: 0123456789": numbers named as something else are not phones.
_NAMED_NUMBER = re.compile(
    r"(?:order|bestell|auftrag|invoice|rechnung|factuur|tracking|sendung|zending|pakket|parcel|paket"
    r"|artikel|article|item|sku|ticket)\w*\s*(?:n(?:o|r|um(?:m?er)?)\.?|#|id)?\s*[:#]?\s*$",
    re.IGNORECASE,
)
_CONTEXT = 40  # how far back a name like "order number:" is looked for
# A phone number is written in at most this many groups ("+31 6 12 34 56 78" has six).
MAX_GROUPS = 8
# Placeholders for the spans set aside; visitor text never holds this private-use character.
_HOLD = "\ue000"


def _is_phone(candidate: str) -> bool:
    digits = "".join(ch for ch in candidate if ch.isdigit())
    n = len(digits)
    if candidate.startswith("+"):
        return 8 <= n <= 15  # E.164 allows at most 15 digits
    if digits.startswith("00"):
        return digits[2:3] != "0" and 10 <= n <= 17  # "00" dials out: a country code follows
    if candidate.startswith("("):
        return 9 <= n <= 13
    if digits.startswith("0"):
        return 9 <= n <= 12  # trunk prefix 0 and a national number
    return bool(_NANP.fullmatch(candidate))


def _named(before: str) -> bool:
    """Whether the text just before a number names it as something else ("order number: ...")."""
    return bool(_NAMED_NUMBER.search(before[-_CONTEXT:]))


def _mask_run(run: str, before: str) -> str:
    """Mask the phone numbers in a run of digit groups; two numbers may stand side by side in one run."""
    named = _named(before)
    if not named and _is_phone(run):
        return PHONE_MASK
    parts = re.split(r"(\s+)", run)  # groups and the spaces between them, alternating
    if len(parts) == 1:
        return run
    out: list[str] = []
    start = 0
    while start < len(parts):
        # The longest stretch of groups from here that is a phone number, else the first group as it is.
        for end in range(min(len(parts), start + 2 * MAX_GROUPS - 1), start, -2):
            if not named and _is_phone("".join(parts[start:end])):
                out.append(PHONE_MASK)
                break
        else:
            end = start + 1
            out.append(parts[start])
        if end < len(parts):
            out.append(parts[end])  # the space after it
        before = (before + "".join(out[-2:]))[-_CONTEXT:]
        named = _named(before)
        start = end + 1
    return "".join(out)


def _plausible_date(match: re.Match[str]) -> bool:
    day = match.group("d1") or match.group("d2")
    month = match.group("m1") or match.group("m2")
    return 1 <= int(day) <= 31 and 1 <= int(month) <= 12


def mask_personal(text: str) -> str:
    """The text with email addresses and phone numbers replaced by ``[email]`` and ``[phone]``."""
    text = _EMAIL.sub(EMAIL_MASK, text.replace(_HOLD, ""))
    held: list[str] = []

    def hold(match: re.Match[str]) -> str:
        held.append(match.group(0))
        return _HOLD

    text = _DATE.sub(lambda m: hold(m) if _plausible_date(m) else m.group(0), text)
    text = _TIME.sub(hold, text)
    text = _AMOUNT.sub(hold, text)

    def phone(match: re.Match[str]) -> str:
        return _mask_run(match.group(0), text[max(0, match.start() - _CONTEXT) : match.start()])

    text = _CANDIDATE.sub(phone, text)
    restored = iter(held)
    return re.sub(_HOLD, lambda _: next(restored), text)
