"""Helpers for the operations tests: generated documents, config, a CLI run in a real subprocess,
and a real server on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import tomli_w

ROOT = Path(__file__).resolve().parents[2]
POLICYLIB = [str(Path(sys.executable).parent / "policylib")]
TOPICS = [
    "城乡居民基本养老保险",
    "义务教育阶段学生资助",
    "高校毕业生就业创业",
    "个体工商户税费减免",
    "职工生育保险待遇",
    "城市更新改造项目",
    "农村集体经营性建设用地",
    "政务服务一网通办",
    "行政规范性文件清理",
    "优化营商环境",
]


def write_doc(folder: Path, n: int, extra: str = "") -> Path:
    """A plain-text normative document with its own title, 文号 and date, unique by `n`."""
    topic = TOPICS[n % len(TOPICS)]
    path = folder / f"doc_{n:04d}.txt"
    path.write_text(
        f"关于做好{topic}工作的通知（第{n}号专项）\n"
        f"宣府办〔2023〕{n + 1}号\n"
        "各县、市、区人民政府，市政府各部门：\n"
        f"为进一步做好{topic}工作，编号{n:04d}，现就有关事项通知如下。\n"
        f"一、工作目标。到2025年，{topic}覆盖面稳步扩大，服务水平明显提升。{extra}\n"
        "二、保障措施。各地要加强组织领导，明确责任分工，确保各项措施落到实处。\n"
        "宣城市人民政府办公室\n"
        f"2023年5月{n % 28 + 1}日\n",
        encoding="utf-8",
    )
    return path


def configure(home: Path, **settings: object) -> None:
    """Write config.toml before the Library opens it (load_settings adds the secret key)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    data: dict = {}
    if path.exists():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.update({k: v for k, v in settings.items()})
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


# Which database and search the test's library uses (set by the `home` fixture): kept.
SHARED_SETTINGS = ("POLICYLIB_DATABASE_URL", "POLICYLIB_SEARCH_BACKEND")


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("POLICYLIB_") or k in SHARED_SETTINGS
    }
    env.update(POLICYLIB_HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    return env


def run_cli(
    home: Path, *args: str, timeout: float = 300, **env: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*POLICYLIB, *args],
        env=cli_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(home: Path, *args: str, **env: str) -> subprocess.Popen:
    """In its own process group, so a kill takes its parser workers down with it (as systemd does)."""
    return subprocess.Popen(
        [*POLICYLIB, *args],
        env=cli_env(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def start_paused_cli(home: Path, phase: str, flag: Path, *args: str) -> subprocess.Popen:
    """`start_cli`, stopped at `phase` of the weekly run (see paused_cli.py): `flag` appears then."""
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("paused_cli.py")), phase, str(flag), *args],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill_group(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 10, headers: dict | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers or {}), timeout=timeout
        ) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Server:
    """`policylib serve` in a subprocess on a free port, stopped with SIGTERM at the end."""

    def __init__(self, home: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = start_cli(home, "serve", "--host", "127.0.0.1", "--port", str(self.port), *args)

        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.proc.stderr.read()}")
            try:
                return http_get(self.url + "/healthz", timeout=2)[0] in (200, 503)
            except OSError:
                return False

        wait_for(up, 60, "the server to answer /healthz")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill_group(self.proc)
