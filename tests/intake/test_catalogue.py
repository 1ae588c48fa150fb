"""The catalogue /documents as a browsable directory: facets with counts (other filters applied),
years newest first, every filter combination a plain link with a JSON twin, corrections at once."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from flask import Flask

from library import corrections
from library.core import Library
from tests.intake.conftest import seed_id
from tests.validity.conftest import make_doc


@pytest.fixture
def shelf(seeded: Library) -> Library:
    """The seeds plus documents with a level, a topic and a repealed status."""
    make_doc(
        seeded, "宣汉县养老服务补贴办法", "宣府发〔2021〕3号", issuer="宣汉县人民政府",
        signed_date=date(2021, 3, 1), level="县级规范性文件", topic="养老",
    )  # fmt: skip
    make_doc(
        seeded, "宣汉县就业创业扶持办法", "宣府发〔2020〕9号", issuer="宣汉县人民政府",
        signed_date=date(2020, 6, 1), level="县级规范性文件", topic="就业", status="repealed",
    )  # fmt: skip
    return seeded


@pytest.fixture
def client(shelf: Library):
    app: Flask = Flask  # placeholder for the type checker
    from webapp import create_app

    app = create_app(shelf, config={"TESTING": True})
    with app.test_client() as c:
        yield c


def _json(client, query: str) -> dict:
    resp = client.get("/documents" + query, headers={"Accept": "application/json"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.get_json()


def _counts(data: dict, facet: str) -> dict[str, int]:
    return {f["value"]: f["count"] for f in data["facets"][facet]}


def test_facets_count_current_documents_and_years_run_newest_first(client) -> None:
    data = _json(client, "")
    assert data["total"] == 6  # five seeds and the 养老 rules; the repealed one only on request
    assert _counts(data, "kind") == {"document": 4, "interpretation": 2}
    assert _counts(data, "issuer")["宣汉县人民政府"] == 1
    assert _counts(data, "status") == {"valid": 6, "repealed": 1}  # alternatives stay visible
    years = [f["value"] for f in data["facets"]["year"]]
    assert years == sorted(years, reverse=True) and years[:2] == ["2023", "2022"]
    assert _counts(data, "topic") == {"养老": 1}
    everything = _json(client, "?all=1")
    assert everything["total"] == 7 and _counts(everything, "topic") == {"养老": 1, "就业": 1}


def test_filters_combine_and_each_combination_is_a_plain_link(client) -> None:
    data = _json(client, "?all=1&issuer=宣汉县人民政府&year=2020")
    assert [d["title"] for d in data["results"]] == ["宣汉县就业创业扶持办法"]
    assert data["filters"] == {"issuer": ["宣汉县人民政府"], "year": ["2020"]}
    assert _counts(data, "year") == {"2021": 1, "2020": 1}  # the year facet ignores its own filter
    page = client.get("/documents?kind=document").get_data(as_text=True)
    assert "<script" not in page
    links = [html.unescape(h) for h in re.findall(r'href="(/documents\?[^"]+)"', page)]
    facet_links = [h for h in links if "format=json" not in h and "page=" not in h]
    assert len(facet_links) >= 8
    for link in facet_links:  # each link works, and its JSON twin says the same total
        shown = client.get(link)
        assert shown.status_code == 200, link
        twin = client.get(link + "&format=json").get_json()
        assert f"共 {twin['total']} 件" in shown.get_data(as_text=True), link
    assert client.get("/documents?year=20x1").status_code == 400


def test_a_correction_shows_in_the_catalogue_at_once(client, shelf: Library) -> None:
    doc_id = seed_id(shelf, "001")
    corrections.correct(shelf, doc_id, {"topic": "政务公开", "level": "区级规范性文件"}, actor="c")
    data = _json(client, "?topic=政务公开")
    assert [d["id"] for d in data["results"]] == [doc_id]
    assert _counts(data, "level") == {"区级规范性文件": 1}
