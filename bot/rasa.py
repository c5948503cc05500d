"""Read a Rasa project (or some of its files) as faqdesk training data, with a report of every decision.

What is read: NLU examples in Rasa 2 and 3 YAML (``nlu:``), Rasa's older Markdown (``## intent:``)
and JSON (``rasa_nlu_data``); retrieval intents (``faq/ask_price``) as intents of their own
(``faq_ask_price``) answered by their ``utter_faq/ask_price`` response; other intents answered by the
response named after them or triggered by their rules and stories (``bot.rasa_responses``). Entity
markup (``[Berlin](city)``, ``[x]{"entity": …}``) is reduced to its text. Synonyms, lookup tables and
regexes serve entity extraction, which faqdesk does not do: skipped, with a note.

An intent without a text response is imported without an answer (the bot offers articles or a person
for it until an editor writes one). An example under two intents is resolved (``bot.imported``).
Which files are read: ``bot.rasa_files`` (what ``rasa train`` reads; never tests, models, action code
or a virtualenv). A file there that fails to parse is a problem when it names Rasa data, else a note.
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
from bot.rasa_files import config_language, kind_of, names_rasa_data, project_files, project_root, unread_nlu
from bot.rasa_responses import Responses
from bot.yamlnodes import MarkedValue, YamlSyntaxError, compose_file

_ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_MD_SECTION = re.compile(r"^##\s*(intent|synonym|regex|lookup)\s*:\s*(.+?)\s*$")
# Rasa's Markdown reader drops comments before anything else and takes any of its list bullets.
_MD_COMMENT = re.compile(r"<!--[\s\S]*?--!?>")
_MD_ITEM = re.compile(r"^\s*[-*+]\s+(.+)")
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
    kinds = {kind_of(file) for file in project_files(path)}
    return "rasa" in kinds and "faqdesk" not in kinds


def read_rasa(path: str | Path, *, locale: str | None = None, strict: bool = False) -> ImportedData:
    """Read a project folder or one NLU file (its project's responses are found beside or above it).

    ``locale`` defaults to the ``language`` of the project's ``config.yml``, else ``en``.
    Raises ``TrainingDataError`` for unreadable files, no intents at all, or (``strict``) conflicts.
    """
    path = Path(path)
    if not path.exists():
        raise TrainingDataError([Problem(Location(str(path)), "no such file or folder")])
    root = path if path.is_dir() else project_root(path)
    reader = _Reader(locale or config_language(root / "config.yml" if root else None) or "en")
    for file in project_files(root) if root else [path]:
        if file.suffix in {".yml", ".yaml"}:
            reader.responses_of(file)
    files = project_files(path)
    for file in files:
        reader.nlu_of(file)
    unread = [str(file.relative_to(path)) for file in unread_nlu(path, files)]
    if unread:
        shown = ", ".join(unread[:5]) + (f" and {len(unread) - 5} more" if len(unread) > 5 else "")
        reader.imported.notes.append(f"not read, as 'rasa train' reads only domain, config and data/: {shown}")
    if reader.problems:
        raise TrainingDataError(reader.problems)
    if not reader.imported.data.intents:
        missing = Problem(Location(str(path)), "no Rasa intents found ('nlu:' with '- intent:')")
        raise TrainingDataError([*reader.unreadable, missing])
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
        self.unreadable: list[Problem] = []  # files skipped as not Rasa's: the reason when nothing is found

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
            self._unreadable(Location(str(file), exc.line), f"malformed YAML: {exc.reason}")
        except (OSError, UnicodeDecodeError) as exc:
            self._unreadable(Location(str(file)), f"cannot read file: {exc}")
        return None

    def _unreadable(self, where: Location, message: str) -> None:
        """A file meant as Rasa data that cannot be read stops the import; any other file beside it (a
        Helm template, a JSON config with comments) cannot hold training data and is only mentioned."""
        if names_rasa_data(Path(where.file)):
            self.problems.append(Problem(where, message))
        else:
            self.imported.notes.append(f"{where}: skipped, holds no Rasa data and {message}")
            self.unreadable.append(Problem(where, message))

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
            plain = _plain(examples) if examples is not None else None
            texts = _examples(plain)
            where = Location(str(file), item.line)
            if not texts and not (plain.strip() if isinstance(plain, str) else plain):
                # Rasa trains without it too (an intent being written): the rest of the project imports.
                self.imported.notes.append(f"{where}: intent '{_plain(fields['intent'])}' has no examples: skipped")
                continue
            if not texts:
                self.problems.append(Problem(where, "'examples' must be a '- ' list in a block string"))
                continue
            self._add(str(fields["intent"].value), texts, where, raw=_raw(examples))

    def _markdown(self, file: Path) -> None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self._unreadable(Location(str(file)), f"cannot read file: {exc}")
            return
        # A comment becomes as many line breaks as it spans, so the lines after it keep their numbers.
        lines = _MD_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text).splitlines()
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
            elif section and (item := _MD_ITEM.match(line)):
                texts.append(item.group(1).strip())

    def _json(self, file: Path) -> None:
        try:
            doc = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._unreadable(Location(str(file)), f"cannot read file: {exc}")
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


def read_rasa_files(files: list[tuple[str, bytes]], *, locale: str | None = None) -> ImportedData:
    """Read uploaded Rasa files (NLU, responses, domain, rules: any of a project's YAML, Markdown or JSON)
    as if they were one project folder; names are reduced to their last part.

    A ``config.yml`` among them names the language, as it does for ``faqdesk import rasa``: ``locale``
    (the upload form's choice, always sent) is for data that names none.
    """
    with tempfile.TemporaryDirectory(prefix="faqdesk-rasa-") as folder:
        root = Path(folder)
        language = None
        for number, (name, data) in enumerate(files):
            base = Path(name.replace("\\", "/")).name or "upload.yml"
            # Numbered, so two files of one name (data/nlu.yml, tests/nlu.yml) are both kept.
            target = root / f"{number:03d}-{base}"
            target.write_bytes(data)
            if base.lower() in {"config.yml", "config.yaml"}:
                language = language or config_language(target)
        imported = read_rasa(root, locale=language or locale)
    if language and locale and language != locale:
        imported.notes.insert(0, f"config.yml names the language '{language}': the files are read as '{language}'")
    return imported
