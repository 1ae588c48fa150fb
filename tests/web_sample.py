"""A small real library for the web and browser tests: documents, an interpretation, a repealed
text, Q&A. Imported by tests/webapp and tests/browser (pytest puts the project root on sys.path).

Rows are written with the models and indexed through library.indexing, the same path ingest and
the legal office take, so the pages see exactly what production code produces.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from library import indexing
from library.core import Library
from library.models import Document, QABasis, QAEntry, StatusChange

# The seeds as the project ships them (data/samples holds byte-identical copies of shared/seeds),
# so the tests do not depend on where the checkout sits.
SEEDS = Path(__file__).resolve().parents[1] / "data" / "samples"
HOSTILE_TITLE = '<script>alert("x")</script>关于规范行政执法公示的通知'


@dataclass
class Sample:
    """Ids of the rows the tests refer to by role."""

    doc: int  # 宣府办〔2023〕41号, current, has an interpretation and a published Q&A
    interp: int  # its interpretation
    repealed: int  # 龙城区 2019 要点, repealed with a status change
    hostile: int  # a title with a <script> tag
    qa: int  # published Q&A resting on `doc`
    draft_qa: int  # draft Q&A resting on `doc`: never public


def _seed_text(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def _doc(**fields) -> Document:
    text = fields.setdefault("text", "")
    fields.setdefault("content_hash", hashlib.sha256(text.encode()).hexdigest())
    return Document(**fields)


def build_sample(lib: Library) -> Sample:
    """Store the sample rows, keep an original for the main document, and index everything."""
    original = _seed_text("003").encode("utf-8")
    sha = hashlib.sha256(original).hexdigest()
    path = lib.settings.originals_dir / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(original)
    with lib.db.session() as s:
        doc = _doc(
            title="关于印发《2023年全县政务公开工作要点》的通知",
            doc_number="宣府办〔2023〕41号",
            doc_number_norm="宣府办〔2023〕41号",
            issuer="宣汉县人民政府办公室",
            signed_date=date(2023, 5, 22),
            published_date=date(2023, 5, 25),
            level="规范性文件",
            topic="政务公开",
            text=_seed_text("003"),
            evidence={
                "doc_number": {
                    "value": "宣府办〔2023〕41号",
                    "line": 1,
                    "source": "宣府办〔2023〕41号",
                }
            },
            source_file="samples/003_宣汉县政务公开工作要点.txt",
            source_format="txt",
            original_sha256=sha,
            original_size=len(original),
        )
        repealed = _doc(
            title="龙城区2019年政务公开工作要点",
            issuer="龙城区人民政府办公室",
            signed_date=date(2019, 9, 18),
            published_date=date(2019, 10, 22),
            status="repealed",
            status_since=date(2021, 1, 1),
            text=_seed_text("001"),
            source_file="001.txt",
        )
        hostile = _doc(
            title=HOSTILE_TITLE,
            issuer="测试机关<b>",
            published_date=date(2022, 3, 1),
            text="行政执法公示制度要求及时公示执法信息。<img src=x onerror=alert(1)>",
            source_file="hostile.txt",
        )
        s.add_all([doc, repealed, hostile])
        s.flush()
        interp = _doc(
            kind="interpretation",
            title="《2023年全县政务公开工作要点》解读",
            issuer="宣汉县人民政府办公室",
            published_date=date(2023, 5, 26),
            text="一、《要点》的出台背景是什么？\n为进一步做好政务公开工作，县政府办公室起草了要点。",
            interprets_id=doc.id,
            source_file="interp.txt",
        )
        s.add(interp)
        s.add(
            StatusChange(
                document_id=repealed.id,
                old_status="valid",
                new_status="repealed",
                since=date(2021, 1, 1),
                basis_title="关于公布规范性文件清理结果的决定",
                basis_number="龙府发〔2020〕9号",
                reason="清理：废止",
                actor="legal",
            )
        )
        qa = QAEntry(
            question="全县政务公开工作要点什么时候印发的？",
            answer="2023年5月22日由宣汉县人民政府办公室印发。",
            topic="政务公开",
            status="published",
            bases=[QABasis(document_id=doc.id, ref="宣府办〔2023〕41号")],
        )
        draft = QAEntry(
            question="草稿问题：政务公开内部口径",
            answer="内部草稿，不应公开。",
            status="draft",
            bases=[QABasis(document_id=doc.id, ref="宣府办〔2023〕41号")],
        )
        s.add_all([qa, draft])
        s.flush()
        sample = Sample(doc.id, interp.id, repealed.id, hostile.id, qa.id, draft.id)
    indexing.refresh(
        lib,
        doc_ids=[sample.doc, sample.interp, sample.repealed, sample.hostile],
        qa_ids=[sample.qa, sample.draft_qa],
    )
    return sample
