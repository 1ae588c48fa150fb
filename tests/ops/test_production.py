"""Production response handling and the daily job: cache headers, compression, due transitions."""

from __future__ import annotations

import gzip
import os
import re
from datetime import date
from pathlib import Path

import brotli
from sqlalchemy import select

from library.core import Library
from library.daily import DailyTransitions
from library.models import Document
from library.reindex import run_reindex
from tests.ops.support import Server, run_cli, wait_for
from webapp import create_app


def test_static_files_are_versioned_and_cached(lib: Library) -> None:
    client = create_app(lib, config={"TESTING": True}).test_client()
    page = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/site\.css\?v=[0-9a-f]+)"', page)
    assert url, "static URLs carry a version token"
    versioned = client.get(url.group(1))
    assert versioned.status_code == 200
    cache = versioned.headers["Cache-Control"]
    assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache
    plain = client.get("/static/site.css")
    assert "max-age=3600" in plain.headers["Cache-Control"]
    assert "immutable" not in plain.headers["Cache-Control"]
    assert client.get("/static/nope.css").status_code == 404


def test_responses_are_compressed_for_clients_that_accept_it(lib: Library) -> None:
    """Browsers send this header; pages get brotli or gzip, streamed static files brotli."""
    client = create_app(lib, config={"TESTING": True}).test_client()
    decoders = {"br": brotli.decompress, "gzip": gzip.decompress}
    for url in ("/", "/static/site.css", "/api/openapi.json"):
        packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        encoding = packed.headers.get("Content-Encoding")
        assert encoding in decoders, (url, encoding)
        assert "Accept-Encoding" in packed.headers.get("Vary", ""), url
        plain = client.get(url)
        assert "Content-Encoding" not in plain.headers, url
        assert len(packed.get_data()) < len(plain.get_data()), url
        assert decoders[encoding](packed.get_data()) == plain.get_data(), url
    assert (
        client.get("/", headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"
    )


def test_the_server_thread_applies_due_transitions(ops_lib: Library) -> None:
    run_reindex(ops_lib)
    with ops_lib.db.session() as s:
        doc = s.scalar(select(Document).order_by(Document.id).limit(1))
        doc.expiry_date = date(2029, 12, 31)
        doc_id = doc.id
    job = DailyTransitions(ops_lib, clock=lambda: date(2030, 1, 1), every_s=3600)
    job.start()
    try:
        wait_for(lambda: job.checks >= 1, 30, "the daily job's first check")
    finally:
        job.stop()
        job.join(timeout=10)
    with ops_lib.db.session() as s:
        assert s.get(Document, doc_id).status == "expired"


def test_gunicorn_starts_one_worker_per_core_unless_told(home: Path) -> None:
    """No --workers and no `workers` in the config: one gunicorn process per core (a fixed 4 put
    two CPU-bound processes on each core of the 2-core reference machine)."""
    live = Server(home, "--server", "gunicorn")
    children = Path(f"/proc/{live.proc.pid}/task/{live.proc.pid}/children")
    try:
        wait_for(lambda: len(children.read_text().split()) >= (os.cpu_count() or 1), 30, "workers")
        assert len(children.read_text().split()) == os.cpu_count()
    finally:
        live.stop()


def test_a_worker_count_below_one_is_refused(home: Path) -> None:
    result = run_cli(home, "serve", "--workers", "0")
    assert result.returncode == 2
    assert "--workers" in result.stderr and "0" in result.stderr
