"""fill_dataframe: a Dask DataFrame filled partition by partition on a LocalCluster's workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docx_factory import make_docx, para
from mytypist_cli.errors import DataError
from mytypist_cli.fill.cluster import fill_dataframe
from mytypist_cli.fill.pipeline import fill_batch

TEMPLATE = make_docx(para("Dear <<name>>, of <<town>>"))

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address="127.0.0.1:0"
        ) as local,
        Client(local) as connected,
    ):
        yield connected


def _frame(rows: list[dict[str, Any]], partitions: int = 3) -> Any:
    return dd.from_pandas(pd.DataFrame(rows), npartitions=partitions)


def test_default_names_carry_the_global_row_number(client: Any, tmp_path: Path) -> None:
    rows = [{"name": f"P{n}", "town": f"T{n}"} for n in range(1, 31)]
    results = fill_dataframe(TEMPLATE, _frame(rows), out_dir=tmp_path / "d", stem="letter").compute()
    assert list(results["row"]) == list(range(1, 31))
    assert set(results["status"]) == {"ok"}
    assert list(results["file"]) == [str(tmp_path / "d" / f"letter-{n:04d}.docx") for n in range(1, 31)]
    local = fill_batch(TEMPLATE, rows, out_dir=tmp_path / "l", name=None, jobs=1)
    assert local.written == 30
    for n in range(1, 31):  # the same bytes as fill_batch gives the same row
        assert (tmp_path / "d" / f"letter-{n:04d}.docx").read_bytes() == (
            tmp_path / "l" / f"document-{n:04d}.docx"
        ).read_bytes()


def test_a_name_two_rows_share_fails_the_later_row(client: Any, tmp_path: Path) -> None:
    rows = [{"name": n, "town": "T"} for n in ["Ada", "Obi", "Eze", "ada", "Uche", "Obi"]]
    results = fill_dataframe(TEMPLATE, _frame(rows), out_dir=tmp_path, name="<<name>>").compute()
    assert [(r.row, r.status) for r in results.itertuples()] == [
        (1, "ok"), (2, "ok"), (3, "ok"), (4, "failed"), (5, "ok"), (6, "failed")
    ]  # fmt: skip
    failed = results[results["status"] == "failed"]
    assert list(failed["error"]) == [
        f"{tmp_path / 'ada.docx'}: row 1 has the same name; give each row its own (--name)",
        f"{tmp_path / 'Obi.docx'}: row 2 has the same name; give each row its own (--name)",
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "Ada.docx",
        "Eze.docx",
        "Obi.docx",
        "Uche.docx",
    ]


def test_missing_values_blank_rows_and_existing_files(client: Any, tmp_path: Path) -> None:
    rows = [{"name": "A", "town": "X"}, {"name": None, "town": None}, {"name": "C", "town": "Z"}]
    (tmp_path / "C.docx").write_bytes(b"mine")
    results = fill_dataframe(TEMPLATE, _frame(rows, 2), out_dir=tmp_path, name="<<name>>").compute()
    # pandas may show an empty cell as NaN rather than None once partitions are put together.
    assert [(r.row, r.status, r.why if isinstance(r.why, str) else None) for r in results.itertuples()] == [
        (1, "ok", None), (2, "skipped", "blank"), (3, "failed", "exists")
    ]  # fmt: skip
    assert (tmp_path / "C.docx").read_bytes() == b"mine"
    skipped = fill_dataframe(TEMPLATE, _frame(rows, 2), out_dir=tmp_path, name="<<name>>", skip_existing=True)
    assert list(skipped.compute()["status"]) == ["skipped", "skipped", "skipped"]
    # Without it, a file with the very bytes the row makes counts as written (a partition run again).
    again = fill_dataframe(TEMPLATE, _frame(rows, 2), out_dir=tmp_path, name="<<name>>").compute()
    assert list(again["status"]) == ["ok", "skipped", "failed"]
    with pytest.raises(DataError, match="no column for town"):
        fill_dataframe(TEMPLATE, _frame([{"name": "A"}]), out_dir=tmp_path)
