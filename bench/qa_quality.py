"""Hotline answer finding: Hit@1 / Hit@3 on the project's caller questions, and per-keystroke latency.

    .venv/bin/python bench/qa_quality.py [--no-lawref]

- Quality: each question of data/eval/qa_eval.json against the entries of data/qa/sample_qa.csv
  (the set the finder and the synonym list were tuned on), and of qa_eval_holdout.json (written
  afterwards and never tuned on, so the gap between the two is visible),
  for the finder (library.qa.search), the same finder without the synonym list (what the list is
  worth), and a stock BM25 engine (Whoosh BM25F over question + similar phrasings + answer,
  jieba's own Whoosh analyzer, OR of the query words) for comparison. With the lawref corpus,
  again with its 3,424 laws added as distractor entries (title as question, opening as answer).
- Latency: every eval question typed prefix by prefix (one keystroke = one search) through the
  server path `search_entries` (finder + loading the hits and their basis documents from a real
  SQLite library) and over HTTP against `/hotline/search` as a signed-in agent (adds sign-in
  check, query logging, JSON), p50/p95/max in ms; and the finder alone with the distractors.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import LAWREF, ROOT, write_results

sys.path.insert(0, str(ROOT))

from indexer.analyzer import Analyzer
from library.core import Library
from library.qa.entries import split_similar
from library.qa.importer import import_file
from library.qa.search import DICTIONARY_DIR, FinderEntry, QAFinder, search_entries

SAMPLE = ROOT / "data" / "qa" / "sample_qa.csv"
EVAL = ROOT / "data" / "eval" / "qa_eval.json"
HOLDOUT = ROOT / "data" / "eval" / "qa_eval_holdout.json"


def sample_entries() -> list[FinderEntry]:
    with SAMPLE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [
        FinderEntry(
            id=i,
            status="published",
            question=r["question"],
            similar=tuple(split_similar(r["similar_questions"])),
            answer=r["answer"],
            topic=r["topic"],
            external_id=r["external_id"],
        )
        for i, r in enumerate(rows, start=1)
    ]


def lawref_entries(start: int) -> list[FinderEntry]:
    """The laws as distractors: a caller question must still find the hotline entry."""
    from _lawref import _read_markdown, metadata

    out = []
    for i, row in enumerate(metadata(LAWREF), start=start):
        title, body = _read_markdown(LAWREF / row["path"])
        out.append(
            FinderEntry(i, "published", row["title"] or title, (), body[:300], None, f"LAW-{i}")
        )
    return out


def queries(path: Path = EVAL) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["queries"]


def hits(rank: list[list[str]], qs: list[dict]) -> dict:
    h1 = sum(r[:1] == [q["expected"]] for r, q in zip(rank, qs, strict=True))
    h3 = sum(q["expected"] in r[:3] for r, q in zip(rank, qs, strict=True))
    mrr = sum(
        1 / (r.index(q["expected"]) + 1) if q["expected"] in r else 0
        for r, q in zip(rank, qs, strict=True)
    )
    n = len(qs)
    return {"hit@1": round(h1 / n, 3), "hit@3": round(h3 / n, 3), "mrr@10": round(mrr / n, 3)}


def rank_finder(finder: QAFinder, entries: list[FinderEntry], qs: list[dict]) -> list[list[str]]:
    ext = {e.id: e.external_id for e in entries}
    return [[ext[h.entry_id] for h in finder.search(q["query"], limit=10)] for q in qs]


def rank_stock_bm25(entries: list[FinderEntry], qs: list[dict]) -> list[list[str]]:
    from jieba.analyse import ChineseAnalyzer
    from whoosh import fields, index, qparser

    schema = fields.Schema(
        eid=fields.ID(stored=True),
        question=fields.TEXT(analyzer=ChineseAnalyzer()),
        body=fields.TEXT(analyzer=ChineseAnalyzer()),
    )
    with tempfile.TemporaryDirectory() as tmp:
        ix = index.create_in(tmp, schema)
        with ix.writer() as w:
            for e in entries:
                w.add_document(
                    eid=e.external_id,
                    question=e.question,
                    body=" ".join(e.similar) + " " + e.answer,
                )
        parser = qparser.MultifieldParser(["question", "body"], ix.schema, group=qparser.OrGroup)
        with ix.searcher() as searcher:
            return [
                [hit["eid"] for hit in searcher.search(parser.parse(q["query"]), limit=10)]
                for q in qs
            ]


def percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2),
        "max_ms": round(samples[-1], 2),
    }


def keystroke_latency(search, qs: list[dict]) -> dict:
    samples = []
    for q in qs:
        text = q["query"]
        for n in range(1, len(text) + 1):
            t0 = time.perf_counter()
            search(text[:n])
            samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


def server_latency(qs: list[dict]) -> tuple[dict, dict]:
    """(in-process `search_entries`, HTTP `/hotline/search` as a signed-in agent) on a real home.

    The HTTP figure is what an agent's browser waits for per keystroke: sign-in check, finder,
    loading the hits and their bases, logging the query, JSON.
    """
    with tempfile.TemporaryDirectory() as home:
        lib = Library.open(home)
        try:
            import_file(lib, SAMPLE, actor="bench", write=True)
            search_entries(lib, "预热")  # builds the finder once, as the first request would
            direct = keystroke_latency(lambda text: search_entries(lib, text, limit=10), qs)
            return direct, http_latency(lib, qs)
        finally:
            lib.close()


def http_latency(lib: Library, qs: list[dict]) -> dict:
    import re
    import threading
    import urllib.parse
    import urllib.request
    from http.cookiejar import CookieJar

    from waitress.server import create_server

    from library.users import add_user
    from webapp import create_app

    with lib.db.session() as s:
        add_user(s, "bench-agent", "agent", "bench-password-123", actor="bench")
    server = create_server(create_app(lib), host="127.0.0.1", port=0, threads=4)
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    try:
        page = opener.open(base + "/login").read().decode("utf-8")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = {"name": "bench-agent", "password": "bench-password-123", "csrf_token": token}
        opener.open(base + "/login", data=urllib.parse.urlencode(form).encode()).read()

        def get(text: str) -> None:
            url = base + "/hotline/search?q=" + urllib.parse.quote(text)
            body = opener.open(url).read()
            assert body.startswith(b"{"), body[:80]

        get("预热")
        return keystroke_latency(get, qs)
    finally:
        # Closed from its own loop thread: closing it from here pulled the wake-up pipe from
        # under the running loop ("Bad file descriptor" printed after the figures).
        server.trigger.pull_trigger(server.close)
        loop.join(timeout=10)
        server.task_dispatcher.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--no-lawref", action="store_true", help="skip the distractor runs")
    args = ap.parse_args()
    qs = queries()
    entries = sample_entries()
    analyzer = Analyzer(DICTIONARY_DIR)
    t0 = time.perf_counter()
    finder = QAFinder(analyzer, entries)
    build_ms = (time.perf_counter() - t0) * 1000
    figures: dict = {
        "entries": len(entries),
        "queries": len(qs),
        "finder": hits(rank_finder(finder, entries, qs), qs),
        "finder_without_synonyms": hits(
            rank_finder(QAFinder(Analyzer(None), entries), entries, qs), qs
        ),
        "stock_bm25": hits(rank_stock_bm25(entries, qs), qs),
        "finder_build_ms": round(build_ms, 1),
    }
    held = queries(HOLDOUT)
    figures["holdout"] = {
        "queries": len(held),
        "note": "written after tuning, never tuned on",
        "finder": hits(rank_finder(finder, entries, held), held),
        "stock_bm25": hits(rank_stock_bm25(entries, held), held),
    }
    figures["keystroke_latency_server"], figures["keystroke_latency_http"] = server_latency(qs)
    if not args.no_lawref and (LAWREF / "metadata.csv").exists():
        big = entries + lawref_entries(len(entries) + 1)
        t0 = time.perf_counter()
        big_finder = QAFinder(analyzer, big)
        figures["with_lawref_distractors"] = {
            "entries": len(big),
            "finder_build_ms": round((time.perf_counter() - t0) * 1000, 1),
            "finder": hits(rank_finder(big_finder, big, qs), qs),
            "stock_bm25": hits(rank_stock_bm25(big, qs), qs),
            "keystroke_latency_finder": keystroke_latency(
                lambda text: big_finder.search(text, limit=10), qs
            ),
        }
    write_results("qa_quality", figures)


if __name__ == "__main__":
    main()
