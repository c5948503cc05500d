"""Data shipped with core: the list of common passwords that the password policy refuses.

``common-passwords.txt.gz`` is Django's list (``django/contrib/auth/common-passwords.txt.gz`` of
Django 5.2.19, byte for byte; sha256 3c1baed62596de36860824eb3f436d5932d37ca8b06e59df78f5a44ec175afe4):
the 20,000 most frequent passwords of leaked sets, compiled by Royce Williams, lower-cased, one a line.
It is the list Django's ``CommonPasswordValidator`` uses, so it is maintained for exactly this job; its
licence (BSD-3-Clause) is ``common-passwords.LICENSE`` beside it. Copied rather than depending on Django,
which would bring a whole web framework for one data file; nothing is downloaded at run time.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

_COMMON_PASSWORDS = Path(__file__).parent / "common-passwords.txt.gz"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The common passwords, lower-cased (read once per process, about 1 MB in memory)."""
    with gzip.open(_COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())
