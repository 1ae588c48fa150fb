"""Fixtures for the search index: a real index on disk, the project's dictionary, seed records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from indexer.backends.postgres import PgSearchIndex
from indexer.backends.whoosh import SearchIndex
from indexer.interface import SearchQuery
from indexer.records import IndexRecord
from library.search_params import doc_numbers_in
from parsers.docnumber import normalize_doc_number
from tests.db_backends import fresh_pg_database

ROOT = Path(__file__).resolve().parents[2]
DICT_DIR = ROOT / "data" / "dict"
SEEDS = ROOT / "data" / "samples"
SEARCH_BACKENDS = ("whoosh", "postgres")


def record(id: str, title: str, body: str = "", **kw: object) -> IndexRecord:
    kw.setdefault("kind", "document")
    kw.setdefault("status", "valid")
    if kw.get("doc_number"):  # as the library's ingest stores it
        kw.setdefault("doc_number_norm", normalize_doc_number(str(kw["doc_number"])))
    return IndexRecord(id=id, title=title, body=body, **kw)  # type: ignore[arg-type]


def query(text: str, **kw: object) -> SearchQuery:
    """The request the library sends for `text`: with the 文号 it names (the index reads none)."""
    return SearchQuery(text=text, doc_numbers=doc_numbers_in(text), **kw)  # type: ignore[arg-type]


def seed_records() -> list[IndexRecord]:
    """The five seed texts as records: 000 and 002 are traditional with converter litter."""
    out = []
    meta = {
        "000": ("interpretation", "《2024年興國縣政務公開工作要點》解讀", None, date(2024, 3, 1)),
        "001": ("document", "龙城区2019年政务公开工作要点", None, date(2019, 10, 22)),
        "002": (
            "interpretation",
            "《四川省人民政府辦公廳關于印發四川省2018年政務公開工作要點的通知》解讀三",
            None,
            date(2018, 6, 15),
        ),
        "003": (
            "document",
            "宣汉县人民政府办公室关于印发《2023年全县政务公开工作要点》的通知",
            "宣府办〔2023〕41号",
            date(2023, 5, 22),
        ),
        "004": (
            "document",
            "高安市人民政府办公室关于印发高安市全面推进基层政务公开标准化规范化建设方案的通知",
            "高府办发〔2022〕20号",
            date(2022, 3, 14),
        ),
    }
    for path in sorted(SEEDS.glob("*.txt")):
        n = path.name[:3]
        text = path.read_text(encoding="utf-8")
        kind, title, number, when = meta[n]
        out.append(
            record(
                f"doc:{int(n) + 1}",
                title,
                text,
                kind=kind,
                doc_number=number,
                issuer="宣汉县人民政府办公室" if n == "003" else "高安市人民政府办公室",
                level="规范性文件",
                topic="政务公开",
                signed_date=when,
                source_file=path.name,
            )
        )
    return out


@pytest.fixture
def make_index(tmp_path: Path) -> Iterator[Callable[..., SearchIndex]]:
    made: list[SearchIndex] = []

    def make(path: Path | None = None, **kw: object) -> SearchIndex:
        index = SearchIndex(path or tmp_path / "index", dictionary_dir=DICT_DIR, **kw)  # type: ignore[arg-type]
        made.append(index)
        return index

    yield make
    for index in made:
        index.close()


@pytest.fixture
def make_pg_index() -> Iterator[Callable[..., PgSearchIndex]]:
    """The PostgreSQL backend on a database of its own (skips without a server); `path` is
    accepted and ignored, so a test can make either backend the same way."""
    with fresh_pg_database("policylib_search") as url:
        made: list[PgSearchIndex] = []

        def make(path: Path | None = None, **kw: object) -> PgSearchIndex:
            index = PgSearchIndex(url, dictionary_dir=DICT_DIR, **kw)  # type: ignore[arg-type]
            made.append(index)
            return index

        yield make
        for index in made:
            index.close()


@pytest.fixture
def seeded(make_index: Callable[..., SearchIndex]) -> SearchIndex:
    index = make_index()
    index.upsert(seed_records())
    return index
