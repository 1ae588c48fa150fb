"""A folder walk (ingest and the weekly reindex) never follows a symbolic link out of the folder."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from library.core import Library
from library.ingest import ingest_paths, iter_files
from library.models import Document
from library.reindex import run_reindex

SECRET = "机密配置：数据库口令 hunter2\n"


def _folder_with_links(tmp_path: Path) -> tuple[Path, Path]:
    """A source folder holding one real document, a link to a server secret outside it and a
    linked directory whose files live outside it too."""
    outside = tmp_path / "server"
    (outside / "etc").mkdir(parents=True)
    secret = outside / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    (outside / "etc" / "passwords.txt").write_text(SECRET, encoding="utf-8")
    folder = tmp_path / "source"
    folder.mkdir()
    (folder / "notice.txt").write_text(
        "关于做好就业服务的通知\n\n各单位：\n现就做好就业服务通知如下。\n", encoding="utf-8"
    )
    (folder / "secret.txt").symlink_to(secret)
    (folder / "linked").symlink_to(outside / "etc", target_is_directory=True)
    return folder, secret


def _texts(lib: Library) -> list[str]:
    with lib.db.session() as s:
        return list(s.scalars(select(Document.text)))


def test_ingest_skips_symlinks_and_says_so(lib: Library, tmp_path: Path) -> None:
    folder, _ = _folder_with_links(tmp_path)
    report = ingest_paths(lib, [folder], workers=1)
    assert [Path(f.path).name for f in report.files] == ["notice.txt"]
    assert {Path(s.path).name for s in report.skipped} == {"secret.txt", "linked"}
    assert all("符号链接" in s.reason for s in report.skipped)
    assert report.to_dict()["skipped"]
    assert not any("hunter2" in t for t in _texts(lib))


def test_weekly_reindex_skips_symlinks_in_source_folders(home: Path, tmp_path: Path) -> None:
    folder, _ = _folder_with_links(tmp_path)
    (home / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f'source_folders = ["{folder}"]\n', encoding="utf-8")
    lib = Library.open(home)
    try:
        report = run_reindex(lib)
        assert report.scanned == 1 and report.counts["added"] == 1
        assert {Path(s["path"]).name for s in report.skipped} == {"secret.txt", "linked"}
        assert report.summary()["skipped"] == 2
        assert not any("hunter2" in t for t in _texts(lib))
    finally:
        lib.close()


def test_a_walk_yields_real_paths_in_order_through_a_linked_folder(tmp_path: Path) -> None:
    """Named through a link, the folder is walked at its real path; files come sorted by their
    path parts (a folder's files before a sibling whose name extends the folder's), files of
    hidden folders, READMEs and catalogues are left out."""
    real = tmp_path / "real"
    for rel in ("a/b.txt", "a-b.txt", "a/c/d.md", ".hidden/x.txt", "README.txt", "z.txt"):
        (real / rel).parent.mkdir(parents=True, exist_ok=True)
        (real / rel).write_text("通知\n", encoding="utf-8")
    (real / "metadata.csv").write_text("path,title\n", encoding="utf-8")
    (real / "notes.xyz").write_text("?", encoding="utf-8")
    (tmp_path / "via").symlink_to(real, target_is_directory=True)
    skipped: list = []
    found = list(iter_files([tmp_path / "via"], skipped))
    assert found == [real / "a" / "b.txt", real / "a" / "c" / "d.md", real / "a-b.txt"] + [
        real / "z.txt"
    ]
    assert all(p == p.resolve() for p in found) and skipped == []


def test_a_catalogue_row_with_dots_in_its_path_names_the_walked_file(
    lib: Library, tmp_path: Path
) -> None:
    folder = tmp_path / "source"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "notice.txt").write_text(
        "关于做好就业服务的通知\n\n各单位：\n现就做好就业服务通知如下。\n", encoding="utf-8"
    )
    (folder / "metadata.csv").write_text(
        "path,title\nsub/../sub/notice.txt,目录里的标题\n", encoding="utf-8"
    )
    report = ingest_paths(lib, [folder], workers=1)
    assert report.counts["added"] == 1
    with lib.db.session() as s:
        assert list(s.scalars(select(Document.title))) == ["目录里的标题"]
