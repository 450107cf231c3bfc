"""A fill on a Dask cluster, and .docx files to S3: mytypist's cluster path against its local one.

    python benchmarks/bench_cluster.py                   # 200 PDFs, 20,000 .docx to S3
    python benchmarks/bench_cluster.py --pdfs 40 --docx 2000
    python benchmarks/bench_cluster.py --no-s3           # only the PDFs

PDFs: ``bench-template.docx`` (about three A4 pages) filled with
``make_bench_template.iter_rows`` and converted, by

- ``fill_batch(..., to="pdf", jobs=1)`` and ``jobs=2``: ``mytypist fill --to pdf`` here
  (combined chunks split back per record, see bench_pdf.py);
- ``fill_batch(..., to="pdf", cluster=client)`` on a ``distributed.LocalCluster`` of one
  worker process and of two (one thread each): ``mytypist fill --to pdf --cluster``.
  Each worker converts its chunk's documents with its own LibreOffice, document by document
  in one LibreOffice start per chunk (``fill.cluster.PDF_CHUNK_ROWS``).

The cluster is started before the clock starts (a cluster outlives a run); its
workers' LibreOffice starts are inside the time. On one machine two workers can
at best double one worker's rate, and only with two free cores.

S3: ``--docx`` documents of the same template to a bucket on moto's S3 server
(``moto.server.ThreadedMotoServer`` on 127.0.0.1, in this process), written with
one put each: ``fill_batch(out_dir="s3://...")`` with ``jobs=1`` and ``jobs=2``,
and on the two-worker cluster. The server is local and in Python, so these
rates measure mytypist's and s3fs's overhead plus moto's, not a real bucket's.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
TEMPLATE = FIXTURES / "bench-template.docx"
sys.path.insert(0, str(FIXTURES))

from make_bench_template import iter_rows  # noqa: E402

from mytypist_cli import fill_batch  # noqa: E402
from mytypist_cli.fill.results import BatchSummary  # noqa: E402


def _timed(label: str, count: int, template: Path, rows: list[dict[str, str]], **options: Any) -> float:
    """Run one fill_batch and print its time and rate; stop the benchmark when a row failed."""
    started = time.perf_counter()
    summary: BatchSummary = fill_batch(template, rows, **options)
    seconds = time.perf_counter() - started
    if summary.failed or summary.written != count:
        raise SystemExit(f"{label}: {summary.written} written, {summary.failed} failed of {count}")
    rate = count / seconds
    print(f"  {label:<34} {seconds:8.1f} s  {rate:9.1f} /s", flush=True)
    return rate


def _cluster(workers: int) -> Any:
    from distributed import Client, LocalCluster

    local = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None)
    client = Client(local)
    client.wait_for_workers(workers)
    return local, client


def bench_pdfs(count: int, folder: Path) -> None:
    rows = list(iter_rows(count))
    print(f"{count} PDFs of {TEMPLATE.name}", flush=True)
    rates: dict[str, float] = {}
    for jobs in (1, 2):
        out = folder / f"local-{jobs}"
        rates[f"jobs {jobs}"] = _timed(
            f"here, --jobs {jobs}", count, TEMPLATE, rows, out_dir=out, to="pdf", jobs=jobs
        )
    for workers in (1, 2):
        local, client = _cluster(workers)
        try:
            out = folder / f"cluster-{workers}"
            rates[f"cluster {workers}"] = _timed(
                f"LocalCluster, {workers} worker{'s' if workers > 1 else ''}",
                count,
                TEMPLATE,
                rows,
                out_dir=out,
                to="pdf",
                cluster=client,
            )
        finally:
            client.close()
            local.close()
    print(f"  two workers / one worker: {rates['cluster 2'] / rates['cluster 1']:.2f}x")
    print(f"  two workers / --jobs 2:   {rates['cluster 2'] / rates['jobs 2']:.2f}x", flush=True)


def _moto() -> tuple[Any, str]:
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # Set before any worker starts: workers (and forked --jobs processes) read their own environment.
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        FSSPEC_S3_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return server, endpoint


def bench_s3(count: int) -> None:
    import s3fs

    server, endpoint = _moto()
    try:
        fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint}, skip_instance_cache=True)
        fs.mkdir("bench")
        rows = list(iter_rows(count))
        template = TEMPLATE
        print(f"{count} .docx to S3 (moto at {endpoint})", flush=True)
        for jobs in (1, 2):
            _timed(
                f"here, --jobs {jobs}",
                count,
                template,
                rows,
                out_dir=f"s3://bench/jobs-{jobs}/",
                jobs=jobs,
            )
        local, client = _cluster(2)
        try:
            _timed(
                "LocalCluster, 2 workers",
                count,
                template,
                rows,
                out_dir="s3://bench/cluster/",
                cluster=client,
            )
        finally:
            client.close()
            local.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pdfs", type=int, default=200, help="PDFs per contender (default 200)")
    parser.add_argument("--docx", type=int, default=20_000, help=".docx files to S3 per contender")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDFs")
    parser.add_argument("--no-s3", action="store_true", help="skip S3")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs", flush=True)
    if not args.no_pdf:
        with tempfile.TemporaryDirectory(prefix="bench-cluster-") as folder:
            bench_pdfs(args.pdfs, Path(folder))
    if not args.no_s3:
        bench_s3(args.docx)


if __name__ == "__main__":
    main()
