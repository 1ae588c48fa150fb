"""What callers ask and what the knowledge base could not answer, from the hotline's own usage.

Every search is a `QueryLog` row and every open, copy, 已解决 and 没帮助 a `QAEvent`. The console
searches on each keystroke, so one agent's successive prefixes of one question (社 社保 社保卡)
collapse into a single row instead of counting three questions. From these rows come the
high-frequency view (most asked questions and topics per day, week or month, with a trend) and
the list of queries that found nothing useful, grouped by their normalised text, which tells the
knowledge team what to write next.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.analyzer import fold

from ..models import QAEntry, QAEvent, QueryLog, utcnow
from .entries import QAError

EVENTS = ("open", "copy", "solved", "not_helpful")
EVENT_LABELS = {"open": "打开", "copy": "复制", "solved": "已解决", "not_helpful": "没帮助"}
# Searches by staff: what the high-frequency view counts. Anonymous searches (the portal, the
# public API) are counted apart, so a script hammering /api/qa/search cannot plant the "most
# asked" question the knowledge team works from.
STAFF_CHANNELS = ("hotline", "cli")
PUBLIC_CHANNELS = ("public", "api")
# Keystrokes of one question arrive within this window of each other.
COLLAPSE = timedelta(seconds=60)
GRANULARITIES = {"day": "日", "week": "周", "month": "月"}
TREND_BUCKETS = {"day": 14, "week": 12, "month": 12}
MAX_LOGGED_QUERY = 500
_NOT_WORD = re.compile(r"[\W_]+")


def normalize_query(text: str) -> str:
    """The form queries are grouped by: 繁简 and width folded, punctuation and spaces removed."""
    return _NOT_WORD.sub("", fold(text or ""))


def _local_tz() -> tzinfo:
    return datetime.now().astimezone().tzinfo or UTC


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def log_query(
    session: Session,
    *,
    channel: str,
    query: str,
    result_count: int,
    top_entry_id: int | None,
    user: str | None,
    now: datetime | None = None,
) -> QueryLog | None:
    """Record a search; a continuation of the same user's last query updates that row instead.

    Returns None for an empty query (nothing was asked).
    """
    text = (query or "").strip()[:MAX_LOGGED_QUERY]
    norm = normalize_query(text)
    if not norm:
        return None
    now = now or utcnow()
    if user:
        last = session.scalars(
            select(QueryLog)
            .where(QueryLog.user == user, QueryLog.channel == channel)
            .order_by(QueryLog.id.desc())
            .limit(1)
        ).first()
        if last is not None and _continues(session, last, norm, now):
            last.query, last.normalized = text, norm
            last.result_count, last.top_entry_id, last.at = result_count, top_entry_id, now
            return last
    row = QueryLog(
        channel=channel,
        query=text,
        normalized=norm,
        result_count=result_count,
        top_entry_id=top_entry_id,
        user=user,
        at=now,
    )
    session.add(row)
    session.flush()
    return row


def query_owner(session: Session, query_id: int) -> str | None:
    """Who ran a logged search: an event may only be tied to the caller's own query."""
    return session.scalar(select(QueryLog.user).where(QueryLog.id == query_id))


def _continues(session: Session, last: QueryLog, norm: str, now: datetime) -> bool:
    """Typing on (or deleting back) within the window, before anything was done with the results."""
    if now - _aware(last.at) > COLLAPSE:
        return False
    if not (norm.startswith(last.normalized) or last.normalized.startswith(norm)):
        return False
    acted = session.scalar(select(QAEvent.id).where(QAEvent.query_id == last.id).limit(1))
    return acted is None


