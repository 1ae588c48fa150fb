"""Search quality on everyday questions over the lawref corpus: MRR@10 and Hit@1.

Each query of data/eval/lawref_queries.json is typed as a citizen would; its expected document is
the lawref file a user would call the right answer. The same figures are printed for a stock BM25
engine (rank_bm25's BM25Okapi over jieba's default segmentation of title + text, no folding, no
synonyms, no title weighting) on the same corpus, for comparison. Target: MRR@10 >= 0.8.

    .venv/bin/python bench/search_quality.py [--index PATH] [--no-baseline] [-v]
        [--backend whoosh|postgres] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lawref import (
    DEFAULT_INDEX,
    LAWREF,
    ROOT,
    add_backend_options,
    metadata,
    open_index,
    records,
    result_name,
    write_result,
)

from indexer.analyzer import Synonyms
from indexer.interface import SearchQuery
from library.search_params import doc_numbers_in

EVAL = ROOT / "data" / "eval" / "lawref_queries.json"
K = 10


def load_eval(path: Path = EVAL) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["queries"]


def same_text_key(corpus: Path) -> dict[str, tuple[str, str]]:
    """File -> (title, publish date): two files with the same key are the same law filed twice."""
    return {row["path"]: (row["title"], row["publish_date"]) for row in metadata(corpus)}


def rank_of(found: list[str], expected: list[str], keys: dict[str, tuple[str, str]]) -> int | None:
    """1-based rank of the first hit that is an expected file (or the same law filed twice)."""
    want = {keys[p] for p in expected}
    for i, path in enumerate(found[:K], start=1):
        if path in expected or keys.get(path) in want:
            return i
    return None


def metrics(ranks: list[int | None]) -> dict:
    n = len(ranks)
    return {
        "queries": n,
        "mrr_at_10": round(sum(1 / r for r in ranks if r) / n, 3),
        "hit_at_1": round(sum(1 for r in ranks if r == 1) / n, 3),
        "hit_at_3": round(sum(1 for r in ranks if r and r <= 3) / n, 3),
        "hit_at_10": round(sum(1 for r in ranks if r) / n, 3),
    }


def ours(
    index_path: Path, queries: list[dict], synonyms: bool = True, backend: str = "whoosh", **kw: str
) -> list[list[str]]:
    index = open_index(index_path, backend=backend, **kw)
    if not synonyms:  # ablation: what the synonym list is worth
        index.analyzer.synonyms = Synonyms(None)
    out = []
    for q in queries:
        text = q["query"]
        results = index.search(SearchQuery(text=text, doc_numbers=doc_numbers_in(text), per_page=K))
        out.append([h.source_file or "" for h in results.hits])
    index.close()
    return out


def baseline(corpus: Path, queries: list[dict]) -> list[list[str]]:
    """Stock BM25: default jieba words of title + text, every file, no other processing."""
    import rjieba
    from rank_bm25 import BM25Okapi

    seg = rjieba.Jieba()
    paths, docs = [], []
    for record in records(corpus):
        paths.append(record.source_file or "")
        docs.append(seg.cut(record.title + "\n" + record.body, True))
    bm25 = BM25Okapi(docs)
    out = []
    for q in queries:
        scores = bm25.get_scores(seg.cut(q["query"], True))
        best = sorted(range(len(paths)), key=lambda i: -scores[i])[:K]
        out.append([paths[i] for i in best])
    return out


def report(name: str, queries: list[dict], found: list[list[str]], keys: dict, verbose: bool):
    """Print and return strict figures (the expected file only) and those counting `also`."""
    out = {}
    for label, strict in (("strict", True), ("with_also", False)):
        ranks = [
            rank_of(f, [q["path"]] + ([] if strict else q.get("also", [])), keys)
            for q, f in zip(queries, found, strict=True)
        ]
        m = out[label] = metrics(ranks)
        print(
            f"{name + ' (' + label + ')':<34} MRR@10 {m['mrr_at_10']:.3f}   Hit@1 {m['hit_at_1']:.3f}"
            f"   Hit@3 {m['hit_at_3']:.3f}   Hit@10 {m['hit_at_10']:.3f}   ({m['queries']} queries)"
        )
    if verbose:
        for q, f, r in zip(queries, found, ranks, strict=True):
            if r != 1:
                top = keys.get(f[0], ("-",))[0] if f else "-"
                print(f"    rank {r or '-':>2}  {q['query']}  -> want {q['title']}, got {top}")
    return out, ranks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    ap.add_argument("--corpus", type=Path, default=LAWREF)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-synonyms", action="store_true", help="ablation: synonyms.txt ignored")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every query not ranked 1")
    ap.add_argument("--eval", type=Path, default=EVAL, help="evaluation file")
    add_backend_options(ap)
    args = ap.parse_args()
    queries = load_eval(args.eval)
    keys = same_text_key(args.corpus)
    result: dict = {"eval_file": str(args.eval), "backend": args.backend}
    started = time.perf_counter()
    name = "policylib, no synonyms" if args.no_synonyms else f"policylib ({args.backend})"
    found = ours(
        args.index, queries, not args.no_synonyms, backend=args.backend, pg_url=args.pg_url
    )
    result["policylib"], ranks = report(name, queries, found, keys, args.verbose)
    result["per_query"] = {q["query"]: r for q, r in zip(queries, ranks, strict=True)}
    if not args.no_baseline:
        result["stock_bm25"], _ = report(
            "stock BM25 (rank_bm25)", queries, baseline(args.corpus, queries), keys, args.verbose
        )
    result["target_mrr_at_10"] = 0.8
    result["seconds"] = round(time.perf_counter() - started, 1)
    name = result_name("search_quality_" + args.eval.stem, args.backend)
    print(f"-> {write_result(name, result)}")


if __name__ == "__main__":
    main()
