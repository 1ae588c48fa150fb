"""What a search request is: its parameters, validated, as the pages, the API and the CLI all
understand them (`parse_params` → `SearchParams` → the index's `SearchQuery`), and the names of
kinds, facets and sorts they show.

Validation messages are Chinese and say what to fix, so no address a person can type ends in a
server error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from parsers.docnumber import find_doc_numbers, normalize_doc_number

from .inputs import parse_whole
from .models import STATUSES
from .status_labels import status_label

if TYPE_CHECKING:
    from indexer import SearchQuery

MAX_QUERY_CHARS = 2000
MAX_PAGE = 1000
DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 50
MAX_FILTER_VALUES = 20
# Values listed per facet, most frequent first (search results and the catalogue); a province
# has hundreds of issuers. Chosen values are always among them: at most MAX_FILTER_VALUES.
FACET_VALUES = 30
SORTS = {"relevance": "相关度", "date": "日期"}
KIND_LABELS = {"document": "规范性文件", "interpretation": "政策解读", "qa": "政策问答"}
# Facets shown on the results page, in display order, with their Chinese names.
FACETS = {
    "kind": "类型",
    "status": "有效性",
    "issuer": "发文机关",
    "year": "年份",
    "level": "效力层级",
    "topic": "主题",
}
# Facets passed to the index as free-valued filters (the others have fixed vocabularies).
FREE_FILTERS = ("issuer", "year", "level", "topic")
# Q&A entries the public may see; drafts and entries awaiting review stay inside the hotline.
PUBLIC_QA_STATUSES = ("published",)
_YEAR_RE = re.compile(r"(19|20)\d{2}")


def doc_numbers_in(text: str) -> list[str]:
    """The 文号 a query names, normalised as the index stores them: the index finds a record by
    its 文号 typed in any bracket style, but reads no 文号 itself (that is `parsers`' job)."""
    found = find_doc_numbers(text[:MAX_QUERY_CHARS])
    return list(dict.fromkeys(normalize_doc_number(m.group(0)) for m in found))


def facet_label(facet: str, value: str) -> str:
    """What a facet value is called on the page: kinds and statuses by name, the rest as they are."""
    if facet == "kind":
        return KIND_LABELS.get(value, value)
    if facet == "status":
        return status_label(value)
    return value


class SearchParamError(ValueError):
    """A request parameter that cannot be used; `message` is Chinese and says how to fix it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


@dataclass(frozen=True)
class SearchParams:
    """One validated search request, as the pages, the API and the CLI all understand it."""

    q: str = ""
    include_all: bool = False
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def to_query(self) -> SearchQuery:
        from indexer import SearchQuery

        return SearchQuery(
            text=self.q,
            doc_numbers=doc_numbers_in(self.q),
            include_all=self.include_all,
            kinds=list(self.kinds) or None,
            filters={k: list(v) for k, v in self.filters.items() if v},
            statuses=self.visible_statuses(),
            sort=self.sort,
            page=self.page,
            per_page=self.per_page,
        )

    def visible_statuses(self) -> list[str] | None:
        """Statuses the public may see; None keeps the index's "current only" default.

        "All" means every document status but still only published Q&A: drafts and entries
        awaiting review belong to the hotline, never to the public.
        """
        if self.statuses:
            return list(self.statuses)
        if self.include_all:
            return [*STATUSES, *PUBLIC_QA_STATUSES]
        return None

    def args(self) -> list[tuple[str, str]]:
        """The query-string pairs that reproduce this request (page links, facet links)."""
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        if self.include_all:
            pairs.append(("all", "1"))
        pairs += [("kind", k) for k in self.kinds]
        pairs += [("status", s) for s in self.statuses]
        for name in FREE_FILTERS:
            pairs += [(name, v) for v in self.filters.get(name, ())]
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        if self.per_page != DEFAULT_PER_PAGE:
            pairs.append(("per_page", str(self.per_page)))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        return pairs

    def selected(self, facet: str) -> tuple[str, ...]:
        if facet == "kind":
            return self.kinds
        if facet == "status":
            return self.statuses
        return self.filters.get(facet, ())

    def toggled(self, facet: str, value: str) -> SearchParams:
        """This request with one facet value switched on or off, back on page 1."""
        chosen = list(self.selected(facet))
        chosen = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
        if facet == "kind":
            return replace(self, kinds=tuple(chosen), page=1)
        if facet == "status":
            return replace(self, statuses=tuple(chosen), page=1)
        return replace(self, filters={**self.filters, facet: tuple(chosen)}, page=1)

    def with_(self, **changes: Any) -> SearchParams:
        return replace(self, **changes)


def _values(args: Mapping[str, Any], name: str) -> list[str]:
    raw = args.get(name, [])
    items = [raw] if isinstance(raw, str) else list(raw or [])
    return [v.strip() for v in items if isinstance(v, str) and v.strip()]


def _one(args: Mapping[str, Any], name: str) -> str | None:
    values = _values(args, name)
    return values[-1] if values else None


def _int(args: Mapping[str, Any], name: str, default: int, low: int, high: int, what: str) -> int:
    raw = _one(args, name)
    if raw is None:
        return default
    value = parse_whole(raw, low, high)
    if value is None:
        raise SearchParamError(
            name, f"{what}应为 {low} 到 {high} 之间的整数，收到的是“{raw[:20]}”。"
        )
    return value


def _bool(args: Mapping[str, Any], name: str) -> bool:
    raw = (_one(args, name) or "0").lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SearchParamError(name, f"“{name}”只能是 0 或 1，收到的是“{raw[:20]}”。")


def _choices(args: Mapping[str, Any], name: str, allowed: Iterable[str], what: str) -> tuple:
    values = _values(args, name)
    allowed = tuple(allowed)
    for v in values:
        if v not in allowed:
            raise SearchParamError(name, f"未知的{what}“{v[:40]}”，可选值：{'、'.join(allowed)}。")
    return tuple(dict.fromkeys(values))


def parse_params(args: Mapping[str, Any]) -> SearchParams:
    """Validate raw request arguments (a dict of str or list of str) into SearchParams.

    Everything a person could type into the address bar either works or raises SearchParamError
    with a message that says what was wrong, so no request can end in a server error.
    """
    q = " ".join(_values(args, "q"))
    if len(q) > MAX_QUERY_CHARS:
        raise SearchParamError(
            "q", f"查询内容过长（{len(q)} 字），请缩短到 {MAX_QUERY_CHARS} 字以内后重试。"
        )
    filters: dict[str, tuple[str, ...]] = {}
    for name in FREE_FILTERS:
        values = tuple(dict.fromkeys(v[:200] for v in _values(args, name)))
        if len(values) > MAX_FILTER_VALUES:
            raise SearchParamError(name, f"“{FACETS[name]}”最多可同时选择 {MAX_FILTER_VALUES} 项。")
        if name == "year":
            bad = [v for v in values if not _YEAR_RE.fullmatch(v)]
            if bad:
                raise SearchParamError(
                    "year", f"年份应为四位数字，例如 2023，收到的是“{bad[0][:20]}”。"
                )
        if values:
            filters[name] = values
    return SearchParams(
        q=q,
        include_all=_bool(args, "all"),
        kinds=_choices(args, "kind", KIND_LABELS, "类型"),
        statuses=_choices(args, "status", STATUSES, "有效性状态"),
        filters=filters,
        sort=(_choices(args, "sort", SORTS, "排序方式") or ("relevance",))[-1],
        page=_int(args, "page", 1, 1, MAX_PAGE, "页码"),
        per_page=_int(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE, "每页条数"),
    )
