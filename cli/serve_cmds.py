"""`policylib serve`: the web app under a production server (see webapp/server.py)."""

from __future__ import annotations

import click

from webapp.server import SERVERS

from . import pass_lib


@click.command("serve")
@click.option(
    "--host", default=None, help="Address to listen on (default from settings: 127.0.0.1)."
)
@click.option("--port", type=int, default=None, help="Port (default from settings: 8000).")
@click.option(
    "--server",
    type=click.Choice(SERVERS),
    default="waitress",
    envvar="POLICYLIB_SERVER",
    show_default=True,
    help="waitress: one process, --workers threads. gunicorn (Linux): --workers processes.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Default from settings (workers); unset: waitress 4 threads, gunicorn one process per core.",
)
@click.option("--threads", type=int, default=None, help="gunicorn: threads per worker process.")
@pass_lib
def serve_cmd(
    lazy, host: str | None, port: int | None, server: str, workers: int | None, threads: int | None
) -> None:
    """启动网站和接口。Serve the public site, the API and the staff pages."""
    from webapp import server as production

    lib = lazy.get()
    host = host or lib.settings.host
    port = port or lib.settings.port
    workers = workers or lib.settings.workers or production.default_workers(server)
    click.echo(f"规范性文件库已启动 / serving at http://{host}:{port}/  (Ctrl+C 停止)")
    if server == "gunicorn":
        production.serve_gunicorn(
            lib.settings.home, host, port, workers, threads or production.GUNICORN_THREADS
        )
    else:
        production.serve_waitress(lib, host, port, threads or workers)
