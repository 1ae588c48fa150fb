"""Usage logging and the high-frequency view: keystrokes collapse, counts add up, gaps show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from library.core import Library
from library.models import QueryLog
from library.qa import stats
from library.qa.entries import check_input
from library.qa.workflow import create_entry

T0 = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)  # a Monday


def _entries(lib: Library) -> tuple[int, int]:
    with lib.db.session() as s:
        a = create_entry(
            s, check_input(question="低保怎么申请？", answer="甲", topic="低保"), actor="t"
        )
        b = create_entry(
            s, check_input(question="社保卡怎么补？", answer="乙", topic="社保"), actor="t"
        )
        return a.id, b.id


def test_keystrokes_of_one_question_collapse(lib: Library) -> None:
    with lib.db.session() as s:
        ids = set()
        for i, typed in enumerate(["低", "低保", "低保怎", "低保怎么申请", "低保怎么"]):
            row = stats.log_query(
                s,
                channel="hotline",
                query=typed,
                result_count=3,
                top_entry_id=None,
                user="agent1",
                now=T0 + timedelta(seconds=i),
            )
            ids.add(row.id)
        assert len(ids) == 1
        # Another agent, another question, or a pause starts a new row.
        other = stats.log_query(
            s,
            channel="hotline",
            query="低保怎么",
            result_count=3,
            top_entry_id=None,
            user="agent2",
            now=T0,
        )
        later = stats.log_query(
            s,
            channel="hotline",
            query="低保怎么申请",
            result_count=3,
            top_entry_id=None,
            user="agent1",
            now=T0 + timedelta(minutes=5),
        )
        fresh = stats.log_query(
            s,
            channel="hotline",
            query="公积金",
            result_count=3,
            top_entry_id=None,
            user="agent1",
            now=T0 + timedelta(minutes=5, seconds=2),
        )
        assert len({other.id, later.id, fresh.id} | ids) == 4
        assert (
            stats.log_query(
                s, channel="hotline", query=" ？ ", result_count=0, top_entry_id=None, user="agent1"
            )
            is None
        )
        assert s.scalar(select(func.count()).select_from(QueryLog)) == 4


def test_an_opened_query_is_not_continued(lib: Library) -> None:
    a, _ = _entries(lib)
    with lib.db.session() as s:
        first = stats.log_query(
            s, channel="hotline", query="低保", result_count=2, top_entry_id=a, user="u", now=T0
        )
        stats.log_event(s, event="open", entry_id=a, query_id=first.id, user="u", now=T0)
        second = stats.log_query(
            s,
            channel="hotline",
            query="低保标准",
            result_count=2,
            top_entry_id=a,
            user="u",
            now=T0 + timedelta(seconds=3),
        )
        assert second.id != first.id


def test_high_frequency_counts_and_unanswered_groups(lib: Library) -> None:
    a, b = _entries(lib)
    day = T0.astimezone(stats._local_tz()).date()
    with lib.db.session() as s:

        def ask(text: str, minutes: int, user: str, results: int = 2) -> int:
            row = stats.log_query(
                s,
                channel="hotline",
                query=text,
                result_count=results,
                top_entry_id=None,
                user=user,
                now=T0 + timedelta(minutes=minutes),
            )
            return row.id

        q1 = ask("低保怎么申请", 0, "u1")
        stats.log_event(s, event="open", entry_id=a, query_id=q1, user="u1", now=T0)
        stats.log_event(s, event="copy", entry_id=a, query_id=q1, user="u1", now=T0)
        stats.log_event(s, event="solved", entry_id=a, query_id=q1, user="u1", now=T0)
        q2 = ask("低保條件", 2, "u2")
        stats.log_event(s, event="open", entry_id=a, query_id=q2, user="u2", now=T0)
        q3 = ask("社保卡补办", 4, "u3")
        stats.log_event(s, event="open", entry_id=b, query_id=q3, user="u3", now=T0)
        stats.log_event(s, event="not_helpful", entry_id=b, query_id=q3, user="u3", now=T0)
        ask("养蜂补贴", 6, "u1", results=0)
        ask("养蜂 补贴！", 8, "u2", results=0)
        ask("养蜂补贴", 10, "u3", results=0)
        ask("驾照换证", 12, "u1")  # results shown, nothing opened

        view = stats.overview(s, "day", today=day)
        assert view["totals"]["queries"] == 7
        assert view["totals"]["no_results"] == 3
        assert [
            (r["entry_id"], r["count"], r["copy"], r["solved"]) for r in view["top_questions"]
        ] == [(a, 2, 1, 1), (b, 1, 0, 0)]
        assert view["top_topics"] == [{"topic": "低保", "count": 2}, {"topic": "社保", "count": 1}]
        unanswered = {g["normalized"]: g for g in view["unanswered"]}
        assert list(unanswered) == ["养蜂补贴", "社保卡补办", "驾照换证"]
        assert unanswered["养蜂补贴"]["count"] == 3 and unanswered["养蜂补贴"]["no_results"] == 3
        assert unanswered["社保卡补办"]["not_helpful"] == 1
        assert unanswered["驾照换证"]["nothing_opened"] == 1
        assert view["top_queries"][0] == {
            "normalized": "养蜂补贴",
            "example": "养蜂补贴",
            "count": 3,
        }
        assert view["trend"][-1]["queries"] == 7 and view["trend"][-1]["answered"] == 3
        assert len(view["trend"]) == 14 and view["trend"][-2]["queries"] == 0
        # The week and the month hold the same day; the next day holds nothing.
        assert stats.overview(s, "week", today=day)["totals"]["queries"] == 7
        assert stats.overview(s, "month", today=day)["totals"]["queries"] == 7
        assert stats.overview(s, "day", today=day + timedelta(days=1))["totals"]["queries"] == 0


def test_periods() -> None:
    from datetime import date

    assert stats.period_of("week", date(2025, 3, 13)).start == date(2025, 3, 10)
    assert stats.period_of("month", date(2025, 12, 31)).end == date(2026, 1, 1)
    assert stats.normalize_query(" 低保 條件？") == "低保条件"
