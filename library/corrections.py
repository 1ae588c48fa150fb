"""Corrections by hand: a clerk fixes what the parser guessed, traced like a status change.

A correction validates the new values (a 文号 in a recognisable form, real dates in order), writes
the document, remembers per field the value set by hand and the parser's value beside it
(`Document.corrections`), records who changed which field from what to what and why in the audit
trail, and refreshes the search index after the commit so search shows it at once.

Corrections are sticky: ingest calls `keep_corrections` after it has written a new parse, so a
re-ingested or updated file and the weekly run keep every corrected field, while fields nobody
corrected still follow the parser. `revert` gives a field back to the parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from sqlalchemy.orm import Session

from parsers.docnumber import looks_like_doc_number, normalize_doc_number

from . import audit, indexing
from .checkqueue import mark_handled
from .core import Library
from .models import KINDS, Document, utcnow

# Every field a clerk may correct, with its Chinese name, in the order the edit page shows them.
FIELD_LABELS = {
    "title": "标题",
    "doc_number": "文号",
    "issuer": "发文机关",
    "kind": "类型",
    "signed_date": "成文日期",
    "published_date": "发布日期",
    "effective_date": "施行日期",
    "expiry_date": "有效期至",
    "topic": "主题",
    "level": "效力层级",
    "interprets": "解读对象",
}
# The fields `correct` writes; the interpreted document goes through linking.link_by_hand.
EDITABLE = tuple(f for f in FIELD_LABELS if f != "interprets")
DATE_FIELDS = ("signed_date", "published_date", "effective_date", "expiry_date")
KIND_NAMES = {"document": "规范性文件", "interpretation": "政策解读"}
MAX_LENGTH = {"title": 500, "doc_number": 100, "issuer": 200, "topic": 100, "level": 50}
# (earlier, later, message when later < earlier)
DATE_ORDER = (
    ("signed_date", "published_date", "发布日期不能早于成文日期"),
    ("signed_date", "effective_date", "施行日期不能早于成文日期"),
    ("effective_date", "expiry_date", "有效期至不能早于施行日期"),
    ("signed_date", "expiry_date", "有效期至不能早于成文日期"),
)
_DATE_SHAPE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
DEFAULT_REASON = "人工核对更正"


class CorrectionError(ValueError):
    """A correction that cannot be saved; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(
            "；".join(
                f"{FIELD_LABELS.get(k, '')}{'：' if k in FIELD_LABELS else ''}{v}"
                for k, v in errors.items()
            )
        )


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


def to_json(value: object) -> object:
    """The form a field's value takes in the corrections record and the audit trail."""
    return value.isoformat() if isinstance(value, date) else value


def _from_json(field: str, value: object) -> object:
    if field in DATE_FIELDS and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def current_value(doc: Document, field: str) -> object:
    return doc.interprets_id if field == "interprets" else getattr(doc, field)


def set_value(doc: Document, field: str, value: object) -> None:
    """Write one field; a 文号 carries its normalised twin that matching and linking use."""
    if field == "interprets":
        doc.interprets_id = value  # type: ignore[assignment]
        return
    setattr(doc, field, value)
    if field == "doc_number":
        doc.doc_number_norm = normalize_doc_number(value) if value else None  # type: ignore[arg-type]


def _clean_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        if _DATE_SHAPE.fullmatch(raw):
            raise ValueError(f"“{raw}”不是真实存在的日期，请核对年月日。") from None
        raise ValueError(f"“{raw[:30]}”不是日期；请按 YYYY-MM-DD 填写，例如 2023-05-22。") from None


