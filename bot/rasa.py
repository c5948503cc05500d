"""Read a Rasa project (or some of its files) as faqdesk training data, with a report of every decision.

What is read: NLU examples in Rasa 2 and 3 YAML (``nlu:``), Rasa's older Markdown (``## intent:``)
and JSON (``rasa_nlu_data``); retrieval intents (``faq/ask_price``) as intents of their own
(``faq_ask_price``) answered by their ``utter_faq/ask_price`` response; other intents answered by the
response named after them or triggered by their rules and stories (``bot.rasa_responses``). Entity
markup (``[Berlin](city)``, ``[x]{"entity": …}``) is reduced to its text. Synonyms, lookup tables and
regexes serve entity extraction, which faqdesk does not do: skipped, with a note.

An intent without a text response is imported without an answer (the bot offers articles or a person
for it until an editor writes one). An example under two intents is resolved (``bot.imported``).
Tests, models and action code are never read as training data.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bot.data import OOS, Location, TrainingData
from bot.imported import ImportedData, add_intent, intent_id, resolve_conflicts
from bot.problems import Problem, TrainingDataError
from bot.rasa_responses import Responses
from bot.yamlnodes import MarkedValue, YamlSyntaxError, compose_file

_ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_MD_SECTION = re.compile(r"^##\s*(intent|synonym|regex|lookup)\s*:\s*(.+?)\s*$")
_LOCALE = re.compile(r"^[a-z]{2,3}$")
# Folders of a Rasa project that hold no training data (test stories, trained models, action code).
SKIPPED_FOLDERS = {"tests", "test", "models", "results", "actions", ".rasa", ".git", "node_modules", "__pycache__"}
_SUFFIXES = {".yml", ".yaml", ".md", ".json"}
# Intent names Rasa projects commonly give to small talk and to asking for a person.
_SMALLTALK = {"greet", "goodbye", "bye", "thank", "thanks", "thankyou", "thank_you", "chitchat"}
_NAMES = {
    "synonym": ("synonym", "synonyms"),
    "regex": ("regex", "regexes"),
    "lookup": ("lookup table", "lookup tables"),
}
_HANDOFF = {"human_handoff", "handoff", "request_human", "talk_to_human", "speak_to_human", "ask_for_human"}


def looks_like_rasa(path: Path) -> bool:
    """Whether a file or folder holds Rasa NLU data (and, for a folder, no faqdesk ``intents:`` file)."""
    files = _files(path) if path.is_dir() else [path]
    kinds = {_kind_of(file) for file in files}
    return "rasa" in kinds and "faqdesk" not in kinds


def read_rasa(path: str | Path, *, locale: str | None = None, strict: bool = False) -> ImportedData:
    """Read a project folder or one NLU file (its project's responses are found beside or above it).

    ``locale`` defaults to the ``language`` of the project's ``config.yml``, else ``en``.
    Raises ``TrainingDataError`` for unreadable files, no intents at all, or (``strict``) conflicts.
    """
    path = Path(path)
    if not path.exists():
        raise TrainingDataError([Problem(Location(str(path)), "no such file or folder")])
    root = path if path.is_dir() else _project_root(path)
    reader = _Reader(locale or _config_language(root) or "en")
    for file in _files(root) if root else [path]:
        if file.suffix in {".yml", ".yaml"}:
            reader.responses_of(file)
    for file in _files(path) if path.is_dir() else [path]:
        reader.nlu_of(file)
    if reader.problems:
        raise TrainingDataError(reader.problems)
    if not reader.imported.data.intents:
        raise TrainingDataError([Problem(Location(str(path)), "no Rasa intents found ('nlu:' with '- intent:')")])
    return reader.finish(strict=strict)


def load_rasa_test(path: Path) -> list[dict[str, str]]:
    """A test set from Rasa's test files: NLU YAML (``rasa test nlu``) or test stories (``user:`` steps)."""
    try:
        root = compose_file(path)
    except (YamlSyntaxError, OSError, UnicodeDecodeError) as exc:
        raise TrainingDataError([Problem(Location(str(path)), f"cannot read the test file: {exc}")]) from None
    doc = _plain(root) if isinstance(root.value, dict) else {}
    rows: list[dict[str, str]] = []
    for item in doc.get("nlu") or []:
        if isinstance(item, dict) and isinstance(item.get("intent"), str):
            rows += [{"text": t, "intent": intent_id(item["intent"])} for t in _examples(item.get("examples"))]
    for story in doc.get("stories") or []:
        for step in (story.get("steps") or []) if isinstance(story, dict) else []:
            if isinstance(step, dict) and isinstance(step.get("user"), str) and isinstance(step.get("intent"), str):
                text = _ENTITY.sub(r"\1", step["user"]).strip()
                if text:
                    rows.append({"text": text, "intent": intent_id(step["intent"])})
    if not rows:
        raise TrainingDataError([Problem(Location(str(path)), "no test messages ('nlu:' examples or 'user:' steps)")])
    return rows


class _Reader:
    """Collects intents, responses, notes and problems over a project's files."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.imported = ImportedData(TrainingData())
        self.responses = Responses()
        self.problems: list[Problem] = []
        self.occurrences: Counter[tuple[str, str, str]] = Counter()
        self.skipped: Counter[str] = Counter()
        self.marked = 0
        self.composed: dict[Path, MarkedValue | None] = {}

    def responses_of(self, file: Path) -> None:
        root = self._compose(file)
        if root is not None and isinstance(root.value, dict):
            self.responses.add_file(_plain(root), file.name)

    def nlu_of(self, file: Path) -> None:
        if file.suffix == ".md":
            self._markdown(file)
        elif file.suffix == ".json":
            self._json(file)
        else:
            root = self._compose(file)
            if root is not None and isinstance(root.value, dict) and "nlu" in root.value:
                self._yaml(file, root.value["nlu"])

    def _compose(self, file: Path) -> MarkedValue | None:
        # A YAML file is read for responses and again for NLU: parse it (and report its problem) once.
        if file not in self.composed:
            self.composed[file] = self._compose_once(file)
        return self.composed[file]

    def _compose_once(self, file: Path) -> MarkedValue | None:
        try:
            return compose_file(file)
        except YamlSyntaxError as exc:
            self.problems.append(Problem(Location(str(file), exc.line), f"malformed YAML: {exc.reason}"))
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(Location(str(file)), f"cannot read file: {exc}"))
        return None

    def _yaml(self, file: Path, node: MarkedValue) -> None:
        if not isinstance(node.value, list):
            self.problems.append(Problem(Location(str(file), node.line), "'nlu' must be a list"))
            return
        for item in node.value:
            fields = item.value if isinstance(item.value, dict) else {}
            kind = next((k for k in ("intent", "synonym", "regex", "lookup") if k in fields), None)
            if kind is None:
                continue
            if kind != "intent":
                self.skipped[kind] += 1
                continue
            examples = fields.get("examples")
            texts = _examples(_plain(examples) if examples is not None else None)
            if not texts:
                where = Location(str(file), item.line)
                self.problems.append(Problem(where, "'examples' must be a '- ' list in a block string"))
                continue
            self._add(str(fields["intent"].value), texts, Location(str(file), item.line), raw=_raw(examples))

    def _markdown(self, file: Path) -> None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(Location(str(file)), f"cannot read file: {exc}"))
            return
        section: tuple[str, str, int] | None = None  # kind, name, line of the current "## kind:name"
        texts: list[str] = []
        for number, line in enumerate([*lines, "##"], start=1):
            if line.startswith("##"):
                if section and section[0] == "intent" and texts:
                    self._add(section[1], texts, Location(str(file), section[2]), raw=texts)
                elif section and section[0] != "intent":
                    self.skipped[section[0]] += 1
                match = _MD_SECTION.match(line)
                section, texts = (match.group(1), match.group(2), number) if match else None, []
            elif section and line.strip().startswith("- "):
                texts.append(line.strip()[2:])

    def _json(self, file: Path) -> None:
        try:
            doc = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.problems.append(Problem(Location(str(file)), f"cannot read file: {exc}"))
            return
        except RecursionError:  # an uploaded file of 5,000 nested '[': a problem to show, not a 500
            self.problems.append(Problem(Location(str(file)), "cannot read file: JSON nested too deeply"))
            return
        data = doc.get("rasa_nlu_data") if isinstance(doc, dict) else None
        if not isinstance(data, dict):
            return
        for key, kind in (("entity_synonyms", "synonym"), ("regex_features", "regex"), ("lookup_tables", "lookup")):
            self.skipped[kind] += len(data.get(key) or [])
        for row in data.get("common_examples") or []:
            if isinstance(row, dict) and isinstance(row.get("text"), str) and isinstance(row.get("intent"), str):
                if row.get("entities"):
                    self.marked += 1
                self._add(row["intent"], [row["text"]], Location(str(file)), raw=[])

    def _add(self, name: str, texts: list[str], where: Location, *, raw: list[str]) -> None:
        self.marked += sum(1 for text in raw if _ENTITY.search(text))
        clean = [t for t in (" ".join(_ENTITY.sub(r"\1", text).split()) for text in texts) if t]
        if name == OOS:  # faqdesk's own name for questions the bot must turn down
            self.imported.data.out_of_scope.setdefault(self.locale, []).extend(clean)
            return
        intent = add_intent(self.imported, name, where)
        intent.examples.setdefault(self.locale, []).extend(clean)
        for text in clean:
            self.occurrences[(self.locale, " ".join(text.casefold().split()), intent.id)] += 1

    def finish(self, *, strict: bool) -> ImportedData:
        imported = self.imported
        for intent in imported.data.intents.values():
            name = imported.names[intent.id]
            answer = self.responses.answer_for(name)
            if answer:
                intent.answers[self.locale] = answer
            intent.kind = _kind(name)
        imported.notes += self.responses.notes
        if self.marked:
            imported.notes.append(f"entity markup reduced to its text in {self.marked} examples")
        if self.skipped:
            what = ", ".join(f"{n} {_NAMES[kind][n > 1]}" for kind, n in sorted(self.skipped.items()))
            imported.notes.append(f"skipped {what}: faqdesk learns intents from examples and extracts no entities")
        renamed = [f"{name} → {i}" for i, name in imported.names.items() if name != i]
        if renamed:
            imported.notes.append(f"{len(renamed)} intents renamed to faqdesk ids: {', '.join(renamed)}")
        resolve_conflicts(imported, occurrences=self.occurrences, strict=strict)
        unanswered = imported.unanswered()
        if unanswered:
            imported.notes.append(
                f"{len(unanswered)} intents have no text response and are imported without an answer "
                f"(the bot offers articles or a person for them until one is written): {', '.join(unanswered)}"
            )
        return imported


def _kind(name: str) -> Any:
    base = name.casefold().split("/", 1)[0]
    if base in _SMALLTALK or name.casefold() in _SMALLTALK:
        return "smalltalk"
    return "handoff" if name.casefold() in _HANDOFF else "faq"


def _examples(value: object) -> list[str]:
    """A block string of ``- `` lines, or Rasa 3's list of ``{text: …}`` (with metadata), as texts."""
    if isinstance(value, str):
        return [line.strip()[2:] for line in value.splitlines() if line.strip().startswith("- ")]
    if isinstance(value, list):
        return [item["text"].strip() for item in value if isinstance(item, dict) and isinstance(item.get("text"), str)]
    return []


def _raw(node: MarkedValue | None) -> list[str]:
    return _examples(_plain(node)) if node is not None else []


def _plain(node: MarkedValue | None) -> Any:
    if node is None:
        return None
    if isinstance(node.value, dict):
        return {key: _plain(value) for key, value in node.value.items()}
    if isinstance(node.value, list):
        return [_plain(value) for value in node.value]
    return node.value


def _kind_of(file: Path) -> str | None:
    """'rasa', 'faqdesk' or None, from a cheap look at the file's top-level keys."""
    try:
        head = file.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return None
    if file.suffix == ".md":
        return "rasa" if re.search(r"^##\s*intent\s*:", head, re.M) else None
    if file.suffix == ".json":
        return "rasa" if '"rasa_nlu_data"' in head else None
    if re.search(r"^nlu\s*:", head, re.M):
        return "rasa"
    return "faqdesk" if re.search(r"^intents\s*:\s*$", head, re.M) and "- id:" in head else None


def _files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.suffix in _SUFFIXES and p.is_file() and not SKIPPED_FOLDERS & set(p.relative_to(folder).parts[:-1])
    ]


