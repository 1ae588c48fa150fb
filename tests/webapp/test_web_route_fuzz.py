"""Property test: whatever string lands in a route's path or query string, the answer is never a 5xx.

Every rule of the app's url_map is requested (so a new route is covered the day it is added),
anonymously and signed in with each role, with Hypothesis drawing the path parts and the query
arguments: arbitrary text, the sample's real ids, digits from other scripts, numbers past 2^63,
dates in year 9999. The run is derandomized, so it is the same 2,000-odd requests every time,
against a real SQLite home holding the web sample.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

from library.core import Library
from library.users import add_user
from tests.db_backends import module_environment
from tests.validity.conftest import PASSWORD, sign_in
from tests.web_sample import build_sample
from webapp import create_app

IDENTITIES = {"anonymous": None, "admin": "admin1", "legal": "clerk", "editor": "editor1"}
IDENTITIES["agent"] = "agent1"
STAFF_HOME = {"admin": "/legal", "legal": "/legal", "editor": "/hotline", "agent": "/hotline"}
EXAMPLES_PER_IDENTITY = 8  # × 53 routes × 5 identities: over 2,000 requests
# Every query argument some route reads, plus a few it never reads.
PARAMS = (
    "q", "page", "per_page", "all", "kind", "status", "sort", "year", "issuer", "topic", "level",
    "format", "limit", "next", "size", "day", "period", "from", "to", "batch", "actor", "action",
    "entity_type", "entity_id", "review", "qid", "show", "v", "x",
)  # fmt: skip
ODD = (
    "²", "٣", "１", "-1", "0", "1", "99999999999999999999999", str(2**63), str(2**63 - 1), "",
    " ", "9999-12-31", "0001-01-01", "2024-02-30", "json", "csv", "xlsx", "week", "month",
    "/%09/evil.example/", "/\t/evil.example/", "\n", "a\r\nb", "//evil.example", "\\evil",
    "javascript:alert(1)", "<script>", "\x00", "%", "宣府办〔2023〕41号", "1e9", "+1", "1.5",
)  # fmt: skip
_ARG = re.compile(r"<[^>]+>")


def _value(ids: list[str]) -> st.SearchStrategy[str]:
    """Odd values first (Hypothesis shrinks towards the first branch), then any digits of any
    script and length, real ids, and arbitrary text."""
    return st.one_of(
        st.sampled_from(ODD),
        st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=25),
        st.sampled_from(ids),
        st.text(max_size=30),
    )


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, list[str]]]:
    with module_environment({}):
        lib = Library.open(tmp_path_factory.mktemp("home"))
        try:
            sample = build_sample(lib)
            with lib.db.session() as s:
                for role in ("admin", "legal", "editor", "agent"):
                    add_user(s, IDENTITIES[role], role, PASSWORD, actor="test")
            app = create_app(
                lib,
                config={
                    "TESTING": True,
                    "API_RATE_LIMIT": "100000 per minute",
                },
            )
            ids = [str(i) for i in (sample.doc, sample.repealed, sample.qa, sample.draft_qa, 1, 2)]
            yield app, ids
        finally:
            lib.close()


def _rules(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) a browser or script could send, GET and POST."""
    return [
        (rule, method)
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
        for method in sorted(rule.methods or ())
        if method in ("GET", "POST")
    ]


@pytest.mark.parametrize("identity", list(IDENTITIES))
def test_no_route_answers_5xx_to_odd_input(fuzz_app: tuple[Flask, list[str]], identity: str):
    app, ids = fuzz_app
    rules = _rules(app)
    sent: list[int] = []
    client = app.test_client()  # no `with`: each request loads its user afresh
    if IDENTITIES[identity]:
        sign_in(client, IDENTITIES[identity])

    @settings(
        max_examples=EXAMPLES_PER_IDENTITY,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # the failing request is in the message
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def every_route(data: st.DataObject) -> None:
        for rule, method in rules:
            path = _ARG.sub(lambda _m: quote(data.draw(_value(ids)), safe=""), rule.rule)
            query = data.draw(
                st.dictionaries(
                    st.one_of(st.sampled_from(PARAMS), st.text(max_size=10)),
                    _value(ids),
                    max_size=4,
                )
            )
            resp = client.open(path, method=method, query_string=query)
            sent.append(resp.status_code)
            assert resp.status_code < 500, (method, path, query, resp.get_data()[:300])

    every_route()
    assert len(sent) >= 2000 // len(IDENTITIES), len(sent)
    if identity in STAFF_HOME:
        assert client.get(STAFF_HOME[identity]).status_code == 200, "still signed in at the end"
