"""The faqdesk command-line contract: train, evaluate (report keys and types), ask."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.evaluate import REPORT_KEYS
from faqdesk.cli import app

FIXTURES = Path(__file__).resolve().parent / "fixtures"
runner = CliRunner()


@pytest.fixture()
def env(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """A private data folder sharing the session's embedding cache (so nothing is encoded twice)."""
    data_dir = tmp_path / "var"
    (data_dir).mkdir()
    (data_dir / "cache").symlink_to(settings.cache_dir.resolve(), target_is_directory=True)
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("FAQDESK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("FAQDESK_TRAINING_DATA", str(FIXTURES / "mini_faq.yaml"))
    return data_dir


def test_train_activates_a_model_and_prints_its_summary(env: Path) -> None:
    result = runner.invoke(app, ["train"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["intents"] == 6 and set(summary["locales"]) == {"de", "en"}
    assert (env / "models" / "ACTIVE").read_text().strip() == summary["version"]
    # Same data, same version: training again is a no-op that keeps the version.
    again = runner.invoke(app, ["train", "--data", str(FIXTURES / "mini_faq.yaml")])
    assert json.loads(again.stdout)["version"] == summary["version"]


def test_ask_prints_the_decision_as_json(env: Path) -> None:
    assert runner.invoke(app, ["train"]).exit_code == 0
    result = runner.invoke(app, ["ask", "Welche Zahlungsarten gibt es bei euch?"])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["type"] == "answer" and decision["intent"] == "payment_methods"
    assert decision["locale"] == "de" and decision["answer"].startswith("Wir akzeptieren")
    assert decision["article"] == "payment-methods"
    assert isinstance(decision["confidence"], float) and decision["candidates"][0]["intent"] == "payment_methods"
    forced = json.loads(runner.invoke(app, ["ask", "hallo", "--locale", "en"]).stdout)
    assert forced["locale"] == "en"


def test_ask_trains_first_when_there_is_no_model(env: Path) -> None:
    result = runner.invoke(app, ["ask", "I want to talk to a person"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["type"] == "handoff"
    assert (env / "models" / "ACTIVE").is_file()


def test_ask_with_an_unknown_locale_is_a_clear_error(env: Path) -> None:
    assert runner.invoke(app, ["train"]).exit_code == 0
    result = runner.invoke(app, ["ask", "bonjour", "--locale", "fr"])
    assert result.exit_code == 2
    assert "unknown locale 'fr'" in result.stderr and "Traceback" not in result.output


def test_evaluate_writes_every_report_key(env: Path, tmp_path: Path) -> None:
    test_file = tmp_path / "test.jsonl"
    rows = [
        {"text": "I'd like to pause the subscription for a while", "intent": "pause_subscription", "locale": "en"},
        {"text": "Kann ich mein Abo kündigen?", "intent": "cancel_subscription", "locale": "de"},
        {"text": "do you accept american express", "intent": "payment_methods"},
        {"text": "what is the capital of peru", "intent": "oos", "locale": "en"},
    ]
    test_file.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "report.json"
    result = runner.invoke(
        app, ["evaluate", "--train", str(FIXTURES / "mini_faq.yaml"), "--test", str(test_file), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split()[:2] == ["locale", "n"]
    report = json.loads(out.read_text())
    for scope in [report, *report["per_locale"].values()]:
        for key in REPORT_KEYS:
            assert key in scope, key
        assert isinstance(scope["n_test"], int)
        for key in (
            "in_scope_accuracy",
            "answer_rate",
            "clarify_rate",
            "macro_f1",
            "train_seconds",
            "predict_ms_p50",
            "predict_ms_p99",
        ):
            assert isinstance(scope[key], float) and scope[key] >= 0, key
    assert report["n_test"] == 4 and set(report["per_locale"]) == {"en", "de"}
    assert isinstance(report["oos_recall"], float) and 0 <= report["oos_recall"] <= 1
    assert report["in_scope_accuracy"] == 1.0


def test_evaluate_with_jsonl_training_data(env: Path, tmp_path: Path) -> None:
    train = tmp_path / "train.jsonl"
    lines = [
        {"text": t, "intent": i}
        for i, ts in {
            "balance": ["what is my balance", "how much money do I have", "show my balance", "account balance please"],
            "card_lost": ["I lost my card", "my card is gone", "card stolen", "where did my card go, I lost it"],
        }.items()
        for t in ts
    ]
    train.write_text("\n".join(json.dumps(x) for x in lines))
    test = tmp_path / "test.jsonl"
    test.write_text(json.dumps({"text": "how much is on my account", "intent": "balance"}) + "\n")
    result = runner.invoke(app, ["evaluate", "--train", str(train), "--test", str(test), "--locale", "en"])
    assert result.exit_code == 0, result.output


def test_bad_training_data_exits_2_with_located_problems(env: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("intents:\n  - id: hi\n    examples: {en: []}\n")
    result = runner.invoke(app, ["train", "--data", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2: intent 'hi': intent has no examples" in result.stderr
    assert "Traceback" not in result.output


def test_evaluate_missing_test_file(env: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["evaluate", "--train", str(FIXTURES / "mini_faq.yaml"), "--test", str(tmp_path / "nope.jsonl")]
    )
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_a_model_trained_with_another_encoder_backend_is_retrained_not_served(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAQDESK_ENCODER_BACKEND", "torch")
    assert runner.invoke(app, ["train"]).exit_code == 0
    torch_version = (env / "models" / "ACTIVE").read_text().strip()
    # An upgrade (or an operator) switches the backend: the old model's vectors no longer fit.
    monkeypatch.setenv("FAQDESK_ENCODER_BACKEND", "onnx")
    result = runner.invoke(app, ["ask", "Wann kommt mein Paket?"])
    assert result.exit_code == 0, result.output
    assert "trained with a different encoder" in result.stderr
    assert json.loads(result.stdout)["model_version"] != torch_version
    assert (env / "models" / "ACTIVE").read_text().strip() != torch_version


@pytest.mark.parametrize("command", [["serve"], ["worker", "--once"]])
def test_production_mode_refuses_insecure_settings_before_touching_anything(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "faqdesk.db"
    monkeypatch.setenv("FAQDESK_ENV", "production")
    monkeypatch.setenv("FAQDESK_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FAQDESK_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("FAQDESK_WEBHOOK_URLS", "https://hooks.example/faqdesk")
    monkeypatch.setenv("FAQDESK_CORS_ORIGINS", "*")
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "FAQDESK_ENV=production refuses to start" in result.stderr
    for setting in ("FAQDESK_COOKIE_SECURE", "FAQDESK_WEBHOOK_SECRET", "FAQDESK_CORS_ORIGINS"):
        assert setting in result.stderr  # every problem in one go, not one per attempt
    assert not database.exists()  # refused before migrating, seeding or training


# --- faqdesk import FORMAT PATH ------------------------------------------------------------------------


@pytest.fixture()
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'faqdesk.db'}"
    monkeypatch.setenv("FAQDESK_DATABASE_URL", url)
    monkeypatch.setenv("FAQDESK_DATA_DIR", str(tmp_path / "var"))
    return url


def saved_intents(url: str) -> dict[str, dict[str, object]]:
    from sqlmodel import Session, select

    from core.db import make_engine
    from support.models import FaqIntent

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {
                row.id: {"examples": row.examples, "answers": row.answers} for row in session.exec(select(FaqIntent))
            }
    finally:
        engine.dispose()


def test_import_rasa_reports_every_decision_and_writes_yaml_too(database: str, tmp_path: Path) -> None:
    out = tmp_path / "faq.yaml"
    result = runner.invoke(app, ["import", "rasa", str(FIXTURES / "rasa_project"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "resolved: example 'ok' (en) under 'affirm' (1x), 'deny' (1x): dropped (as often in each)" in result.stderr
    assert "note: response utter_track_parcel: buttons left out" in result.stderr
    assert "imported intents: 25 created, 0 updated, 0 unchanged, 0 deleted; 6 without an answer" in result.stderr
    saved = saved_intents(database)
    assert saved["book_pickup"]["answers"] == {} and saved["faq_customs"]["answers"]
    from bot.loaders import load_training_data

    assert sorted(load_training_data(out).intents) == sorted(saved)  # the YAML holds what the database does
    # ... and imports again as it is, into another database, detected as faqdesk's intents YAML.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    moved = runner.invoke(app, ["import", str(out)], env={"FAQDESK_DATABASE_URL": other})
    assert moved.exit_code == 0 and "imported intents: 25 created" in moved.stderr
    assert saved_intents(other) == saved
    # Into a database with intents: --merge or --replace, never by surprise.
    again = runner.invoke(app, ["import", str(FIXTURES / "rasa_project")])  # detected as Rasa
    assert again.exit_code == 2 and "already has 25 intents: pass --merge" in again.stderr
    merged = runner.invoke(app, ["import", "--merge", str(FIXTURES / "rasa_project")])
    assert merged.exit_code == 0 and "0 created, 0 updated, 25 unchanged" in merged.stderr


def test_import_strict_refuses_conflicts_and_writes_nothing(database: str) -> None:
    result = runner.invoke(app, ["import", "rasa", str(FIXTURES / "rasa_project"), "--strict"])
    assert result.exit_code == 2 and "is an example of several intents" in result.stderr
    assert "nothing was imported" in result.stderr and "Traceback" not in result.output


def test_import_spreadsheets_detected_by_name_and_a_dry_run(database: str) -> None:
    dry = runner.invoke(app, ["import", str(FIXTURES / "spreadsheet" / "faq.xlsx"), "--dry-run"])
    assert dry.exit_code == 0 and "would import intents: 7 created" in dry.stderr
    assert "resolved: 'cancel_subscription' (en): answers differ in 3 rows" in dry.stderr
    assert not Path(database.removeprefix("sqlite:///")).exists()  # nothing written, not even a database
    done = runner.invoke(app, ["import", "csv", str(FIXTURES / "spreadsheet" / "faq.csv")])
    assert done.exit_code == 0 and "imported intents: 7 created" in done.stderr
    assert saved_intents(database)["pause_subscription"]["answers"]["de"].startswith("Unter **Konto")


def test_a_dry_run_writes_no_database_not_even_an_empty_one(database: str, tmp_path: Path) -> None:
    dry = runner.invoke(app, ["import", str(FIXTURES / "markdown_hc"), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would import 2 categories, 4 articles, 2 redirects" in dry.stderr
    assert not (tmp_path / "faqdesk.db").exists()  # was created and migrated by the dry run
    # A database at an older schema is not migrated by a dry run: refused, and left as it was.
    from migrations import upgrade

    upgrade(database, "0001")
    before = (tmp_path / "faqdesk.db").read_bytes()
    refused = runner.invoke(app, ["import", str(FIXTURES / "markdown_hc"), "--dry-run"])
    assert refused.exit_code == 2 and "schema is older than this version" in refused.stderr
    assert (tmp_path / "faqdesk.db").read_bytes() == before


def test_import_help_centers_from_markdown_and_zendesk(database: str) -> None:
    markdown = runner.invoke(app, ["import", str(FIXTURES / "markdown_hc")])
    assert markdown.exit_code == 0, markdown.output
    assert "imported 2 categories, 4 articles, 2 redirects" in markdown.stderr
    zendesk = runner.invoke(app, ["import", "zendesk", str(FIXTURES / "zendesk_export")])
    assert zendesk.exit_code == 2 and "already has 4 articles: pass --merge" in zendesk.stderr
    merged = runner.invoke(app, ["import", "zendesk", str(FIXTURES / "zendesk_export"), "--merge"])
    assert merged.exit_code == 0 and "imported 1 categories, 5 articles, 10 redirects" in merged.stderr
    assert "category 'deliveries' exists: its articles join it" in merged.stderr


def test_import_refuses_unknown_formats_and_paths(database: str, tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["import", "intercom", str(FIXTURES)])
    assert unknown.exit_code == 2 and "unknown format 'intercom' (known: faqdesk, rasa, csv, xlsx" in unknown.stderr
    missing = runner.invoke(app, ["import", "rasa", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr


def test_evaluate_takes_a_rasa_project_and_rasa_test_stories(env: Path, tmp_path: Path) -> None:
    project = FIXTURES / "rasa_project"
    report = tmp_path / "report.json"
    stories = str(project / "tests" / "test_stories.yml")
    result = runner.invoke(app, ["evaluate", "--train", str(project), "--test", stories, "--json", str(report)])
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text())
    assert figures["n_test"] == 4 and list(figures["per_locale"]) == ["en"]  # the config's language