def clean_value(field: str, raw: object) -> object:
    """One submitted value, checked and converted; ValueError says what is wrong in Chinese."""
    if field not in EDITABLE:
        raise ValueError(f"“{field}”不是可更正的字段；可更正：{'、'.join(EDITABLE)}。")
    if isinstance(raw, date):
        return raw
    text = re.sub(r"\s+", " ", str(raw or "")).strip()
    if not text:
        if field in ("title", "kind"):
            raise ValueError(f"{field_label(field)}不能为空。")
        return None
    if field in DATE_FIELDS:
        return _clean_date(text)
    if field == "kind":
        by_name = {name: kind for kind, name in KIND_NAMES.items()}
        kind = by_name.get(text, text)
        if kind not in KINDS:
            raise ValueError(
                f"类型只能是 document（规范性文件）或 interpretation（政策解读），收到“{text[:20]}”。"
            )
        return kind
    if len(text) > MAX_LENGTH[field]:
        raise ValueError(
            f"{field_label(field)}过长（{len(text)} 字，上限 {MAX_LENGTH[field]} 字）。"
        )
    if field == "doc_number":
        text = text.replace(" ", "")
        if not looks_like_doc_number(text):
            raise ValueError(
                f"“{text[:40]}”不是可识别的文号；文号应形如“宣府办〔2023〕41号”"
                "（机关代字、方括号中的四位年份、序号和“号”）。"
            )
    return text


def _order_errors(values: Mapping[str, object], changed: set[str]) -> dict[str, str]:
    """Dates out of order, named only where a changed field takes part (older data may be odd)."""
    errors: dict[str, str] = {}
    for earlier, later, message in DATE_ORDER:
        a, b = values.get(earlier), values.get(later)
        if a and b and b < a and (earlier in changed or later in changed) and later not in errors:
            errors[later] = f"{message}（{field_label(later)} {b}，{field_label(earlier)} {a}）。"
    return errors


def _kind_errors(doc: Document, kind: object) -> dict[str, str]:
    if kind == doc.kind:
        return {}
    if kind == "document" and doc.interprets_id:
        return {"kind": f"请先解除与所解读文件 #{doc.interprets_id} 的关联，再改为规范性文件。"}
    if kind == "interpretation" and doc.interpretations:
        ids = "、".join(f"#{i.id}" for i in doc.interpretations)
        return {"kind": f"本文件已有解读（{ids}）；请先解除关联，再改为政策解读。"}
    return {}


def validate(doc: Document, changes: Mapping[str, object]) -> dict[str, object]:
    """The changed fields with their clean values; CorrectionError names every bad one at once."""
    errors: dict[str, str] = {}
    cleaned: dict[str, object] = {}
    for field, raw in changes.items():
        try:
            cleaned[field] = clean_value(field, raw)
        except ValueError as exc:
            errors[field] = str(exc)
    changed = {f: v for f, v in cleaned.items() if v != current_value(doc, f)}
    after = {f: current_value(doc, f) for f in DATE_FIELDS} | {
        f: v for f, v in changed.items() if f in DATE_FIELDS
    }
    errors |= {k: v for k, v in _order_errors(after, set(changed)).items() if k not in errors}
    if "kind" in changed:
        errors |= _kind_errors(doc, changed["kind"])
    if errors:
        raise CorrectionError(errors)
    return changed


def mark_corrected(
    doc: Document, field: str, old: object, new: object, *, actor: str, reason: str
) -> None:
    """Remember a hand-set value and the parser's value it overrides (kept from the first time).

    Setting a field back to exactly the parser's value is no correction any more: it is dropped."""
    record = dict(doc.corrections or {})
    parser = record[field]["parser"] if field in record else to_json(old)
    if to_json(new) == parser:
        record.pop(field, None)
    else:
        record[field] = {
            "value": to_json(new),
            "parser": parser,
            "by": actor,
            "at": utcnow().isoformat(timespec="seconds"),
            "reason": reason,
        }
    doc.corrections = record or None


def apply_changes(
    session: Session, doc: Document, changes: Mapping[str, object], *, actor: str, reason: str
) -> dict[str, tuple[object, object]]:
    """Validate and write corrections inside the caller's transaction; returns {field: (old, new)}."""
    cleaned = validate(doc, changes)
    if not cleaned:
        raise CorrectionError({"_": "没有任何字段与现有值不同，无需保存。"})
    reason = (reason or "").strip()[:2000] or DEFAULT_REASON
    done = {f: (current_value(doc, f), v) for f, v in cleaned.items()}
    for field, (old, new) in done.items():
        mark_corrected(doc, field, old, new, actor=actor, reason=reason)
        set_value(doc, field, new)
    audit.record(
        session,
        actor=actor,
        action="document.correct",
        entity_type="document",
        entity_id=doc.id,
        before={f: to_json(old) for f, (old, _) in done.items()},
        after={f: to_json(new) for f, (_, new) in done.items()},
        reason=reason,
    )
    # The clerk saw the parser's warnings on the way to this correction.
    mark_handled(doc, ["warning"], actor=actor, how="corrected")
    return done