def log_event(
    session: Session,
    *,
    event: str,
    entry_id: int,
    query_id: int | None,
    user: str | None,
    now: datetime | None = None,
) -> QAEvent:
    if event not in EVENTS:
        raise QAError(f"未知的操作“{event}”；可用：{'、'.join(EVENTS)}。")
    if session.get(QAEntry, entry_id) is None:
        raise QAError(f"问答条目 #{entry_id} 不存在。")
    if query_id is not None and session.get(QueryLog, query_id) is None:
        query_id = None
    row = QAEvent(event=event, entry_id=entry_id, query_id=query_id, user=user, at=now or utcnow())
    session.add(row)
    session.flush()
    return row


# --- periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    granularity: str
    start: date  # local calendar day, inclusive
    end: date  # exclusive

    @property
    def label(self) -> str:
        if self.granularity == "day":
            return self.start.isoformat()
        if self.granularity == "week":
            return f"{self.start.isoformat()} 起一周"
        return f"{self.start.year}年{self.start.month}月"

    def bounds(self) -> tuple[datetime, datetime]:
        """UTC instants of the local calendar bounds."""
        tz = _local_tz()
        return (
            datetime.combine(self.start, datetime.min.time(), tz).astimezone(UTC),
            datetime.combine(self.end, datetime.min.time(), tz).astimezone(UTC),
        )


def period_of(granularity: str, day: date) -> Period:
    if granularity not in GRANULARITIES:
        raise QAError(f"统计周期应为 {'、'.join(GRANULARITIES)} 之一。")
    if granularity == "day":
        return Period("day", day, day + timedelta(days=1))
    if granularity == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=7))
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return Period("month", start, end)


def _local_day(value: datetime) -> date:
    return _aware(value).astimezone(_local_tz()).date()


# --- the views ----------------------------------------------------------------------------------


def _events(session: Session, start: datetime, end: datetime) -> list[QAEvent]:
    return list(session.scalars(select(QAEvent).where(QAEvent.at >= start, QAEvent.at < end)))


def _queries(
    session: Session, start: datetime, end: datetime, channels: tuple[str, ...] = STAFF_CHANNELS
) -> list[QueryLog]:
    return list(
        session.scalars(
            select(QueryLog).where(
                QueryLog.at >= start, QueryLog.at < end, QueryLog.channel.in_(channels)
            )
        )
    )


def top_questions(session: Session, period: Period, limit: int = 10) -> list[dict]:
    """Entries by how many searches led to them (opened, copied or marked), with event counts."""
    start, end = period.bounds()
    asked: dict[int, set] = defaultdict(set)
    counts: dict[int, Counter] = defaultdict(Counter)
    for ev in _events(session, start, end):
        asked[ev.entry_id].add(ev.query_id if ev.query_id is not None else f"e{ev.id}")
        counts[ev.entry_id][ev.event] += 1
    entries = {e.id: e for e in session.scalars(select(QAEntry).where(QAEntry.id.in_(list(asked))))}
    rows = [
        {
            "entry_id": entry_id,
            "question": entries[entry_id].question if entry_id in entries else f"#{entry_id}",
            "topic": entries[entry_id].topic if entry_id in entries else None,
            "status": entries[entry_id].status if entry_id in entries else None,
            "count": len(keys),
            **{ev: counts[entry_id][ev] for ev in EVENTS},
        }
        for entry_id, keys in asked.items()
    ]
    rows.sort(key=lambda r: (-r["count"], r["entry_id"]))
    return rows[:limit]


def top_topics(session: Session, period: Period, limit: int = 10) -> list[dict]:
    totals: Counter = Counter()
    for row in top_questions(session, period, limit=10**9):
        totals[row["topic"] or "未分类"] += row["count"]
    return [{"topic": t, "count": c} for t, c in totals.most_common(limit)]


def top_queries(
    session: Session,
    period: Period,
    limit: int = 10,
    channels: tuple[str, ...] = STAFF_CHANNELS,
) -> list[dict]:
    start, end = period.bounds()
    groups: dict[str, list[QueryLog]] = defaultdict(list)
    for q in _queries(session, start, end, channels):
        groups[q.normalized].append(q)
    rows = [
        {"normalized": n, "example": max(qs, key=lambda q: q.id).query, "count": len(qs)}
        for n, qs in groups.items()
    ]
    rows.sort(key=lambda r: (-r["count"], r["normalized"]))
    return rows[:limit]


