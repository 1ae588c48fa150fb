"""The library names records by id and ref; the web layer alone gives them addresses, and every
address it gives leads to the record."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

from library.core import Library
from library.document_view import document_view
from library.listings import list_documents
from library.search import search
from library.search_params import SearchParams
from tests.web_sample import Sample


def _addresses(obj: object) -> list[str]:
    """Every "url" and "original_url" value in a JSON object, however deep."""
    if isinstance(obj, list):
        return [a for v in obj for a in _addresses(v)]
    if not isinstance(obj, dict):
        return []
    found = [v for k, v in obj.items() if k in ("url", "original_url") and v]
    return found + [a for v in obj.values() for a in _addresses(v)]


def test_library_results_carry_ids_and_no_addresses(site: tuple[Library, Sample]) -> None:
    lib, sample = site
    found = search(lib, SearchParams(q="政务公开", include_all=True))
    view = document_view(lib, sample.doc)
    listing = list_documents(lib, include_all=True)
    for obj in (found, view, listing):
        text = json.dumps(obj, ensure_ascii=False)
        assert not _addresses(obj) and "/documents/" not in text and "/qa/" not in text
    assert {r["ref"] for r in found["results"]} >= {f"doc:{sample.doc}", f"doc:{sample.interp}"}
    assert view["has_original"] in (True, False)


def test_every_address_the_api_gives_leads_to_its_record(
    site: tuple[Library, Sample], client: FlaskClient
) -> None:
    _, sample = site
    objects = [
        client.get("/api/search?q=政务公开&all=1").get_json(),
        client.get(f"/api/documents/{sample.doc}").get_json(),
        client.get("/api/documents?all=1").get_json(),
    ]
    addresses = {a for obj in objects for a in _addresses(obj)}
    assert f"/documents/{sample.doc}" in addresses and f"/qa/{sample.qa}" in addresses
    for address in addresses:
        assert client.get(address).status_code == 200, address
