"""The public listings run newest filed first (published, else signed, else effective date),
undated documents last, on both databases (the order an index serves: `models.filed_order`)."""

from __future__ import annotations

from datetime import date

from library.core import Library
from library.listings import list_documents
from tests.validity.conftest import make_doc


def test_newest_filed_first_and_undated_last(lib: Library) -> None:
    undated = make_doc(lib, "未注明日期的通知")
    signed = make_doc(lib, "只有签发日期的通知", signed_date=date(2023, 5, 1))
    published = make_doc(
        lib, "有发布日期的通知", published_date=date(2024, 1, 2), signed_date=date(2026, 1, 1)
    )
    effective = make_doc(lib, "只有施行日期的通知", effective_date=date(2025, 7, 1))
    same_day = make_doc(lib, "同日签发的另一份通知", signed_date=date(2023, 5, 1))
    listed = [row["id"] for row in list_documents(lib)["results"]]
    assert listed == [effective, published, same_day, signed, undated]
    second = list_documents(lib, page=2, per_page=2)["results"]
    assert [row["id"] for row in second] == [same_day, signed]
