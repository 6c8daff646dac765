"""Benchmark: start-up of the answer engine, and answer latency over the question set after warm-up.

    .venv/bin/python benchmarks/bench_answers.py            # 5 timed passes over tests/data/questions.toml
    .venv/bin/python benchmarks/bench_answers.py --passes 20

Targets (issue 3): answer p99 ≤ 20 ms on a 2-core machine; start-up (campaign file and dictionaries loaded) ≤ 2 s.
Start-up is measured in fresh processes (imports included), as the bot starts; jieba's dictionary cache in the
temporary folder is warm, as it is on any machine after the first start.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.campaign import load_campaign  # noqa: E402
from bot.understanding import Answerer  # noqa: E402
from tests.question_set import load_questions  # noqa: E402

STARTUP_SNIPPET = """
import time
t0 = time.perf_counter()
from bot.campaign import load_campaign
from bot.understanding import Answerer
Answerer(load_campaign()).classify("现在是哪个阶段")
print(time.perf_counter() - t0)
"""
BAD_INPUT = ("", "😀" * 50, "问" * 10_000, "\x00\x07" * 100, "ད་ལྟ་རིམ་པ་གང་ཡིན།", "a" * 10_000)


def startup_seconds(runs: int) -> list[float]:
    """Seconds from interpreter start of the work to a first answer, in fresh processes."""
    out = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", STARTUP_SNIPPET], cwd=ROOT, capture_output=True, text=True,
                              check=True)
        out.append(float(done.stdout.strip()))
    return out


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed_passes(passes: int) -> tuple[list[float], list[float], list[float]]:
    """Milliseconds per classify and per answer (each on a fresh reading cache), and per bad input."""
    campaign = load_campaign()
    questions = load_questions()
    Answerer(campaign)  # builds the shared engine
    for q in questions:  # warm-up pass
        Answerer(campaign).answer(q.text, q.now, unit_kind=q.unit)
    classify_ms, answer_ms, bad_ms = [], [], []
    for _ in range(passes):
        answerer = Answerer(campaign)  # empty reading cache: every question is read afresh
        for q in questions:
            t0 = time.perf_counter()
            answerer.classify(q.text)
            classify_ms.append((time.perf_counter() - t0) * 1000)
        answerer = Answerer(campaign)
        for q in questions:
            t0 = time.perf_counter()
            answerer.answer(q.text, q.now, unit_kind=q.unit)
            answer_ms.append((time.perf_counter() - t0) * 1000)
        for text in BAD_INPUT:
            t0 = time.perf_counter()
            Answerer(campaign).answer(text, questions[0].now)
            bad_ms.append((time.perf_counter() - t0) * 1000)
    return classify_ms, answer_ms, bad_ms


def main() -> None:
    """Prints start-up and latency figures against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5, help="timed passes over the question set")
    parser.add_argument("--startup-runs", type=int, default=3, help="fresh processes timed for start-up")
    args = parser.parse_args()

    starts = startup_seconds(args.startup_runs)
    print(f"start-up (fresh process, imports + campaign + dictionaries + first answer): "
          f"median {statistics.median(starts):.2f} s, max {max(starts):.2f} s  (target ≤ 2 s)")
    classify_ms, answer_ms, bad_ms = timed_passes(args.passes)
    print(f"questions: {len(answer_ms) // args.passes} × {args.passes} passes")
    for name, values in (("classify", classify_ms), ("answer (classify + compose)", answer_ms),
                         ("bad input (empty, emoji, 10,000 chars, control, Tibetan)", bad_ms)):
        print(f"{name}: p50 {percentile(values, 0.5):.2f} ms, p99 {percentile(values, 0.99):.2f} ms, "
              f"max {max(values):.2f} ms  (target p99 ≤ 20 ms)")


if __name__ == "__main__":
    main()
