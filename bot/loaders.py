"""Load training data from faqdesk YAML, a Rasa project (``bot.rasa``) and JSON lines.

Every problem is collected with its file, line and intent and raised together as one
``TrainingDataError``, so an editor fixes a file in one pass and never sees a traceback.

An intent may lack an answer in a locale (imported from Rasa or a spreadsheet, or not translated
yet): it is trained, so its questions are recognised, and the policy offers articles or a person
for it (``bot.policy``) until an editor writes the answer.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from bot.data import INTENT_KINDS, Intent, IntentKind, Location, TrainingData
from bot.jsonl import load_jsonl
from bot.problems import Problem, TrainingDataError
from bot.rasa import looks_like_rasa, read_rasa
from bot.yamlnodes import MarkedValue, YamlSyntaxError, compose_file, compose_text

_ID = re.compile(r"^[a-z0-9_]+$")
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_INTENT_KEYS = {"id", "kind", "title", "article", "examples", "answer"}


def load_training_data(
    path: str | Path, *, locale: str | None = None, locales: Collection[str] | None = None
) -> TrainingData:
    """Load a file or folder in any supported format and validate it.

    Args:
        path: a faqdesk YAML file, a ``.jsonl`` file, a folder of YAML files, or a Rasa project (folder
            or NLU file; its conflicts are resolved and reported in ``notes``, as ``faqdesk import rasa`` does).
        locale: locale of Rasa NLU data (default: its ``config.yml`` language) and of JSON lines without one.
        locales: allowed locales; ``None`` accepts any well-formed locale code.
    """
    path = Path(path)
    problems: list[Problem] = []
    data = TrainingData()
    if not path.exists():
        raise TrainingDataError([Problem(_at(path, None), "no such file or folder")])
    if looks_like_rasa(path):
        imported = read_rasa(path, locale=locale)
        data = imported.data
        data.notes = imported.notes + imported.decisions
        return _checked(data, problems, locales=locales)
    files = _data_files(path)
    if not files:
        raise TrainingDataError([Problem(_at(path, None), "no .yaml or .yml files found")])
    for file in files:
        if file.suffix == ".jsonl":
            load_jsonl(file, data, problems, default_locale=locale)
        else:
            _load_yaml(file, data, problems, rasa_locale=locale, in_folder=path.is_dir())
    if not data.intents and not problems:
        problems.append(Problem(_at(path, None), "no intents found (faqdesk 'intents:' or Rasa 'nlu:')"))
    return _checked(data, problems, locales=locales)


def load_training_text(text: str, *, source: str = "<text>", locales: Collection[str] | None = None) -> TrainingData:
    """Load and validate faqdesk YAML given as text (an upload, the database's export).

    The same code path as a faqdesk YAML file, so the rules and the located problems are the same;
    ``source`` names the text in problems (``source:line``). Rasa NLU needs its ``domain.yml`` beside
    it and is accepted from files only.
    """
    problems: list[Problem] = []
    data = TrainingData()
    try:
        root = compose_text(text)
    except YamlSyntaxError as exc:
        raise TrainingDataError([Problem(Location(source, exc.line), f"malformed YAML: {exc.reason}")]) from None
    if isinstance(root.value, dict) and "intents" in root.value:
        _load_faqdesk(Path(source), root.value["intents"], data, problems)
    else:
        problems.append(
            Problem(Location(source, root.line), "expected a mapping with a top-level 'intents:' key (faqdesk YAML)")
        )
    if not data.intents and not problems:
        problems.append(Problem(Location(source, None), "no intents found"))
    return _checked(data, problems, locales=locales)


def validate_training_data(data: TrainingData, *, locales: Collection[str] | None = None) -> None:
    """Check intents built in code (not parsed from YAML) with the rules a faqdesk YAML file obeys.

    Raises ``TrainingDataError``; problems carry the intent id and whatever ``Intent.source`` says.
    """
    problems: list[Problem] = []
    for intent in data.intents.values():
        where = intent.source
        if not _ID.match(intent.id):
            problems.append(Problem(where, "id must match [a-z0-9_]+", intent.id))
        if intent.kind not in INTENT_KINDS:
            problems.append(Problem(where, f"kind must be one of {', '.join(INTENT_KINDS)}", intent.id))
        for loc, texts in intent.examples.items():
            if any(not text.strip() for text in texts):
                problems.append(Problem(where, f"examples of '{loc}': entries must be non-empty text", intent.id))
        for key, texts_by_locale in (("answer", intent.answers), ("title", intent.titles)):
            for loc, text in texts_by_locale.items():
                if not text.strip():
                    problems.append(Problem(where, f"{key} for '{loc}' must be non-empty text", intent.id))
    _checked(data, problems, locales=locales)


def _at(file: Path | str, line: int | None) -> Location:
    return Location(str(file), line)


def _data_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    # A folder holds YAML sources (JSON lines are test sets there); domain.yml holds Rasa responses,
    # read alongside the NLU files rather than as data.
    found = [p for p in sorted(path.rglob("*")) if p.suffix in {".yaml", ".yml"}]
    return [p for p in found if p.is_file() and p.name not in {"domain.yml", "domain.yaml"}]


def _load_yaml(
    file: Path, data: TrainingData, problems: list[Problem], *, rasa_locale: str | None, in_folder: bool
) -> None:
    """Load one YAML file into ``data``.

    In a folder, YAML that is not training data (help-center categories, Rasa stories or config) is
    skipped and listed in ``data.skipped``; a file named explicitly must be training data.
    """
    try:
        root = compose_file(file)
    except YamlSyntaxError as exc:
        problems.append(Problem(_at(file, exc.line), f"malformed YAML: {exc.reason}"))
        return
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(_at(file, None), f"cannot read file: {exc}"))
        return
    if not isinstance(root.value, dict):
        problems.append(Problem(_at(file, root.line), "expected a mapping with 'intents:' or 'nlu:'"))
        return
    if "intents" in root.value:
        _load_faqdesk(file, root.value["intents"], data, problems)
    elif "nlu" in root.value:  # a Rasa file among faqdesk files: read as `faqdesk import rasa` would
        try:
            imported = read_rasa(file, locale=rasa_locale)
        except TrainingDataError as exc:
            problems.extend(exc.problems)
            return
        data.notes += imported.notes + imported.decisions
        data.out_of_scope.update(imported.data.out_of_scope)
        for intent in imported.data.intents.values():
            _add_intent(data, intent, problems, file, (intent.source.line if intent.source else None) or 1)
    elif in_folder:
        data.skipped.append(str(file))
    else:
        problems.append(Problem(_at(file, root.line), "expected a top-level 'intents:' (faqdesk) or 'nlu:' (Rasa) key"))


def _load_faqdesk(file: Path, node: MarkedValue, data: TrainingData, problems: list[Problem]) -> None:
    if not isinstance(node.value, list):
        problems.append(Problem(_at(file, node.line), "'intents' must be a list"))
        return
    for item in node.value:
        intent = _faqdesk_intent(file, item, problems)
        if intent is not None:
            _add_intent(data, intent, problems, file, item.line)


def _faqdesk_intent(file: Path, item: MarkedValue, problems: list[Problem]) -> Intent | None:
    def problem(line: int | None, message: str, intent: str | None = None) -> None:
        problems.append(Problem(_at(file, line), message, intent))

    if not isinstance(item.value, dict):
        problem(item.line, "each intent must be a mapping with 'id' and 'examples'")
        return None
    fields = item.value
    id_node = fields.get("id")
    intent_id = id_node.value if id_node and isinstance(id_node.value, str) else None
    if intent_id is None:
        problem(item.line, "intent without an 'id'")
        return None
    if not _ID.match(intent_id):
        problem(id_node.line if id_node else item.line, "id must match [a-z0-9_]+", intent_id)
    for key, value in fields.items():
        if key not in _INTENT_KEYS:
            problem(value.line, f"unknown key '{key}' (expected one of {', '.join(sorted(_INTENT_KEYS))})", intent_id)
    kind: IntentKind = fields["kind"].value if "kind" in fields else "faq"
    if kind not in INTENT_KINDS:
        problem(fields["kind"].line, f"kind must be one of {', '.join(INTENT_KINDS)}", intent_id)
        kind = "faq"
    article = fields["article"].value if "article" in fields else None
    if article is not None and not isinstance(article, str):
        problem(fields["article"].line, "article must be a slug string", intent_id)
        article = None
    intent = Intent(id=intent_id, article=article or None, kind=kind, source=_at(file, item.line))
    examples = fields.get("examples")
    if examples is None or not isinstance(examples.value, dict):
        problem((examples or item).line, "'examples' must map each locale to a list of questions", intent_id)
    else:
        for loc, texts in examples.value.items():
            intent.examples[loc] = _strings(file, texts, problems, intent_id, f"examples of '{loc}'")
    for key, into in (("answer", intent.answers), ("title", intent.titles)):
        node = fields.get(key)
        if node is None:
            continue
        if not isinstance(node.value, dict):
            problem(node.line, f"'{key}' must map each locale to a text", intent_id)
            continue
        for loc, text in node.value.items():
            if isinstance(text.value, str) and text.value.strip():
                into[loc] = text.value.strip()
            else:
                problem(text.line, f"{key} for '{loc}' must be non-empty text", intent_id)
    return intent


def _strings(file: Path, node: MarkedValue, problems: list[Problem], intent_id: str, what: str) -> list[str]:
    if not isinstance(node.value, list):
        problems.append(Problem(_at(file, node.line), f"{what} must be a list of strings", intent_id))
        return []
    out = []
    for entry in node.value:
        if isinstance(entry.value, str) and entry.value.strip():
            out.append(entry.value.strip())
        else:
            problems.append(Problem(_at(file, entry.line), f"{what}: entries must be non-empty text", intent_id))
    return out


def _add_intent(data: TrainingData, intent: Intent, problems: list[Problem], file: Path, line: int) -> None:
    if intent.id in data.intents:
        first = data.intents[intent.id].source
        problems.append(Problem(_at(file, line), f"duplicate intent id (first defined at {first})", intent.id))
        return
    data.intents[intent.id] = intent


def _checked(data: TrainingData, problems: list[Problem], *, locales: Collection[str] | None) -> TrainingData:
    """The data, once the rules every source obeys add nothing to the problems found while reading it;
    else a TrainingDataError with all of them."""
    _validate(data, problems, locales=locales)
    if problems:
        raise TrainingDataError(problems)
    return data


def _validate(data: TrainingData, problems: list[Problem], *, locales: Collection[str] | None) -> None:
    allowed = set(locales) if locales is not None else None

    def check_locale(loc: str, where: Location | None, intent_id: str | None) -> None:
        if not _LOCALE.match(loc):
            problems.append(Problem(where, f"'{loc}' is not a locale code", intent_id))
        elif allowed is not None and loc not in allowed:
            known = ", ".join(sorted(allowed))
            msg = f"unknown locale '{loc}' (configured: {known}; set FAQDESK_LOCALES to add it)"
            problems.append(Problem(where, msg, intent_id))

    seen: dict[tuple[str, str], str] = {}
    for intent in data.intents.values():
        where = intent.source
        for loc in {*intent.examples, *intent.answers, *intent.titles}:
            check_locale(loc, intent.source, intent.id)
        if not any(intent.examples.values()):
            problems.append(Problem(where, "intent has no examples", intent.id))
        for loc, texts in intent.examples.items():
            for text in texts:
                key = (loc, " ".join(text.casefold().split()))
                other = seen.setdefault(key, intent.id)
                if other != intent.id:
                    msg = f"example {text!r} ({loc}) is also an example of intent '{other}'"
                    problems.append(Problem(where, msg, intent.id))
    for loc in data.out_of_scope:
        check_locale(loc, None, None)
