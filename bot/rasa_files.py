"""Which files of a Rasa project hold its training data, and what a file is at a glance.

A project folder is what ``rasa train`` reads by default when it has Rasa's layout (a ``data/``
folder beside ``domain.yml``, ``domain/`` or ``config.yml``): the domain, the config and ``data/``.
Any other folder is searched whole. Either way, folders that hold no project files are never entered:
hidden ones (``.venv``, ``.git``), Python environments (a ``pyvenv.cfg``; Rasa's own package ships an
example ``nlu.yml``), installed packages, tests, trained models and action code.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from bot.yamlnodes import MarkedValue, YamlSyntaxError, compose_file

# Folders of a Rasa project that hold no training data (test stories, trained models, action code),
# and folders of installed packages, which can ship a Rasa project of their own.
SKIPPED_FOLDERS = {
    "tests",
    "test",
    "models",
    "results",
    "actions",
    "node_modules",
    "site-packages",
    "dist-packages",
    "__pycache__",
}
SUFFIXES = {".yml", ".yaml", ".md", ".json"}
_DOMAIN_FILES = ("domain.yml", "domain.yaml")
_ROOT_FILES = (*_DOMAIN_FILES, "config.yml", "config.yaml")
_LOCALE = re.compile(r"^[a-z]{2,3}$")
# Top-level keys of the YAML files faqdesk reads from a Rasa project (NLU, domain, rules and stories).
_RASA_YAML = re.compile(r"^(nlu|responses|templates|intents|rules|stories)\s*:", re.M)


def project_files(path: Path) -> list[Path]:
    """The files to read, in a stable order: ``path`` itself, else its project's files (module docstring)."""
    if path.is_file():
        return [path]
    if not is_rasa_layout(path):
        return _walk(path)
    picked = [path / name for name in _ROOT_FILES if (path / name).is_file()]
    # Sorted as one list: of two responses with one name the first read wins, as before this choice.
    return sorted(picked + _walk(path / "domain") + _walk(path / "data"))


def is_rasa_layout(folder: Path) -> bool:
    """Whether ``folder`` is laid out as ``rasa init`` makes it (training data in ``data/``)."""
    return (folder / "data").is_dir() and any((folder / name).exists() for name in (*_ROOT_FILES, "domain"))


def unread_nlu(folder: Path, read: list[Path]) -> list[Path]:
    """NLU files in a project's other folders, which ``rasa train`` would not read either."""
    if not folder.is_dir() or not is_rasa_layout(folder):
        return []
    taken = set(read)
    return [file for file in _walk(folder) if file not in taken and kind_of(file) == "rasa"]


def kind_of(file: Path) -> str | None:
    """'rasa', 'faqdesk' or None, from a cheap look at the file's top-level keys."""
    head = _head(file)
    if file.suffix == ".md":
        return "rasa" if re.search(r"^##\s*intent\s*:", head, re.M) else None
    if file.suffix == ".json":
        return "rasa" if '"rasa_nlu_data"' in head else None
    if re.search(r"^nlu\s*:", head, re.M):
        return "rasa"
    return "faqdesk" if re.search(r"^intents\s*:\s*$", head, re.M) and "- id:" in head else None


def names_rasa_data(file: Path) -> bool:
    """Whether a file that failed to parse was meant as Rasa data (a problem) or is something else that
    shares the project's folder, a Helm chart's template or a ``tsconfig.json`` with comments (a note)."""
    if file.suffix == ".md":
        return kind_of(file) == "rasa"
    if file.suffix == ".json":
        return kind_of(file) == "rasa"
    return bool(_RASA_YAML.search(_head(file)))


def project_root(file: Path) -> Path | None:
    """The folder of a Rasa project an NLU file belongs to: the nearest with a domain or config, ≤3 up."""
    for folder in list(file.resolve().parents)[:3]:
        if any((folder / name).exists() for name in (*_DOMAIN_FILES, "domain", "config.yml")):
            return folder
    return None


def config_language(config: Path | None) -> str | None:
    """The ``language`` a Rasa ``config.yml`` names, when it is a plain language code."""
    if config is None or not config.is_file():
        return None
    try:
        found = compose_file(config)
    except (YamlSyntaxError, OSError, UnicodeDecodeError):
        return None
    language = found.value.get("language") if isinstance(found.value, dict) else None
    code = language.value if isinstance(language, MarkedValue) else None
    return code if isinstance(code, str) and _LOCALE.match(code) else None


def _head(file: Path) -> str:
    try:
        with file.open(encoding="utf-8", errors="replace") as stream:
            return stream.read(200_000)
    except OSError:
        return ""


def _walk(folder: Path) -> list[Path]:
    """The data files under ``folder``, never entering a skipped folder (a virtualenv is thousands of files)."""
    found: list[Path] = []
    for current, folders, files in os.walk(folder):
        here = Path(current)
        if here != folder and "pyvenv.cfg" in files:  # a virtualenv, whatever its name
            folders.clear()
            continue
        folders[:] = [name for name in folders if not name.startswith(".") and name not in SKIPPED_FOLDERS]
        found += [here / name for name in files if Path(name).suffix in SUFFIXES]
    return sorted(file for file in found if file.is_file())