def related_ids(doc: Document) -> set[int]:
    """The document and those whose search records show it (its interpretations, its target)."""
    ids = {doc.id, *(i.id for i in doc.interpretations)}
    return ids | ({doc.interprets_id} if doc.interprets_id else set())


def _get(session: Session, doc_id: int) -> Document:
    doc = session.get(Document, doc_id)
    if doc is None:
        raise CorrectionError(
            {"_": f"文件 #{doc_id} 不存在；请用 `policylib docs list` 或搜索核对编号。"}
        )
    return doc


def correct(
    lib: Library,
    doc_id: int,
    changes: Mapping[str, object],
    *,
    actor: str,
    reason: str | None = None,
) -> dict[str, tuple[object, object]]:
    """`apply_changes` in its own transaction, then the index, so search reflects it at once."""
    with lib.db.session() as session:
        doc = _get(session, doc_id)
        done = apply_changes(session, doc, changes, actor=actor, reason=reason or "")
        session.flush()
        touched = related_ids(doc)
    indexing.refresh(lib, doc_ids=touched)
    return done


def revert(
    lib: Library, doc_id: int, field: str, *, actor: str, reason: str | None = None
) -> tuple[object, object]:
    """Give one corrected field back to the parser's value; returns (hand value, parser value)."""
    with lib.db.session() as session:
        doc = _get(session, doc_id)
        record = dict(doc.corrections or {})
        if field not in record:
            corrected = "、".join(field_label(f) for f in record) or "无"
            raise CorrectionError(
                {
                    "_": f"文件 #{doc_id} 的“{field_label(field)}”没有人工更正，无需恢复（已更正：{corrected}）。"
                }
            )
        old, parser = current_value(doc, field), _from_json(field, record.pop(field)["parser"])
        touched = related_ids(doc)
        set_value(doc, field, parser)
        doc.corrections = record or None
        reason = (reason or "").strip()[:2000] or "恢复为解析结果"
        audit.record(
            session,
            actor=actor,
            action="document.revert",
            entity_type="document",
            entity_id=doc.id,
            before={field: to_json(old)},
            after={field: to_json(parser)},
            reason=reason,
        )
        session.flush()
        touched |= related_ids(doc)
    indexing.refresh(lib, doc_ids=touched)
    return old, parser


def keep_corrections(doc: Document) -> None:
    """Ingest has just written a new parse: corrected fields get their hand value back, and the
    record notes what the parser now says, so a later revert restores the latest parse."""
    record = doc.corrections or {}
    if not record:
        return
    kept = {}
    for field, entry in record.items():
        if field != "interprets":  # ingest never writes the link; linking skips hand links
            entry = entry | {"parser": to_json(current_value(doc, field))}
        kept[field] = entry
        set_value(doc, field, _from_json(field, entry["value"]))
    doc.corrections = kept


def corrected_fields(doc: Document) -> list[dict]:
    """What the document page says about hand corrections, field by field."""
    return [
        {"field": f, "label": field_label(f), **entry}
        for f in FIELD_LABELS
        if (entry := (doc.corrections or {}).get(f))
    ]


def correction_history(session: Session, doc_id: int) -> list[dict]:
    """Every correction, revert and link by hand of a document, oldest first, from the audit trail."""
    entries = audit.query(session, action="document", entity_type="document", entity_id=str(doc_id))
    return [
        audit.entry_dict(e)
        | {
            "fields": [
                {"field": f, "label": field_label(f)}
                for f in (e.after or e.before or {})
                if f in FIELD_LABELS
            ]
        }
        for e in reversed(entries)
    ]
