"""Running the app in production: waitress (default) or gunicorn, plus the daily background job.

waitress is one process with a pool of request threads. It runs anywhere (Windows included), needs
no configuration, and one process means one set of open index readers and one copy of the jieba
dictionary in memory. Its limit is the GIL: search (segmentation, scoring) is CPU work, so one
process uses about one core. gunicorn (POSIX only) forks `workers` processes that each load the app
and uses every core at the price of one app's memory per process. Its workers are single-threaded
by default: a search is CPU work, so a second thread in a process only waits for the GIL while
another process may sit idle, and the queue then forms inside the busy process. With one thread the
idle worker takes the next request (lawref, 8 clients, 2 cores: 2×1 174 req/s, p95 73 ms; 2×2
141 req/s, p95 119 ms). `--threads` raises it for deployments whose requests wait on a remote
database more than they compute.
Both get the same app; every process runs the daily due-transition thread, and its lock makes
sure only one of them does the day's work.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from library.core import Library
from library.daily import DailyTransitions

from . import create_app

log = logging.getLogger("policylib.server")

SERVERS = ("waitress", "gunicorn")
GUNICORN_THREADS = 1
WAITRESS_THREADS = 4
REQUEST_TIMEOUT_S = 60


def default_workers(server: str) -> int:
    """`workers` when neither --workers nor the config sets it: for waitress its request threads,
    for gunicorn one process per core (more processes than cores only queue CPU work, and cost
    one app's memory each)."""
    return (os.cpu_count() or 1) if server == "gunicorn" else WAITRESS_THREADS


def _app_with_daily_job(lib: Library) -> Flask:
    app = create_app(lib)
    DailyTransitions(lib).start()
    return app


def serve_waitress(lib: Library, host: str, port: int, threads: int) -> None:
    from waitress import serve

    log.info("serving server=waitress host=%s port=%d threads=%d", host, port, threads)
    serve(
        _app_with_daily_job(lib),
        host=host,
        port=port,
        threads=threads,
        **waitress_options(lib),
    )


def waitress_options(lib: Library) -> dict:
    """What waitress needs besides the address: a request body over the upload limit is refused
    with 413 from its Content-Length, before waitress reads (or buffers) a byte of it."""
    return {
        "ident": "policylib",
        "channel_timeout": REQUEST_TIMEOUT_S,
        "max_request_body_size": lib.settings.max_request_bytes,
    }


def serve_gunicorn(home: Path, host: str, port: int, workers: int, threads: int) -> None:
    """Each worker opens its own Library after the fork: SQLite connections must not cross a fork."""
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": REQUEST_TIMEOUT_S,
                "graceful_timeout": 20,
                "proc_name": "policylib",
                "accesslog": None,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return _app_with_daily_job(Library.open(home))

    log.info(
        "serving server=gunicorn host=%s port=%d workers=%d threads=%d",
        host,
        port,
        workers,
        threads,
    )
    _Gunicorn().run()
