"""A province-sized library (issue 17): lawref x1 and x10 built, ingested and rebuilt in one run.

Each copy k of the corpus is made distinct, so nothing is taken as a duplicate: a county's name in
the title and (through the promulgation lines) in the issuer, a 文号 of its own year and number,
and a line of text of its own in the body; a metadata.csv at the top carries the new titles.
Copy 0 alone is the x1 library, copies 0-9 the x10 one, so the two differ only in size.
For each: `policylib ingest FOLDER` (which also builds the index) and `policylib reindex --full`
timed as commands, with the peak memory of the whole process tree, then
bench/province_search.py's `measure(home, backend, database_url)` for search over HTTP. The figure that matters is the ratio x10/x1 in the same run (the machine is shared: the load
average is recorded beside every figure). Targets: ingest x10 <= 12 x the x1 time with bounded
memory, `reindex --full` at x10 <= 240 s on 2 cores.

    .venv/bin/python bench/province.py [--backend whoosh|postgres|both] [--scale 10]
        [--keep DIR | --reuse DIR [--reindex]] [--skip-search] [--only small|large]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import tomli_w
from _common import require_lawref, speed_probe, write_results
from province_search import measure as measure_search

POLICYLIB = Path(sys.executable).parent / "policylib"
PG_SERVER = os.environ.get(
    "POLICYLIB_BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:54329"
)
COUNTIES = ("宣汉县", "达川区", "通川区", "开江县", "大竹县", "渠县", "万源市", "平昌县", "南江县")
COUNTIES += ("通江县", "巴州区", "恩阳区", "南部县", "仪陇县", "营山县", "蓬安县", "西充县")
INFO_END = "<!-- INFO END -->"
# A promulgation line's date, before the body names who adopted or published the text.
_DATED = re.compile(r"(\d{4}年\d{1,2}月\d{1,2}日[ \t\u3000]*)(?=\S)")


# ----------------------------------------------------------------------------- the corpus


def _distinct(text: str, k: int, n: int) -> str:
    """Copy k of a lawref file: its county in the title and the issuer lines, its own 文号 and
    a line of its own, so no copy is a duplicate of another."""
    county = COUNTIES[k % len(COUNTIES)]
    first, _, rest = text.partition("\n")
    head, sep, tail = rest.partition(INFO_END)
    if not sep:  # no promulgation block: the whole file is body
        head, tail = "", rest
    head = _DATED.sub(lambda m: m.group(1) + county, head)
    number = f"{county[:1]}府发〔{2000 + k}〕{n}号"
    extra = f"本件为{county}汇编本（第{k + 1}套，第{n}件）。\n\n"
    return f"{first}（{county}）\n\n{number}\n{head}{extra}{sep}{tail}"


def build_corpus(lawref: Path, dest: Path, copies: int) -> dict:
    """Write `copies` distinct copies of lawref under dest (copy_00 ...) and one metadata.csv."""
    with (lawref / "metadata.csv").open(encoding="utf-8") as fh:
        rows = {r["path"]: r for r in csv.DictReader(fh) if r.get("path")}
    files = sorted(p for p in lawref.rglob("*.md") if p.name.lower() != "readme.md")
    dest.mkdir(parents=True, exist_ok=True)
    catalogue = []
    chars = 0
    for k in range(copies):
        folder = f"copy_{k:02d}"
        for n, src in enumerate(files, start=1):
            rel = src.relative_to(lawref).as_posix()
            text = _distinct(src.read_text(encoding="utf-8", errors="replace"), k, n)
            out = dest / folder / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            chars += len(text)
            row = rows.get(rel)
            if row:
                title = f"{row['title']}（{COUNTIES[k % len(COUNTIES)]}）" if row["title"] else ""
                catalogue.append(row | {"path": f"{folder}/{rel}", "title": title})
    with (dest / "metadata.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(next(iter(rows.values())).keys()))
        writer.writeheader()
        writer.writerows(catalogue)
    return {"files": len(files) * copies, "characters": chars}


# ----------------------------------------------------------------------------- measuring


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants, read from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(rss.get(pid, 0) for pid in tree)


def run_measured(cmd: list[str], log: Path) -> dict:
    """Run a command; its wall time, the CPU seconds of its whole process tree, exit code and the
    peak memory of its process tree (and of the command's own process), sampled twice a second,
    with the load average before and after and the machine's speed (`speed_probe`) before."""
    probe = speed_probe()
    load_before = os.getloadavg()[0]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        peak = {"tree": 0, "main": 0}
        samples: list[tuple[float, int]] = []

        def sample() -> None:
            while proc.poll() is None:
                tree = _tree_rss(proc.pid)
                main = _tree_rss_one(proc.pid)
                peak["tree"], peak["main"] = max(peak["tree"], tree), max(peak["main"], main)
                samples.append((round(time.perf_counter() - started, 1), main))
                time.sleep(0.5)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        code = proc.wait()
        watcher.join()
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(_children_cpu() - cpu_before, 1),
        "probe_s": probe,
        "exit_code": code,
        "peak_tree_mb": round(peak["tree"] / 2**20),
        "peak_main_mb": round(peak["main"] / 2**20),
        "main_mb_by_quarter": _quarters(samples),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def _children_cpu() -> float:
    """User and system CPU seconds of every finished child (and its waited-for descendants)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_rss_one(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="utf-8") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _quarters(samples: list[tuple[float, int]]) -> list[int]:
    """The main process's memory at a quarter, half, three quarters and the end of the run: flat
    when parsing stays a bounded window ahead of storing."""
    if not samples:
        return []
    return [
        round(samples[min(len(samples) - 1, len(samples) * q // 4)][1] / 2**20)
        for q in (1, 2, 3, 4)
    ]


# ----------------------------------------------------------------------------- a home


def _pg_database(name: str, fresh: bool) -> str:
    import psycopg

    from indexer.backends.postgres import libpq_url

    with psycopg.connect(f"{libpq_url(PG_SERVER)}/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def make_home(home: Path, corpus: Path, backend: str, label: str, fresh: bool) -> str:
    """A data home reading `corpus`; on postgres its database (and search tables) on the server."""
    home.mkdir(parents=True, exist_ok=True)
    config: dict = {"source_folders": [str(corpus)]}
    database_url = f"sqlite:///{home / 'policylib.sqlite3'}"
    if backend == "postgres":
        database_url = _pg_database(f"policylib_province_{label}", fresh)
        config |= {"database_url": database_url, "search_backend": "postgres"}
    (home / "config.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    return database_url


def _last_reindex_timings(home: Path) -> dict:
    """The phase timings of the home's latest weekly-run report (logs/reindex-*.json)."""
    reports = sorted((home / "logs").glob("reindex-*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(reports[-1].read_text(encoding="utf-8"))["timings"] if reports else {}


def _last_rebuild_seconds(home: Path) -> float | None:
    """How long the latest index build took, from the home's log (`index rebuilt ... seconds=`)."""
    log = home / "logs" / "policylib.log"
    if not log.exists():
        return None
    found = re.findall(r"index rebuilt .* seconds=([\d.]+)", log.read_text(encoding="utf-8"))
    return float(found[-1]) if found else None


def _documents(database_url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.scalar(text("SELECT count(*) FROM documents"))
    engine.dispose()
    return int(count or 0)


def measure_scale(work: Path, lawref: Path, copies: int, backend: str, args) -> dict:
    """Build (or reuse) lawref x`copies`, ingest it into a fresh home, reindex --full, search."""
    label = f"x{copies}"
    corpus = work / f"corpus_{label}"
    figures: dict = {"copies": copies}
    if not (corpus / "metadata.csv").exists():
        started = time.perf_counter()
        figures["corpus"] = build_corpus(lawref, corpus, copies)
        figures["corpus"]["build_seconds"] = round(time.perf_counter() - started, 1)
    home = work / f"home_{backend}_{label}"
    log = work / f"{backend}_{label}.log"
    reuse = args.reuse and (home / "config.toml").exists()
    database_url = make_home(home, corpus, backend, label, fresh=not reuse)
    base = [str(POLICYLIB), "--home", str(home)]
    if not reuse:
        print(f"[{backend} {label}] ingest {corpus} (log {log}) ...", flush=True)
        figures["ingest"] = run_measured([*base, "ingest", str(corpus)], log)
        build = _last_rebuild_seconds(home)  # ingest ends with a full index build: apart
        figures["ingest"] |= {"index_build_seconds": build}
        if build is not None:
            figures["ingest"]["store_seconds"] = round(figures["ingest"]["seconds"] - build, 1)
        print(f"[{backend} {label}] ingest {figures['ingest']}", flush=True)
    if not reuse or args.reindex:
        figures["reindex_full"] = run_measured([*base, "reindex", "--full"], log)
        figures["reindex_full"]["phases"] = phases = _last_reindex_timings(home)
        figures["reindex_full"]["index_build_seconds"] = phases.get("index")
        print(f"[{backend} {label}] reindex --full {figures['reindex_full']}", flush=True)
    figures["documents"] = _documents(database_url)
    if not args.skip_search:
        print(f"[{backend} {label}] search ...", flush=True)
        figures["search"] = measure_search(home, backend, database_url)
    figures["load_after"] = round(os.getloadavg()[0], 2)
    return figures


# ----------------------------------------------------------------------------- report


def _ratio(big: object, small: object) -> str:
    if isinstance(big, int | float) and isinstance(small, int | float) and small:
        return f"{big / small:.1f}x"
    return ""


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return "" if value is None else str(value)


def _rows(one: dict, many: dict) -> list[tuple[str, object, object]]:
    rows = [("documents", one.get("documents"), many.get("documents"))]
    for step in ("ingest", "reindex_full"):
        keys = ("seconds", "cpu_seconds", "store_seconds", "index_build_seconds")
        for key in (*keys, "peak_main_mb", "peak_tree_mb", "load_before", "probe_s"):
            rows.append((f"{step} {key}", one.get(step, {}).get(key), many.get(step, {}).get(key)))
    small, large = _flat(one.get("search") or {}), _flat(many.get("search") or {})
    rows += [(f"search {key}", value, large.get(key)) for key, value in small.items()]
    return rows


def _flat(figures: dict, prefix: str = "") -> dict[str, float]:
    """The numbers of province_search's figures, nested dicts flattened one name deep."""
    out: dict[str, float] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{key} ")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[f"{prefix}{key}"] = value
    return out


def print_table(backend: str, scale: int, one: dict, many: dict) -> None:
    print(f"\n{backend}: lawref x1 vs x{scale}")
    print(f"{'figure':<44}{'x1':>10}{f'x{scale}':>10}{'ratio':>9}")
    for name, a, b in _rows(one, many):
        print(f"{name:<44}{_cell(a):>10}{_cell(b):>10}{_ratio(b, a):>9}")
    print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("whoosh", "postgres", "both"), default="whoosh")
    ap.add_argument("--scale", type=int, default=10, help="copies in the large library")
    ap.add_argument("--only", choices=("small", "large"), help="build and measure one size only")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--keep", type=Path, help="build in DIR and keep it (homes and corpora)")
    where.add_argument("--reuse", type=Path, help="reuse the homes built in DIR by --keep")
    ap.add_argument("--skip-search", action="store_true", help="do not call province_search")
    ap.add_argument(
        "--reindex", action="store_true", help="with --reuse: time reindex --full again"
    )
    args = ap.parse_args()
    lawref = require_lawref()
    work = args.reuse or args.keep or Path(tempfile.mkdtemp(prefix="policylib-province-"))
    work.mkdir(parents=True, exist_ok=True)
    backends = ("whoosh", "postgres") if args.backend == "both" else (args.backend,)
    scales = {"small": (1,), "large": (args.scale,)}.get(args.only, (1, args.scale))
    results: dict = {"scale": args.scale, "work": str(work), "load_start": os.getloadavg()}
    name = "province" if args.backend == "whoosh" else f"province_{args.backend}"
    name += f"_{args.only}" if args.only else ""
    try:
        for backend in backends:
            figures = results.setdefault(backend, {})
            for s in scales:
                figures[f"x{s}"] = measure_scale(work, lawref, s, backend, args)
                results["load_end"] = os.getloadavg()
                write_results(name, results)  # after each size: a stopped x10 run keeps x1
            if len(scales) == 2:
                print_table(backend, args.scale, figures["x1"], figures[f"x{args.scale}"])
    finally:
        if not (args.keep or args.reuse):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
