"""Bench input: the lawref corpus as IndexRecords, read with the project's parser when it exists.

Status comes from metadata.csv's `expired` flag (expired, else valid); the top folder (法律 areas,
DLC for local rules) stands in for a topic so the topic facet has something to count.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from indexer import SearchBackend
from indexer.backends.whoosh import SearchIndex
from indexer.records import IndexRecord

ROOT = Path(__file__).resolve().parent.parent
LAWREF = Path(os.environ.get("POLICYLIB_LAWREF", ROOT.parent / "shared" / "corpus" / "lawref"))
INFO_END = "<!-- INFO END -->"


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _read_markdown(path: Path) -> tuple[str, str]:
    """(title, body) of a lawref file: `# title` first, the promulgation lines, then the text."""
    text = path.read_text(encoding="utf-8", errors="replace")
    first, _, rest = text.partition("\n")
    title = first.lstrip("#").strip()
    head, sep, tail = rest.partition(INFO_END)
    body = (head + "\n" + tail) if sep else rest
    return title, body.replace("## ", "").strip()


def metadata(corpus: Path = LAWREF) -> list[dict[str, str]]:
    with (corpus / "metadata.csv").open(encoding="utf-8") as fh:
        return [row for row in csv.DictReader(fh) if row.get("path")]


def _parsed(path: Path) -> tuple[str, str, str | None, date | None]:
    """(title, text, issuer, signed date), through `parsers.parse_file` when it is there."""
    try:
        from parsers import ParseError, parse_file
    except ImportError:
        title, body = _read_markdown(path)
        return title, body, None, None
    try:
        doc = parse_file(path)
    except ParseError:
        title, body = _read_markdown(path)
        return title, body, None, None
    return doc.title or "", doc.text, doc.issuer, doc.signed_date


def records(corpus: Path = LAWREF) -> Iterator[IndexRecord]:
    """Every corpus file as a record; metadata.csv is trusted over the parser's guesses."""
    for i, row in enumerate(metadata(corpus), start=1):
        title, body, issuer, signed = _parsed(corpus / row["path"])
        yield IndexRecord(
            id=f"doc:{i}",
            kind="document",
            title=row["title"] or title,
            body=body,
            status="expired" if row["expired"] == "1" else "valid",
            issuer=issuer,
            level=row["level"] or None,
            topic=row["path"].split("/")[0],
            signed_date=signed,
            published_date=_date(row["publish_date"]),
            effective_date=_date(row["effective_date"]),
            source_file=row["path"],
        )


DEFAULT_INDEX = Path(os.environ.get("POLICYLIB_BENCH_INDEX", "/tmp/policylib-bench/lawref-index"))
RESULTS = ROOT / "bench" / "results"


# --backend postgres: the search tables go to this database (created when missing).
PG_BENCH_URL = os.environ.get(
    "POLICYLIB_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:54329/policylib_bench"
)
BACKENDS = ("whoosh", "postgres")


def add_backend_options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--backend", choices=BACKENDS, default="whoosh", help="search backend")
    ap.add_argument(
        "--pg-url", default=PG_BENCH_URL, help="database for --backend postgres (made if missing)"
    )


def result_name(name: str, backend: str) -> str:
    """Whoosh keeps the historical file names; another backend gets its own beside them."""
    return name if backend == "whoosh" else f"{name}_{backend}"


def _ensure_database(url: str) -> None:
    """--pg-url may be written as libpq or as SQLAlchemy takes it (the form config.toml uses)."""
    import psycopg

    from indexer.backends.postgres import libpq_url

    server, _, dbname = libpq_url(url).rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
            conn.execute(f'CREATE DATABASE "{dbname}"')


def make_index(
    backend: str = "whoosh",
    path: Path = DEFAULT_INDEX,
    pg_url: str = PG_BENCH_URL,
    procs: int | None = None,
) -> SearchBackend:
    if backend == "postgres":
        from indexer.backends.postgres import PgSearchIndex

        _ensure_database(pg_url)
        return PgSearchIndex(pg_url, dictionary_dir=ROOT / "data" / "dict", procs=procs)
    return SearchIndex(path, dictionary_dir=ROOT / "data" / "dict", procs=procs)


def open_index(
    path: Path = DEFAULT_INDEX,
    corpus: Path = LAWREF,
    backend: str = "whoosh",
    pg_url: str = PG_BENCH_URL,
) -> SearchBackend:
    """The bench index of the whole corpus, built once and reused by the other bench scripts."""
    index = make_index(backend, path, pg_url)
    built = backend != "whoosh" or (path / "CURRENT").exists()
    if not built or index.count() == 0:
        print(f"building the lawref index ({backend}) (bench/index_build.py does this timed) ...")
        index.rebuild(records(corpus))
    return index


def write_result(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out
