"""The JSON API against its OpenAPI description, both ways, and the contract fields other systems use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from sqlalchemy import text

from library.core import Library
from tests.web_sample import Sample
from webapp import create_app

SPEC_PATH = Path(__file__).resolve().parents[2] / "webapp" / "openapi.json"


@pytest.fixture(scope="module")
def spec() -> dict:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def examples(sample: Sample) -> dict[tuple[str, str], str]:
    """One real request per documented (path, status)."""
    return {
        ("/api/search", "200"): "/api/search?q=政务公开&all=1",
        ("/api/search", "400"): "/api/search?q=政务&page=abc",
        ("/api/documents", "200"): "/api/documents?page=1&all=1",
        ("/api/documents", "400"): "/api/documents?page=-1",
        ("/api/documents/{id}", "200"): f"/api/documents/{sample.doc}",
        ("/api/documents/{id}", "404"): "/api/documents/999999",
        ("/api/openapi.json", "200"): "/api/openapi.json",
        ("/api/qa/search", "200"): "/api/qa/search?q=政务公开",
        ("/api/qa/search", "400"): "/api/qa/search?q=政务公开&limit=0",
        ("/api/qa/export", "200"): "/api/qa/export",
        ("/api/qa/export", "400"): "/api/qa/export?format=pdf",
        ("/healthz", "200"): "/healthz",
    }


def validator(spec: dict, schema: dict) -> OAS31Validator:
    return OAS31Validator({"components": spec["components"], **schema})


def test_openapi_document_is_valid(spec: dict):
    validate(spec)


def test_every_documented_response_matches_the_live_app(
    spec: dict, client: FlaskClient, sample: Sample
):
    requests = examples(sample)
    documented = set()
    for path, item in spec["paths"].items():
        for status, response in item["get"]["responses"].items():
            documented.add((path, status))
            if (path, status) == ("/healthz", "503"):
                continue  # exercised with a broken database below
            url = requests[(path, status)]
            resp = client.get(url)
            assert str(resp.status_code) == status, url
            assert resp.mimetype == "application/json", url
            schema = response["content"]["application/json"]["schema"]
            validator(spec, schema).validate(resp.get_json())
    assert documented - {("/healthz", "503")} == set(requests)


def test_every_api_route_is_documented(spec: dict, app: Flask):
    routes = {
        str(rule.rule).replace("<raw_id>", "{id}")
        for rule in app.url_map.iter_rules()
        if str(rule.rule).startswith("/api/") or str(rule.rule) == "/healthz"
    }
    assert routes == set(spec["paths"])


def test_served_description_names_this_server(client: FlaskClient):
    served = client.get("/api/openapi.json").get_json()
    assert served["servers"][0]["url"] == "/"  # relative: never the caller's Host header
    assert set(served["paths"]) >= {"/api/search", "/api/documents/{id}", "/healthz"}


def test_search_contract_fields(client: FlaskClient, sample: Sample):
    data = client.get("/api/search?q=政务公开工作要点").get_json()
    assert data["total"] >= 2
    ids = {r["ref"] for r in data["results"]}
    assert f"doc:{sample.doc}" in ids and f"doc:{sample.repealed}" not in ids
    first = next(r for r in data["results"] if r["ref"] == f"doc:{sample.doc}")
    assert first["id"] == sample.doc and first["type"] == "document"
    assert first["url"] == f"/documents/{sample.doc}"
    assert first["status"] == "valid" and first["source_file"].endswith(".txt")
    assert [i["id"] for i in first["related"]["interpretations"]] == [sample.interp]
    assert [q["id"] for q in first["related"]["qa"]] == [sample.qa]
    assert set(data["facets"]) >= {"kind", "status", "issuer", "year"}


def test_search_returns_qa_entries_with_their_own_url(client: FlaskClient, sample: Sample):
    data = client.get("/api/search?q=什么时候印发").get_json()
    qa = [r for r in data["results"] if r["type"] == "qa"]
    assert [r["id"] for r in qa] == [sample.qa]
    assert qa[0]["url"] == f"/qa/{sample.qa}" and qa[0]["ref"] == f"qa:{sample.qa}"
    assert [b["id"] for b in qa[0]["related"]["bases"]] == [sample.doc]
    drafts = client.get("/api/search?q=内部口径&all=1").get_json()
    assert all(r["ref"] != f"qa:{sample.draft_qa}" for r in drafts["results"])


def test_all_flag_includes_non_current_documents_labelled(client: FlaskClient, sample: Sample):
    data = client.get("/api/search?q=龙城区&all=1").get_json()
    hit = next(r for r in data["results"] if r["id"] == sample.repealed)
    assert hit["status"] == "repealed" and hit["status_label"] == "已废止"
    assert hit["is_current"] is False
    assert client.get("/api/search?q=龙城区&all=0").get_json()["total"] == 0


def test_document_object_has_the_docs_show_fields(client: FlaskClient, sample: Sample):
    doc = client.get(f"/api/documents/{sample.interp}").get_json()
    for key in (
        "id",
        "title",
        "kind",
        "doc_number",
        "issuer",
        "signed_date",
        "published_date",
        "effective_date",
        "expiry_date",
        "status",
        "status_label",
        "interprets",
        "source_file",
        "evidence",
        "interpretations",
        "status_history",
        "qa",
    ):
        assert key in doc, key
    assert doc["kind"] == "interpretation" and doc["interprets"] == sample.doc
    main = client.get(f"/api/documents/{sample.doc}").get_json()
    assert main["signed_date"] == "2023-05-22" and main["interprets"] is None
    assert main["evidence"]["doc_number"]["line"] == 1
    assert main["original_url"] == f"/documents/{sample.doc}/original"
    repealed = client.get(f"/api/documents/{sample.repealed}").get_json()
    assert repealed["status_history"][0]["new_status"] == "repealed"
    assert repealed["status_history"][0]["basis_number"] == "龙府发〔2020〕9号"


def test_page_twin_of_a_document_is_the_api_object(client: FlaskClient, sample: Sample):
    page = client.get(f"/documents/{sample.doc}?format=json").get_json()
    assert page == client.get(f"/api/documents/{sample.doc}").get_json()


def test_document_list_pages(client: FlaskClient, sample: Sample):
    current = client.get("/api/documents?per_page=2").get_json()
    assert current["total"] == 3 and len(current["results"]) == 2 and current["pages"] == 2
    everything = client.get("/api/documents?all=1&per_page=50").get_json()
    assert everything["total"] == 4
    assert {d["id"] for d in everything["results"]} >= {sample.repealed}


def test_api_errors_are_json_with_a_chinese_message(client: FlaskClient, sample: Sample):
    for url, status, param in (
        ("/api/search?page=-1", 400, "page"),
        ("/api/search?status=gone", 400, "status"),
        ("/api/documents/abc", 404, "id"),
        ("/api/documents/0", 404, "id"),
        ("/api/nothing", 404, None),
    ):
        resp = client.get(url)
        body = resp.get_json()
        assert resp.status_code == status, url
        assert body["error"]["param"] == param, url
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"]), url
    assert client.post("/api/search").status_code == 405


def test_healthz_reports_counts_and_index(
    site: tuple[Library, Sample], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(site[0].settings, "health_token", "monitoring")
    client = create_app(site[0], config={"TESTING": True}).test_client()
    body = client.get("/healthz", headers={"Authorization": "Bearer monitoring"}).get_json()
    assert body["status"] == "ok", body["problems"]
    assert (body["documents"], body["interpretations"]) == (3, 1)
    assert body["index"]["count"] == 4 + 2  # four documents and both Q&A entries
    assert body["index"]["matches_database"] is True


def test_healthz_is_503_when_the_database_is_unusable(spec: dict, lib: Library):
    app = create_app(lib, config={"TESTING": True})
    cascade = " CASCADE" if lib.db.engine.dialect.name == "postgresql" else ""  # its FKs go too
    with lib.db.engine.begin() as conn:
        conn.execute(text("DROP TABLE qa_entries" + cascade))
    lib.settings.health_token = "monitoring"
    resp = app.test_client().get("/healthz", headers={"Authorization": "Bearer monitoring"})
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "error" and "database" in body["reason"]
    assert resp.headers["Content-Type"] == "application/json"
    schema = spec["paths"]["/healthz"]["get"]["responses"]["503"]["content"]["application/json"]
    validator(spec, schema["schema"]).validate(body)
    anonymous = app.test_client().get("/healthz")
    assert anonymous.status_code == 503 and anonymous.get_json() == {"status": "error"}
    validator(spec, schema["schema"]).validate(anonymous.get_json())