def _project_root(file: Path) -> Path | None:
    """The folder of a Rasa project an NLU file belongs to: the nearest with a domain or config, ≤3 up."""
    for folder in list(file.resolve().parents)[:3]:
        if any((folder / name).exists() for name in ("domain.yml", "domain.yaml", "domain", "config.yml")):
            return folder
    return None


def _config_language(root: Path | None) -> str | None:
    config = root / "config.yml" if root else None
    if config is None or not config.is_file():
        return None
    try:
        found = compose_file(config)
    except (YamlSyntaxError, OSError, UnicodeDecodeError):
        return None
    language = found.value.get("language") if isinstance(found.value, dict) else None
    code = language.value if isinstance(language, MarkedValue) else None
    return code if isinstance(code, str) and _LOCALE.match(code) else None


def read_rasa_files(files: list[tuple[str, bytes]], *, locale: str | None = None) -> ImportedData:
    """Read uploaded Rasa files (NLU, responses, domain, rules: any of a project's YAML, Markdown or JSON)
    as if they were one project folder; names are reduced to their last part."""
    with tempfile.TemporaryDirectory(prefix="faqdesk-rasa-") as folder:
        root = Path(folder)
        for number, (name, data) in enumerate(files):
            base = Path(name.replace("\\", "/")).name or "upload.yml"
            target = root / f"{number:03d}-{base}"
            target.write_bytes(data)
        return read_rasa(root, locale=locale)