def trend(session: Session, granularity: str, today: date) -> list[dict]:
    """Searches and answered searches per day/week/month, oldest first, ending with `today`'s."""
    periods = [period_of(granularity, today)]
    for _ in range(TREND_BUCKETS[granularity] - 1):
        periods.insert(0, period_of(granularity, periods[0].start - timedelta(days=1)))
    start, _ = periods[0].bounds()
    _, end = periods[-1].bounds()
    useful = _useful_query_ids(session, start, end)
    by_bucket: Counter = Counter()
    used: Counter = Counter()
    index = {p.start: i for i, p in enumerate(periods)}
    for q in _queries(session, start, end):
        bucket = index[period_of(granularity, _local_day(q.at)).start]
        by_bucket[bucket] += 1
        used[bucket] += q.id in useful
    return [
        {
            "label": p.label,
            "start": p.start.isoformat(),
            "queries": by_bucket[i],
            "answered": used[i],
        }
        for i, p in enumerate(periods)
    ]


def _useful_query_ids(session: Session, start: datetime, end: datetime) -> set[int]:
    """Queries after which an answer was opened, copied or marked solved."""
    stmt = select(QAEvent.query_id).where(
        QAEvent.query_id.is_not(None),
        QAEvent.event.in_(("open", "copy", "solved")),
        QAEvent.at >= start,
    )
    return set(session.scalars(stmt))


def unanswered(session: Session, period: Period, limit: int = 50) -> list[dict]:
    """Queries that found nothing useful — no results, nothing opened, or marked 没帮助 — grouped."""
    start, end = period.bounds()
    useful = _useful_query_ids(session, start, end)
    unhelpful = set(
        session.scalars(
            select(QAEvent.query_id).where(
                QAEvent.event == "not_helpful", QAEvent.at >= start, QAEvent.query_id.is_not(None)
            )
        )
    )
    groups: dict[str, dict] = {}
    for q in _queries(session, start, end):
        if q.id in useful and q.id not in unhelpful:
            continue
        g = groups.setdefault(
            q.normalized,
            {
                "normalized": q.normalized,
                "example": q.query,
                "count": 0,
                "no_results": 0,
                "nothing_opened": 0,
                "not_helpful": 0,
                "last_at": None,
            },
        )
        g["count"] += 1
        if q.result_count == 0:
            g["no_results"] += 1
        elif q.id in unhelpful:
            g["not_helpful"] += 1
        else:
            g["nothing_opened"] += 1
        at = _aware(q.at)
        if g["last_at"] is None or at > g["last_at"]:
            g["last_at"], g["example"] = at, q.query
    rows = sorted(groups.values(), key=lambda g: (-g["count"], g["normalized"]))[:limit]
    for g in rows:
        g["last_at"] = g["last_at"].astimezone(_local_tz()).isoformat(timespec="minutes")
    return rows


def overview(session: Session, granularity: str, today: date | None = None) -> dict:
    """Everything the high-frequency page shows, as one JSON-ready dict."""
    today = today or datetime.now(_local_tz()).date()
    period = period_of(granularity, today)
    start, end = period.bounds()
    queries = _queries(session, start, end)
    return {
        "granularity": granularity,
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "totals": {
            "queries": len(queries),
            "no_results": sum(1 for q in queries if q.result_count == 0),
            "events": dict(Counter(e.event for e in _events(session, start, end))),
        },
        "top_questions": top_questions(session, period),
        "top_topics": top_topics(session, period),
        "top_queries": top_queries(session, period),
        "trend": trend(session, granularity, today),
        "unanswered": unanswered(session, period),
        "public": {
            "queries": len(_queries(session, start, end, PUBLIC_CHANNELS)),
            "top_queries": top_queries(session, period, channels=PUBLIC_CHANNELS),
        },
    }
