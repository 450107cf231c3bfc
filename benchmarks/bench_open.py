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

Then one text node of 50 and 200 MB beside two placeholders (``--text-mb``),
each opened and filled in a fresh process: seconds and peak memory, as a
multiple of the part's size (before issue 12, 200 MB took 13 s and 1.7 GB).
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
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


_TEXT_NODE = """
import sys, time
from mytypist_cli import Template

def high_water():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))

data = open(sys.argv[1], "rb").read()
before = high_water()
start = time.perf_counter()
Template.open(data).render({"name": "Ada"})
print(time.perf_counter() - start, high_water() - before)
"""


def text_node(megabytes: int) -> tuple[float, int]:
    """Seconds and peak bytes to open and fill a template whose one text node is ``megabytes`` MB."""
    size = megabytes * 1_000_000
    text = base64.b64encode(os.urandom(size * 3 // 4)).decode()  # random: no zip-bomb ratio
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "big.docx")
        path.write_bytes(make_docx(para("<<name>> " + text + " <<name>>")))
        del text
        done = subprocess.run(
            [sys.executable, "-c", _TEXT_NODE, str(path)], capture_output=True, text=True, check=True
        )
    seconds, peak = done.stdout.split()
    return float(seconds), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 10_000, 20_000, 50_000])
    parser.add_argument("--text-mb", type=int, nargs="*", default=[50, 200])
    args = parser.parse_args()
    print(f"{'template':<14} {'N':>8} {'seconds':>9} {'us/placeholder':>15}")
    for shape, build in SHAPES.items():
        for n in args.sizes:
            seconds = _best_of_three(build(n))
            print(f"{shape:<14} {n:>8,} {seconds:>9.2f} {seconds / n * 1e6:>15.1f}")
    if args.text_mb:
        print(f"\n{'text node':<14} {'seconds':>9} {'peak MB':>9} {'x part':>7}")
    for megabytes in args.text_mb:
        seconds, peak = text_node(megabytes)
        size = megabytes * 1_000_000
        print(f"{megabytes:>6} MB       {seconds:>9.2f} {peak / 1e6:>9.0f} {peak / size:>7.1f}")


if __name__ == "__main__":
    main()
