"""`policylib reindex`, `backup`, `restore`, `health`: the commands operations run from cron."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from library.config import default_home
from library.runlock import LockBusy

from . import pass_lib
from .ingest_cmds import LABELS
from .output import emit_json, fail

# Exit codes cron and monitoring can tell apart.
EXIT_FAILED = 1
EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the lock; try again later


@click.command()
@click.option(
    "--full", is_flag=True, help="Hash every file and rebuild the index even if nothing changed."
)
@click.option("--json", "as_json", is_flag=True, help="stdout: the report as one JSON object.")
@click.option("--rollback", is_flag=True, help="Put the previous index back instead of running.")
@pass_lib
def reindex(lazy, full: bool, as_json: bool, rollback: bool) -> None:
    """重新扫描来源文件夹并重建索引（每周定时任务）。Re-scan the source folders, apply due status
    changes, rebuild the index and swap it in without downtime.

    Exit 0 done; 1 failed (reason on stderr; the live index is unchanged); 75 another run holds the lock.
    """
    from library import reindex as ops

    lib = lazy.get()
    try:
        if rollback:
            result = ops.rollback(lib)
            emit_json(result) if as_json else click.echo(
                f"已恢复上一版索引 / previous index restored: {result}"
            )
            return
        progress = None if as_json else (lambda phase: click.echo(f"… {phase}", err=True))
        report = ops.run_reindex(lib, full=full, progress=progress)
    except LockBusy as exc:
        fail(f"重建索引正在进行 / reindex {exc}", EXIT_BUSY)
    except ops.ReindexError as exc:
        fail(
            f"重建索引失败，线上索引未变 / reindex failed, live index unchanged: {exc}", EXIT_FAILED
        )
    if as_json:
        emit_json(report.to_dict())
    else:
        _print_summary(report)


def _print_summary(report) -> None:
    counts = "，".join(f"{LABELS[k]} {v}" for k, v in report.counts.items())
    withdrawn = sum(1 for v in report.vanished if v.get("withdrawn"))
    index = report.index
    size_mb = (index.get("size_bytes") or 0) / 1e6
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
    click.echo(f"重建索引完成 / reindex done ({sum(report.timings.values()):.1f} s)")
    click.echo(f"  文件 files: {counts}")
    if report.still_failing:
        click.echo(
            f"  仍然失败（文件未变，未重试；--full 重试）still failing: {len(report.still_failing)}"
        )
    click.echo(
        f"  消失 vanished: {len(report.vanished)}（标记撤下 withdrawn {withdrawn}），重现 back: {len(report.reappeared)}"
    )
    click.echo(f"  到期状态变更 transitions: {len(report.transitions)}")
    click.echo(
        f"  索引 index: {index.get('action')} ({index.get('reason')}), {index.get('count')} 条, {size_mb:.1f} MB"
    )
    click.echo(f"  用时 timings: {timings}")
    click.echo(f"  报告 report: {report.report_path}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_lib
def backup(lazy, file: Path) -> None:
    """备份数据库、原始文件和配置到一个 .tar.gz。Back up while the app runs (SQLite homes)."""
    from library.backup import BackupError, create_backup

    try:
        manifest = create_backup(lazy.get().settings, file)
    except BackupError as exc:
        fail(str(exc))
    counts = ", ".join(f"{k} {v}" for k, v in manifest["counts"].items())
    click.echo(f"备份完成 / backup written: {file} ({len(manifest['files'])} files; {counts})")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Replace an existing library (it is moved aside, not deleted)."
)
@pass_lib
def restore(lazy, file: Path, force: bool) -> None:
    """从备份恢复，然后重建索引。Restore a backup into an empty home (stop the server first)."""
    from library.backup import BackupError, restore_backup
    from library.core import Library
    from library.indexing import rebuild

    home = Path(lazy.home).expanduser() if lazy.home else default_home()
    try:
        result = restore_backup(home, file, force=force)
    except BackupError as exc:
        fail(str(exc))
    if result.set_aside:
        click.echo(f"原有数据已移到 / previous data moved to: {result.set_aside}", err=True)
    lib = Library.open(home)  # runs the Alembic migrations if the backup is from an older version
    try:
        built = rebuild(lib)
    finally:
        lib.close()
    click.echo(f"恢复完成 / restored {file} into {home}; index rebuilt: {built}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="stdout: the same object as GET /healthz.")
@pass_lib
def health(lazy, as_json: bool) -> None:
    """运行状况（与 /healthz 相同）。Exit 0 ok, 1 warning, 2 error: for monitoring scripts."""
    from library.health import health as check

    report = check(lazy.get())
    if as_json:
        emit_json(report)
    else:
        click.echo(f"status: {report['status']}")
        for problem in report.get("problems", []):
            click.echo(f"  - {problem}")
    sys.exit({"ok": 0, "warning": 1}.get(report["status"], 2))
