"""A sample of the real lawref corpus parses without error and keeps each file's `# title`."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers import parse_file

pytestmark = pytest.mark.corpus

SAMPLE_SIZE = 50


def test_lawref_sample_parses_with_titles_and_promulgation_dates(lawref: Path) -> None:
    paths = sorted(lawref.rglob("*.md"))
    paths = [p for p in paths if p.name != "README.md"]
    sample = paths[:: max(1, len(paths) // SAMPLE_SIZE)][:SAMPLE_SIZE]
    assert len(sample) == SAMPLE_SIZE
    dated = 0
    for path in sample:
        first = path.read_text(encoding="utf-8").lstrip("\ufeff").split("\n", 1)[0]
        assert first.startswith("# "), path
        doc = parse_file(path)
        assert doc.format == "md" and doc.kind == "document"
        assert doc.title == first[2:].strip(), path
        assert doc.evidence["title"].line == 1
        assert "<!-- INFO END -->" not in doc.text
        dated += doc.published_date is not None
    assert dated >= SAMPLE_SIZE * 0.8  # most lawref files state when they were adopted
