"""Top-1 intent accuracy on a 20% hold-out of a Rasa project's own NLU data (issue 14's quality bar).

The project is read exactly as ``faqdesk import rasa`` reads it (conflicts resolved, entity markup
stripped, intents without a response kept); then, per intent, a seeded 20% of its examples (at least
one, and none from an intent with fewer than 2) is held out, the bot is trained on the rest with the
product's own ``runtime.fit`` and every held-out example is classified. Top-1 is the share whose best
candidate is the intent it was written under, whatever the answer threshold (``in_scope_accuracy``);
the answer rate and precision of the full policy are printed beside it.

    .venv/bin/python bench/rasa_holdout.py PATH [--seed 0] [--share 0.2] [--locale en] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from bot import evaluate as evaluation
from bot import runtime
from bot.data import Intent, TrainingData
from bot.rasa import read_rasa
from core.settings import Settings


def split(data: TrainingData, *, share: float, seed: int) -> tuple[TrainingData, list[dict[str, str]]]:
    """Training data without the held-out examples, and the held-out examples as test rows."""
    rng = random.Random(seed)
    train = TrainingData(out_of_scope=data.out_of_scope)
    rows: list[dict[str, str]] = []
    for intent in data.intents.values():
        kept: dict[str, list[str]] = {}
        for loc, texts in intent.examples.items():
            shuffled = list(texts)
            rng.shuffle(shuffled)
            n_test = max(1, round(share * len(shuffled))) if len(shuffled) >= 2 else 0
            rows += [{"text": text, "intent": intent.id, "locale": loc} for text in shuffled[:n_test]]
            kept[loc] = shuffled[n_test:]
        train.intents[intent.id] = Intent(
            id=intent.id, examples=kept, answers=intent.answers, article=intent.article, kind=intent.kind
        )
    return train, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="A Rasa project folder (or an NLU file)")
    parser.add_argument("--share", type=float, default=0.2, help="Share of each intent's examples held out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--locale", default=None, help="The data's locale (default: config.yml's language)")
    parser.add_argument("--json", type=Path, default=None, help="Write the full report here")
    args = parser.parse_args()

    imported = read_rasa(args.path, locale=args.locale)
    for line in imported.notes + imported.decisions:
        print(f"import: {line}", file=sys.stderr)
    train, rows = split(imported.data, share=args.share, seed=args.seed)
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), locales=sorted(train.locales) or ["en"])
        started = time.perf_counter()
        model = runtime.fit(train, settings)
        seconds = time.perf_counter() - started
        outcomes = evaluation.run(model, rows, policy=runtime.policy_config(settings))
        report = evaluation.report(outcomes, train_seconds=seconds, model_version=model.version)
    examples = sum(len(texts) for intent in train.intents.values() for texts in intent.examples.values())
    print(f"project: {args.path}")
    print(f"intents: {len(train.intents)}; training examples: {examples}; held out: {len(rows)} (seed {args.seed})")
    print(f"top-1 accuracy: {report['in_scope_accuracy']:.3f}")
    print(f"answer rate: {report['answer_rate']:.3f}; answer precision: {report['answer_precision']:.3f}")
    print(f"train seconds: {seconds:.1f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
