"""Ingest end to end on real files: outcomes, duplicates across formats, links, hostile input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from library.documents import document_dict
from library.ingest import ingest_paths
from library.models import Document, QAEntry, SourceFile, StatusChange, StatusProposal

SEED_IDS = ["000", "001", "002", "003", "004"]


def _docs(lib) -> dict[int, dict]:
    with lib.db.session() as s:
        return {d.id: document_dict(d, with_text=True) for d in s.scalars(select(Document))}


def test_samples_ingest_once_then_unchanged(lib, samples: Path) -> None:
    first = ingest_paths(lib, [samples], index=False)
    txts = sorted(samples.glob("*.txt"))
    assert first.counts["failed"] == 0, [f.error for f in first.files if f.error]
    added = {Path(f.path).name for f in first.files if f.outcome == "added"}
    assert {p.name for p in txts} <= added
    second = ingest_paths(lib, [samples], index=False)
    assert {f.outcome for f in second.files} == {"unchanged"}
    assert len(_docs(lib)) == first.counts["added"]


def test_other_formats_are_duplicates_of_the_stored_text(lib, samples: Path) -> None:
    ingest_paths(lib, sorted(samples.glob("*.txt")), index=False)
    before = _docs(lib)
    formats = samples / "formats"
    report = ingest_paths(lib, [formats], index=False)
    by_seed: dict[str, set[str]] = {}
    for f in report.files:
        by_seed.setdefault(Path(f.path).name[:3], set()).add(f.outcome)
    for seed, outcomes in by_seed.items():
        assert outcomes == {"duplicate"}, (seed, report.to_dict())
    assert _docs(lib) == before


def test_each_document_starts_with_a_recorded_status(lib, samples: Path) -> None:
    ingest_paths(lib, sorted(samples.glob("*.txt")), index=False)
    with lib.db.session() as s:
        for doc in s.scalars(select(Document)):
            changes = s.scalars(select(StatusChange).where(StatusChange.document_id == doc.id))
            first = list(changes)[0]
            assert first.old_status is None and first.new_status == doc.status
            assert first.actor == "system"


def test_interpretation_before_its_document_links_when_it_arrives(lib, samples: Path) -> None:
    interp = next(samples.glob("000_*.txt"))
    ingest_paths(lib, [interp], index=False)
    with lib.db.session() as s:
        stored = s.scalars(select(Document)).one()
        assert stored.kind == "interpretation" and stored.interprets_id is None
        interp_id = stored.id
    target = samples / "xingguo_2024.txt"
    target.write_text(
        "2024年兴国县政务公开工作要点\n"
        "兴国县人民政府办公室\n"
        "为深入贯彻落实政务公开决策部署，现制定本要点。\n"
        "一、提升信息公开质量。\n",
        encoding="utf-8",
    )
    ingest_paths(lib, [target], index=False)
    with lib.db.session() as s:
        doc = s.scalar(select(Document).where(Document.kind == "document"))
        assert s.get(Document, interp_id).interprets_id == doc.id
        assert [i.id for i in doc.interpretations] == [interp_id]


def test_changed_file_is_updated_with_history(lib, tmp_path: Path) -> None:
    f = tmp_path / "notice.txt"
    f.write_text("关于开展试点工作的通知\n各单位：\n现就试点工作通知如下。\n", encoding="utf-8")
    first = ingest_paths(lib, [f], index=False)
    f.write_text("关于开展试点工作的通知\n各单位：\n现就试点工作重新通知如下。\n", encoding="utf-8")
    second = ingest_paths(lib, [f], index=False)
    assert second.files[0].outcome == "updated"
    assert second.files[0].document_id == first.files[0].document_id
    with lib.db.session() as s:
        doc = s.get(Document, first.files[0].document_id)
        assert "重新通知" in doc.text
        assert len(doc.revisions) == 1 and "重新" not in doc.revisions[0].text


def _hostile_files(folder: Path) -> dict[str, str]:
    """name -> a word the failure reason must contain."""
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "junk.txt").write_bytes(bytes(range(256)) * 64)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    (folder / "truncated.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    bomb = folder / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w") as member:
            member.write(b"<w:document>")
            for _ in range(300):
                member.write(b" " * (1024 * 1024))
    (folder / "huge.txt").write_bytes("很长的文本。".encode() * (2 * 1024 * 1024 // 18 + 1))
    (folder / "good.txt").write_text("关于做好春耕生产的通知\n各乡镇：\n请做好春耕。\n", "utf-8")
    return {"empty.txt": "空", "huge.txt": "过大"}


@pytest.mark.slow
def test_hostile_folder_fails_file_by_file_and_keeps_what_was_stored(
    lib, samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_paths(lib, sorted(samples.glob("*.txt")), index=False)
    before = _docs(lib)
    bad = tmp_path / "bad"
    expected_words = _hostile_files(bad)
    lib.settings.max_file_mb = 1
    report = ingest_paths(lib, [bad], index=False)
    outcomes = {Path(f.path).name: f for f in report.files}
    assert outcomes["good.txt"].outcome == "added"
    for name in ("empty.txt", "junk.txt", "broken.docx", "truncated.pdf", "bomb.docx", "huge.txt"):
        assert outcomes[name].outcome == "failed", (name, outcomes[name])
        assert outcomes[name].error, name
    for name, word in expected_words.items():
        assert word in outcomes[name].error
    after = _docs(lib)
    assert {k: after[k] for k in before} == before
    with lib.db.session() as s:
        failed = s.scalars(select(SourceFile).where(SourceFile.last_outcome == "failed")).all()
        assert len(failed) == 6


def test_cli_ingest_json_and_docs_show(home: Path, samples: Path) -> None:
    runner = CliRunner()
    seed3 = next(samples.glob("003_*.txt"))
    result = runner.invoke(main, ["ingest", "--json", "--no-index", str(seed3)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["added"] == 1
    (entry,) = data["files"]
    assert set(entry) >= {"path", "outcome", "document_id", "error"}
    shown = runner.invoke(main, ["docs", "show", str(entry["document_id"]), "--json"])
    doc = json.loads(shown.stdout)
    keys = {"id", "title", "kind", "doc_number", "issuer", "signed_date", "published_date"}
    keys |= {"effective_date", "expiry_date", "status", "interprets", "source_file", "evidence"}
    assert keys <= set(doc)
    assert doc["doc_number"] == "宣府办〔2023〕41号"
    assert doc["source_file"] == seed3.name
    assert doc["evidence"]["doc_number"]["line"] >= 1
    listed = json.loads(runner.invoke(main, ["docs", "list", "--json"]).stdout)
    assert [d["id"] for d in listed] == [entry["document_id"]]


def test_cli_reports_missing_path_and_exit_codes(home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "找不到路径" in result.stderr
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"")
    good = tmp_path / "ok.txt"
    good.write_text("关于做好防汛工作的通知\n请各单位做好防汛。\n", "utf-8")
    partial = runner.invoke(main, ["ingest", "--no-index", str(junk), str(good)])
    assert partial.exit_code == 2
    assert "失败" in partial.stderr


def test_sidecar_catalogue_sets_level_and_expired(lib, tmp_path: Path) -> None:
    folder = tmp_path / "cat"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.md").write_text(
        "# 某某条例\n\n第一条 为了规范管理，制定本条例。\n", "utf-8"
    )
    (folder / "metadata.csv").write_text(
        "path,level,title,publish_date,effective_date,expired\nsub/a.md,地方性法规,某某条例,2001-02-03,2001-03-01,1\n",
        "utf-8",
    )
    report = ingest_paths(lib, [folder], index=False)
    assert [f.outcome for f in report.files] == ["added"]
    with lib.db.session() as s:
        doc = s.scalars(select(Document)).one()
        assert (doc.level, doc.status, doc.published_date.isoformat()) == (
            "地方性法规",
            "expired",
            "2001-02-03",
        )
        assert "metadata.csv" in doc.evidence["level"]["source"]


def test_ingest_sets_the_follow_up_work_in_motion(lib, samples: Path, tmp_path: Path) -> None:
    """An interpretation written as questions gives hotline drafts; a document that says it
    repeals another gives the legal office a proposal (never a silent change)."""
    ingest_paths(lib, [samples / "000_bb9fbcf38e3de303.txt"], workers=1)
    with lib.db.session() as s:
        drafts = list(s.scalars(select(QAEntry).where(QAEntry.source == "interpretation")))
        assert len(drafts) >= 3 and {d.status for d in drafts} == {"draft"}

    folder = tmp_path / "repeal"
    folder.mkdir()
    (folder / "old.txt").write_text(
        "关于加强农村饮水安全管理的通知\n宣府办〔2019〕3号\n各乡镇：\n加强管理。\n"
        "宣汉县人民政府办公室\n2019年3月1日\n",
        encoding="utf-8",
    )
    ingest_paths(lib, [folder / "old.txt"], workers=1)
    (folder / "new.txt").write_text(
        "关于农村饮水安全管理的实施意见\n宣府办〔2024〕9号\n各乡镇：\n"
        "本意见自印发之日起施行，《关于加强农村饮水安全管理的通知》（宣府办〔2019〕3号）同时废止。\n"
        "宣汉县人民政府办公室\n2024年5月1日\n",
        encoding="utf-8",
    )
    report = ingest_paths(lib, [folder / "new.txt"], workers=1)
    new_id = report.files[0].document_id
    with lib.db.session() as s:
        (proposal,) = s.scalars(select(StatusProposal))
        old = s.get(Document, proposal.document_id)
        assert (proposal.proposed_status, proposal.source_document_id) == ("repealed", new_id)
        assert old.doc_number == "宣府办〔2019〕3号" and old.status == "valid"
