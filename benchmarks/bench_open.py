"""Opening time against the size of a template: N distinct placeholders, N lists.

    python benchmarks/bench_open.py                 # N = 5,000, 10,000, 20,000 and 50,000
    python benchmarks/bench_open.py --sizes 1000 100000

Opening (reading, checking and compiling the package, listing placeholders)
must stay near linear in the template (issue 12: listing was quadratic, and
10,000 distinct placeholders took 10-14 s to open, 20,000 took 51 s). Three
templates per N, built in memory: N paragraphs of one placeholder each, one
paragraph of N runs of one placeholder each, and N one-field lists. Prints
seconds to open each (the best of three runs) and microseconds per
placeholder, which stays roughly constant as N grows when opening is linear.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from docx_factory import make_docx, p, para, r  # noqa: E402
from mytypist_cli import Template  # noqa: E402

SHAPES: dict[str, Callable[[int], bytes]] = {
    "paragraphs": lambda n: make_docx("".join(para(f"<<name{i}>>") for i in range(n))),
    "one paragraph": lambda n: make_docx(p(*(r(f"<<name{i}>>") for i in range(n)))),
    "lists": lambda n: make_docx(
        "".join(para(f"<<#l{i}>>") + para(f"<<f{i}>>") + para(f"<</l{i}>>") for i in range(n))
    ),
}


def _best_of_three(docx: bytes) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        Template.open(docx)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 10_000, 20_000, 50_000])
    args = parser.parse_args()
    print(f"{'template':<14} {'N':>8} {'seconds':>9} {'us/placeholder':>15}")
    for shape, build in SHAPES.items():
        for n in args.sizes:
            seconds = _best_of_three(build(n))
            print(f"{shape:<14} {n:>8,} {seconds:>9.2f} {seconds / n * 1e6:>15.1f}")


if __name__ == "__main__":
    main()
