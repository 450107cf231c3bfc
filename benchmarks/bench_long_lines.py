"""Reading one long line: CSV and NDJSON records of 4, 8 and 16 MB (issue 12).

Linear reading doubles the time when the line doubles; the quadratic
reading before issue 12 quadrupled it (8 MB: 4 s for CSV, 7 s for NDJSON).
A CSV field stops at records.MAX_CSV_FIELD (about 28 MB).

    python benchmarks/bench_long_lines.py
"""

from __future__ import annotations

import io
import time

from mytypist_cli.data.records import open_records


def main() -> None:
    for megabytes in (4, 8, 16):
        payload = "x" * (megabytes * 1024 * 1024)
        for name, data in (
            ("rows.csv", f"a\n{payload}\n".encode()),
            ("rows.ndjson", f'{{"a": "{payload}"}}\n{{"a": "y"}}\n'.encode()),
        ):
            started = time.perf_counter()
            rows = list(open_records(io.BytesIO(data), display_name=name))
            elapsed = time.perf_counter() - started
            assert rows[0].values["a"] == payload
            print(f"{name:12} {megabytes:3} MB line: {elapsed:6.2f} s")


if __name__ == "__main__":
    main()
