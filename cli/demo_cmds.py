"""`policylib demo`: the README's first command — sample data loaded, then the site served."""

from __future__ import annotations

import click

from library.demo import ACCOUNTS_FILE, DEMO_ROLES, load_demo

from . import pass_lib


@click.command("demo")
@click.option("--host", default=None, help="Default from settings: 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Default from settings: 8000.")
@click.option("--no-serve", is_flag=True, help="Load the samples and stop.")
@pass_lib
def demo(lazy, host: str | None, port: int | None, no_serve: bool) -> None:
    """载入示例文件与问答并启动网站。Load the sample documents and Q&A, then serve."""
    lib = lazy.get()
    click.echo(f"数据目录 / data home: {lib.settings.home}")
    report = load_demo(lib)
    counts = report.ingest.counts
    click.echo(
        f"示例文件：新增 {counts['added']}，未变 {counts['unchanged']}，"
        f"重复格式 {counts['duplicate']}，失败 {counts['failed']}"
    )
    qa = report.qa_counts
    click.echo(
        f"示例问答：新增 {qa['new']}，更新 {qa['update']}，未变 {qa['unchanged']}，错误 {qa['error']}"
    )
    accounts_file = lib.settings.home / ACCOUNTS_FILE
    if report.accounts:
        click.echo(f"演示账号（账号 / 角色 / 密码，已保存到 {accounts_file}）：")
        for name, password in report.accounts.items():
            click.echo(f"  {name} / {DEMO_ROLES[name]} / {password}")
    elif accounts_file.exists():
        click.echo(f"演示账号见 {accounts_file}")
    if no_serve:
        return
    from webapp import server

    host = host or lib.settings.host
    port = port or lib.settings.port
    click.echo(f"请在浏览器打开 / open in your browser: http://{host}:{port}/   (Ctrl+C 停止)")
    server.serve_waitress(
        lib, host, port, lib.settings.workers or server.default_workers("waitress")
    )
