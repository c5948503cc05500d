"""Precision under shift again, from saved scores, with the out-of-scope share estimator as it is now.

``bench/nlu.py`` saves each shift suite's scored test rows and calibrations in ``bench/out/shift/``
(``shift.Replay``). Scoring needs the trained model and takes minutes a suite; the estimate, the
threshold and the delivered precision take milliseconds. So after a change to ``bot/traffic.py`` (or to
how a curve turns a target into a threshold), this prints every suite's figures at once, beside the bar,
without training anything. A change to the classifier or the calibration itself needs ``bench/nlu.py``.

    .venv/bin/python bench/nlu.py --only shift_banking77_oos shift_hwu64 ...   # once, to save the scores
    .venv/bin/python bench/replay.py                                           # after each estimator change
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import shift


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=shift.REPLAYS, help="where bench/nlu.py saved the scores")
    parser.add_argument(
        "--curve-error",
        action="store_true",
        help="how far the calibration curve's precision is from the delivered one, with the share known",
    )
    args = parser.parse_args(argv)
    files = sorted(args.folder.glob("*.pickle"))
    if not files:
        print(f"no saved scores in {args.folder}: run bench/nlu.py with shift suites first", file=sys.stderr)
        return 1
    if args.curve_error:
        return curve_error(files)
    print(
        "| suite | out of scope | estimated | delivered precision | lowest sample | answer rate | bar "
        f"| with {shift.REVIEWED} reviewed: share | precision | lowest sample | answer rate |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for file in files:
        replay = shift.Replay.load(file)
        floor = replay.target_precision - 0.05
        for share, r in shift.report(replay).items():
            verdict = "met" if r["delivered_precision"] >= floor - 1e-9 else "**missed**"
            print(
                f"| {file.stem} | {share} | {r['estimated_share']:.1%} | {r['delivered_precision']:.1%} | "
                f"{r['delivered_precision_min']:.1%} | {r['answer_rate']:.1%} | ≥ {floor:.0%}: {verdict} | "
                f"{r['reviewed_share']:.1%} | {r['reviewed_precision']:.1%} | {r['reviewed_precision_min']:.1%} "
                f"| {r['reviewed_answer_rate']:.1%} |"
            )
    return 0


def curve_error(files: list[Path]) -> int:
    """Per suite, locale and share, with the true share: the precision the curve expects at its threshold and
    the one delivered; their root mean square difference, and how many reviewed answers measure a precision
    that well (what ``bot.reviewed.CURVE_WEIGHT`` stands for)."""
    print("| suite | locale | out of scope | curve expects | delivered |")
    print("|---|---|---:|---:|---:|")
    expected, got = [], []
    for file in files:
        replay = shift.Replay.load(file)
        for loc, s in sorted(replay.scored.items()):
            if not s.oos.any() or s.oos.all():
                continue
            curve = replay.calibrations[loc].curve
            for share in shift.SHARES:
                weights = shift.share_weights(s, share)
                threshold = curve.threshold(replay.target_precision, share)
                expected.append(curve.rates(threshold, share)["precision"])
                got.append(shift.answered(s, weights, threshold)[0])
                print(f"| {file.stem} | {loc} | {share:.0%} | {expected[-1]:.1%} | {got[-1]:.1%} |")
    error = float(np.sqrt(np.mean((np.array(got) - np.array(expected)) ** 2)))
    p = float(np.mean(expected))
    print(f"\nroot mean square error {error:.2%} over {len(got)} points; a precision of {p:.3f} measured on n answers")
    print(f"has that error at n = {p * (1 - p) / error**2:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
