"""Ingest: files on disk -> parsed documents -> the database (-> the index).

Per file exactly one outcome: added, updated, unchanged, duplicate or failed (with a reason). Parsing
runs in worker processes with a time limit and a memory cap, so a hostile file fails alone and the
batch goes on; each file is stored in its own savepoint, so a failure never touches earlier rows.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import resource
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path

from pebble import ProcessExpired, ProcessPool
from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers import ParsedDocument, ParseError, parse_file
from parsers.docnumber import normalize_doc_number
from parsers.ocr import OcrLine
from parsers.scan import OcrOptions, PagesToRead, read_page

from . import index_backlog, indexing, linking, planner_stats
from .core import Library
from .corrections import keep_corrections
from .models import Document, DocumentRevision, QAEntry, SourceFile, StatusChange
from .ocr_cache import OcrDirCache
from .private_files import copy_private, private_dir, write_private
from .qa.extract import drafts_from_interpretation, link_pending_bases
from .sidecar import Sidecar, load_sidecars
from .validity.proposals import propose_replacements

log = logging.getLogger("policylib.ingest")

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".text", ".docx", ".pdf", ".html", ".htm", ".doc"}
SUPPORTED_SUFFIXES |= {".png", ".jpg", ".jpeg", ".tif", ".tiff"}  # scans, read by OCR
PARSE_TIMEOUT_S = 60
# Address space, not resident memory. A worker reading scans maps 1.7-2.0 GB with the OCR model
# loaded (about 0.9-1.1 GB resident; bench/ocr.py), and onnxruntime's arena grows past 3 GB of
# address space on some pages (std::bad_alloc seen in the full test run at 3 GB), so the cap is
# 6 GB: room for the model and a page, and a hostile file still cannot take the machine's 24 GB.
WORKER_MEMORY_BYTES = 6 * 1024**3
BATCH_SIZE = 200
# Files parsed ahead of storing: one batch, so the workers parse the next batch while this one is
# stored, and memory holds about two batches of texts however large the import.
PARSE_AHEAD = BATCH_SIZE
# Before parsing, stored rows are read this many paths at a time, while files hash in threads.
LOOKUP_BATCH = 500
HASH_THREADS = 2
# Above this many changed documents a parallel full rebuild beats one-by-one index updates.
REBUILD_THRESHOLD = 500
OUTCOMES = ("added", "updated", "unchanged", "duplicate", "failed")


@dataclass
class FileOutcome:
    path: str
    outcome: str
    document_id: int | None = None
    error: str | None = None
    duplicate_of: int | None = None
    title: str | None = None


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # links a folder walk did not follow
    # none | refreshed | rebuilt | skipped | behind (the index failed: `policylib health` warns
    # and the next write, request cycle or daily job retries)
    indexed: str = "none"

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for f in self.files:
            counts[f.outcome] += 1
        return counts

    def to_dict(self) -> dict:
        return {
            "files": [asdict(f) for f in self.files],
            "counts": self.counts,
            "skipped": [asdict(s) for s in self.skipped],
            "indexed": self.indexed,
        }


@dataclass
class _Candidate:
    path: Path
    sha256: str
    size: int
    mtime: float


@dataclass
class Skipped:
    """A path a folder walk refused to follow, and why (said in the report)."""

    path: str
    reason: str


def iter_files(paths: Iterable[Path | str], skipped: list[Skipped] | None = None) -> Iterator[Path]:
    """Files named directly are always tried; folders are walked for supported files.

    Hidden files, sidecar catalogues (metadata.csv) and README files describe a folder rather than
    being documents of it, so a folder walk skips them. A walk never follows a symbolic link: a
    link dropped into a shared folder must not publish a server file at /documents/N/original.
    Each link, and each subfolder that cannot be read, is added to `skipped`.

    Every path yielded is real (resolved): a walk starts from the folder's real path and never
    goes through a link, so the files it finds need no `resolve()` of their own, which cost
    a system call per directory of the path, several times per file, a third of a province's
    weekly scan. Files come in sorted order (by path parts), so ingest numbers documents the
    same way every time.
    """
    for p in map(Path, paths):
        if p.is_dir():
            yield from _walk(p.resolve(), False, skipped)
        else:
            yield p.resolve() if p.exists() else p


LINK_SKIPPED = "符号链接，已跳过 / symbolic link skipped: copy the file into the folder instead"


def _walk(folder: Path, hidden: bool, skipped: list[Skipped] | None) -> Iterator[Path]:
    """The walkable files under `folder` (a real path) in sorted order; `hidden` when a folder
    on the way is hidden (its files are skipped, the links in it still reported)."""
    try:
        with os.scandir(folder) as found:
            entries = sorted(found, key=lambda e: e.name)
    except OSError as exc:
        if skipped is not None:
            skipped.append(Skipped(str(folder), f"无法读取文件夹 / cannot read folder: {exc}"))
        return
    for entry in entries:
        path = folder / entry.name
        if entry.is_symlink():
            if skipped is not None:
                skipped.append(Skipped(str(path), LINK_SKIPPED))
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(path, hidden or entry.name.startswith("."), skipped)
        elif not hidden and entry.is_file(follow_symlinks=False) and _walkable(entry.name):
            yield path


def _walkable(name: str) -> bool:
    if name.startswith(".") or name.lower().startswith("readme") or name == "metadata.csv":
        return False
    return os.path.splitext(name)[1].lower() in SUPPORTED_SUFFIXES


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


_NON_WORD = re.compile(r"[\W_]+")
NEAR_DUPLICATE_RATIO = 90
NEAR_DUPLICATE_PREFIX = 20_000


def content_hash(text: str) -> str:
    """Same words in another format -> same hash: whitespace, punctuation and layout do not count."""
    return hashlib.sha256(_NON_WORD.sub("", text).encode("utf-8")).hexdigest()


def find_duplicate(session: Session, parsed: ParsedDocument) -> Document | None:
    """The stored document with the same text, exactly or as another format renders it.

    A PDF adds page breaks and loses a heading here and there, so beside the exact hash a stored
    document with the same title, 文号 and dates whose text is nearly identical counts too. The dates
    keep two versions of one law (same title, amended text) apart.
    """
    chash = content_hash(parsed.text)
    exact = session.scalar(select(Document).where(Document.content_hash == chash).limit(1))
    if exact or not parsed.title:
        return exact
    stmt = select(Document).where(
        Document.title == parsed.title[:500],
        Document.kind == parsed.kind,
        Document.signed_date.is_(parsed.signed_date)
        if parsed.signed_date is None
        else Document.signed_date == parsed.signed_date,
        Document.published_date.is_(parsed.published_date)
        if parsed.published_date is None
        else Document.published_date == parsed.published_date,
    )
    mine = parsed.text[:NEAR_DUPLICATE_PREFIX]
    for cand in session.scalars(stmt.limit(5)):
        if (cand.doc_number or None) != (parsed.doc_number or None):
            continue
        if fuzz.ratio(mine, cand.text[:NEAR_DUPLICATE_PREFIX]) >= NEAR_DUPLICATE_RATIO:
            return cand
    return None


@dataclass(frozen=True)
class OcrJob:
    """What a worker needs to OCR: plain values, so it crosses the process boundary."""

    enabled: bool
    max_pages: int
    page_timeout_s: float
    cache_dir: str
    # Where a searchable PDF of each scan goes (the originals folder), "" for none.
    searchable_dir: str = ""

    @classmethod
    def from_settings(cls, lib: Library) -> OcrJob:
        s = lib.settings
        searchable = str(s.originals_dir) if s.searchable_pdf else ""
        return cls(
            s.ocr, s.ocr_max_pages, float(s.ocr_page_timeout_s), str(s.ocr_cache_dir), searchable
        )


def _limit_memory() -> None:
    """Each worker's cap (see WORKER_MEMORY_BYTES)."""
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))


def _ocr_options(job: OcrJob | None, read: dict[int, list[OcrLine]] | None) -> OcrOptions | None:
    if job is None:
        return None
    return OcrOptions(
        enabled=job.enabled,
        max_pages=job.max_pages,
        page_timeout_s=job.page_timeout_s,
        cache=OcrDirCache(Path(job.cache_dir)) if job.enabled else None,
        split=True,
        read=read,
        searchable=bool(job.searchable_dir),
    )


@dataclass(frozen=True)
class _PagesWanted:
    """A worker's answer for a scan not in the OCR cache: these pages are to be read first."""

    pages: list[int]


def _parse_job(
    path: str, max_bytes: int, ocr: OcrJob | None = None, read: dict | None = None
) -> ParsedDocument | _PagesWanted | str:
    """Runs in a worker: a ParseError becomes its message so it crosses the process boundary.
    A searchable PDF is stored here, so its bytes never cross it."""
    try:
        parsed = parse_file(Path(path), max_bytes=max_bytes, ocr=_ocr_options(ocr, read))
        if parsed.searchable_pdf and ocr and ocr.searchable_dir:
            store_searchable(
                Path(ocr.searchable_dir), sha256_file(Path(path)), parsed.searchable_pdf
            )
            parsed.searchable_pdf = None
        return parsed
    except PagesToRead as wanted:
        return _PagesWanted(wanted.pages)
    except ParseError as exc:
        return str(exc)
    except MemoryError:
        return "解析时内存超限（文件可能被构造为恶意或过大）/ parsing exceeded the memory limit"
    except Exception as exc:
        return f"解析器内部错误 / parser error: {type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class _PageRead:
    lines: list[OcrLine]
    cpu_s: float
    worker: int  # the process id, for the log


def _page_job(path: str, number: int, page_timeout_s: float) -> _PageRead | str:
    """Runs in a worker: one page of a scan read by OCR, or why it could not be."""
    started = time.process_time()
    try:
        lines = read_page(Path(path), number, page_timeout_s)
    except ParseError as exc:
        return str(exc)
    except MemoryError:
        return f"第{number}页OCR时内存超限（图像可能过大）/ OCR exceeded the memory limit"
    except Exception as exc:
        return f"第{number}页OCR出错 / OCR error: {type(exc).__name__}: {exc}"
    return _PageRead(lines, time.process_time() - started, os.getpid())


OcrProgress = Callable[[str, int, int], None]


@dataclass
class _InPool:
    """One file in the pool: its parse and, for a scan the OCR cache does not hold, one job per
    page to read, then a second parse with the pages read."""

    path: Path
    parse: Future | None
    pages: dict[int, Future] = field(default_factory=dict)
    read: dict[int, list[OcrLine]] = field(default_factory=dict)
    result: ParsedDocument | str | None = None

    def pending(self) -> list[Future]:
        return [self.parse] if self.parse else list(self.pages.values())


def parse_in_workers(
    paths: list[Path],
    max_bytes: int,
    workers: int | None = None,
    ocr: OcrJob | None = None,
    ocr_progress: OcrProgress | None = None,
    ahead: int = PARSE_AHEAD,
) -> Iterator[tuple[Path, ParsedDocument | str]]:
    """Parse in a process pool, yielding results in input order; a hung or crashed parse is killed.

    At most `ahead` files are scheduled or parsed and not yet taken by the caller: parsing is
    faster than storing, and a pool given every file at once kept every parsed text of a large
    import in this process (1.3 GB and rising at 34,000 files, issue 17). The unit of OCR is the
    page, not the file: the pages of a scan are read on every worker that is free, so the last
    long scan of a batch (or a batch of one) keeps all cores busy. Each worker loads the OCR
    model once, on its first page, and keeps it. Each page read is reported to
    `ocr_progress(path, pages done, pages to read)`.
    """
    if not paths:
        return
    workers = workers or min(2, os.cpu_count() or 1)
    todo = iter(paths)
    window: deque[_InPool] = deque()
    with ProcessPool(max_workers=workers, initializer=_limit_memory) as pool:
        steps = _Steps(pool, max_bytes, ocr, ocr_progress)
        window += map(steps.start, islice(todo, max(ahead, 1)))
        while window:
            wait([f for item in window for f in item.pending()], return_when=FIRST_COMPLETED)
            for item in window:
                steps.advance(item)
            while window and window[0].result is not None:
                item = window.popleft()
                window += map(steps.start, islice(todo, 1))
                yield item.path, item.result


@dataclass
class _Steps:
    """Moves each file in the pool on to its next step as its jobs finish."""

    pool: ProcessPool
    max_bytes: int
    ocr: OcrJob | None
    progress: OcrProgress | None

    def start(self, path: Path, read: dict | None = None) -> _InPool:
        job = (str(path), self.max_bytes, self.ocr, read)
        return _InPool(path, self.pool.schedule(_parse_job, args=job, timeout=PARSE_TIMEOUT_S))

    def advance(self, item: _InPool) -> None:
        if item.parse is not None and item.parse.done():
            outcome = _result(item.parse, PARSE_TIMEOUT_S, ("解析", "parsing"))
            item.parse = None
            if isinstance(outcome, _PagesWanted):
                item.pages = {n: self._read(item.path, n) for n in outcome.pages}
            else:
                item.result = outcome
        for number, future in [(n, f) for n, f in item.pages.items() if f.done()]:
            del item.pages[number]
            page = _result(
                future, self._page_timeout(), (f"第{number}页OCR", f"OCR of page {number}")
            )
            if isinstance(page, str):
                item.result = page
                for rest in item.pages.values():
                    rest.cancel()
                item.pages.clear()
                return
            item.read[number] = page.lines
            log.info(
                "ocr path=%s page=%d cpu_s=%.1f worker=%d",
                item.path,
                number,
                page.cpu_s,
                page.worker,
            )
            if self.progress:
                self.progress(str(item.path), len(item.read), len(item.read) + len(item.pages))
        if item.read and not item.pages and item.result is None and item.parse is None:
            item.parse = self.start(item.path, item.read).parse

    def _page_timeout(self) -> float:
        """Twice the per-page CPU limit in wall time, for a machine busy with other work."""
        return PARSE_TIMEOUT_S + 2 * (self.ocr.page_timeout_s if self.ocr else 0)

    def _read(self, path: Path, number: int) -> Future:
        job = (str(path), number, self.ocr.page_timeout_s)
        return self.pool.schedule(_page_job, args=job, timeout=self._page_timeout())


def _result(future: Future, timeout: float, what: tuple[str, str]):  # the job's result, or str
    """The job's result, or what killed it, in Chinese and English."""
    try:
        return future.result()
    except FutureTimeout:
        return f"{what[0]}超时（超过 {timeout:.0f} 秒）/ {what[1]} timed out"
    except ProcessExpired as exc:
        return f"{what[0]}进程异常退出 / {what[1]}: worker process died (exit code {exc.exitcode})"


def store_original(lib: Library, path: Path, sha256: str) -> None:
    """Originals are kept untouched, content-addressed, so two copies of one file cost one."""
    # 0600: an original may be a draft not yet public
    _keep_once(original_path(lib, sha256), lambda tmp: copy_private(path, tmp))


def original_path(lib: Library, sha256: str) -> Path:
    return _kept_path(lib.settings.originals_dir, sha256)


def searchable_path(originals: Path, sha256: str) -> Path:
    """The searchable PDF of the scan whose original is `sha256`: beside it, named after it."""
    return _kept_path(originals, sha256, ".searchable.pdf")


def store_searchable(originals: Path, sha256: str, data: bytes) -> None:
    """Kept like the original it sits with (0600, written once)."""
    _keep_once(searchable_path(originals, sha256), lambda tmp: write_private(tmp, data))


def _kept_path(originals: Path, sha256: str, suffix: str = "") -> Path:
    return originals / sha256[:2] / f"{sha256}{suffix}"


def _keep_once(dest: Path, write: Callable[[Path], object]) -> None:
    """Write a kept file whole or not at all, and once: it is never rewritten, so a backup
    taken while ingest runs reads it whole. `write` fills the temporary file it is given."""
    if dest.exists():
        return
    private_dir(dest.parent)
    tmp = dest.with_suffix(f".{os.getpid()}.part")
    write(tmp)
    os.replace(tmp, dest)


def initial_status(parsed: ParsedDocument, today: date) -> tuple[str, str]:
    """The status a new document starts in, and why, from its own dates."""
    if parsed.effective_date and parsed.effective_date > today:
        return "not_yet_effective", f"施行日期 {parsed.effective_date.isoformat()} 尚未到来"
    if parsed.expiry_date and parsed.expiry_date < today:
        return "expired", f"有效期已于 {parsed.expiry_date.isoformat()} 届满"
    return "valid", "入库时未发现失效情形"


def _apply_parsed(doc: Document, parsed: ParsedDocument, sidecar: dict | None) -> None:
    doc.kind = parsed.kind
    doc.title = (parsed.title or "")[:500]
    doc.doc_number = parsed.doc_number
    doc.doc_number_norm = normalize_doc_number(parsed.doc_number) if parsed.doc_number else None
    doc.issuer = parsed.issuer
    doc.signed_date = parsed.signed_date
    doc.published_date = parsed.published_date
    doc.effective_date = parsed.effective_date
    doc.expiry_date = parsed.expiry_date
    doc.text = parsed.text
    doc.content_hash = content_hash(parsed.text)
    doc.source_format = parsed.format
    evidence = parsed.evidence_dict()
    if parsed.replaces:
        evidence["replaces"] = list(parsed.replaces)
    doc.evidence = evidence
    doc.warnings = list(parsed.warnings)
    doc.ocr = parsed.ocr
    doc.interprets_ref = (
        {"title": parsed.interprets_title, "number": parsed.interprets_number}
        if parsed.kind == "interpretation" and (parsed.interprets_title or parsed.interprets_number)
        else None
    )
    if sidecar:
        _apply_sidecar(doc, sidecar)
    keep_corrections(doc)  # a clerk's corrections outrank both the parser and the catalogue


def _apply_sidecar(doc: Document, row: dict) -> None:
    """A catalogue row (metadata.csv beside the files) outranks the parser's guesses."""
    source = f"metadata.csv 第{row['row']}行"
    for field_name in ("title", "level", "published_date", "effective_date"):
        value = row.get(field_name)
        if value:
            setattr(doc, field_name, value)
            doc.evidence[field_name] = {"value": str(value), "line": None, "source": source}


def _snapshot(doc: Document) -> dict:
    keys = ("kind", "title", "doc_number", "issuer", "signed_date", "published_date")
    keys += ("effective_date", "expiry_date", "source_file", "source_format")
    return {
        k: (v.isoformat() if isinstance(v, date) else v) for k in keys if (v := getattr(doc, k))
    }


class _Store:
    """Writes parsed files into the database; one instance per ingest run."""

    def __init__(self, lib: Library, session: Session, today: date, sidecars: Sidecar) -> None:
        self.lib, self.session, self.today, self.sidecars = lib, session, today, sidecars
        self.touched: list[Document] = []
        self.qa_touched: list[QAEntry] = []
        self.pending = linking.pending_interpretations(session)

    def store(self, cand: _Candidate, parsed: ParsedDocument) -> tuple[str, Document]:
        src = self.session.scalar(select(SourceFile).where(SourceFile.path == str(cand.path)))
        same = find_duplicate(self.session, parsed)
        sidecar = self.sidecars.lookup(cand.path)
        if src and src.document_id and (not same or same.id == src.document_id):
            doc = self.session.get(Document, src.document_id)
            outcome = self._update(doc, parsed, sidecar)
        elif same:
            doc, outcome = same, "duplicate"
        else:
            doc, outcome = self._add(cand, parsed, sidecar), "added"
        if outcome != "duplicate":
            store_original(self.lib, cand.path, cand.sha256)
            doc.original_sha256, doc.original_size = cand.sha256, cand.size
            doc.source_file = cand.path.name
            doc.source_missing = False
        self._record_source(src, cand, doc, outcome)
        self.touched.append(doc)
        self.touched += linking.link_interpretations(self.session, doc, self.pending)
        if outcome in ("added", "updated"):
            self._follow_up(doc)
        return outcome, doc

    def _follow_up(self, doc: Document) -> None:
        """What a new text sets in motion: the legal office gets proposals for what it replaces
        (never a status change), and the hotline gets draft Q&A from an interpretation's questions."""
        self.session.flush()
        propose_replacements(self.session, doc)
        self.qa_touched += drafts_from_interpretation(self.session, doc)

    def finish(self) -> None:
        """Q&A bases that named a document this run brought in now point at it."""
        self.qa_touched += link_pending_bases(self.session)

    def _add(self, cand: _Candidate, parsed: ParsedDocument, sidecar: dict | None) -> Document:
        doc = Document()
        _apply_parsed(doc, parsed, sidecar)
        status, reason = initial_status(parsed, self.today)
        if sidecar and sidecar.get("expired"):
            status, reason = "expired", f"目录文件 metadata.csv 第{sidecar['row']}行标注为已失效"
        doc.status, doc.status_since = status, self.today
        self.session.add(doc)
        self.session.add(
            StatusChange(
                document=doc,
                old_status=None,
                new_status=status,
                since=self.today,
                reason=reason,
                actor="system",
            )
        )
        return doc

    def _update(self, doc: Document, parsed: ParsedDocument, sidecar: dict | None) -> str:
        if doc.content_hash == content_hash(parsed.text):
            return "unchanged"
        self.session.add(
            DocumentRevision(
                document_id=doc.id,
                content_hash=doc.content_hash,
                text=doc.text,
                metadata_json=_snapshot(doc),
            )
        )
        _apply_parsed(doc, parsed, sidecar)
        doc.review = None  # a new parse is checked again
        return "updated"

    def _record_source(
        self, src: SourceFile | None, cand: _Candidate, doc: Document, outcome: str
    ) -> None:
        if src is None:
            src = SourceFile(path=str(cand.path))
            self.session.add(src)
        src.sha256, src.size, src.mtime = cand.sha256, cand.size, cand.mtime
        src.document, src.last_outcome, src.last_error = doc, outcome, None
        src.missing = False


def remember_failure(session: Session, path: Path, error: str, cand: _Candidate | None) -> None:
    """Remember the failure on the file's row, leaving any document it fed untouched."""
    src = session.scalar(select(SourceFile).where(SourceFile.path == str(path)))
    if src is None:
        src = SourceFile(path=str(path))
        session.add(src)
    src.last_outcome, src.last_error = "failed", error
    if cand:
        src.size, src.mtime = cand.size, cand.mtime


def _examine(path: Path, max_bytes: int) -> _Candidate | str:
    try:
        st = path.stat()
    except OSError as exc:
        return f"无法读取文件 / cannot read file: {exc.strerror}"
    if not path.is_file():
        return "不是普通文件 / not a regular file"
    if st.st_size == 0:
        return "文件为空（0 字节）/ empty file: re-export or re-download it"
    if st.st_size > max_bytes:
        return (
            f"文件过大（{st.st_size // 1024 // 1024} MB，上限 {max_bytes // 1024 // 1024} MB）"
            " / file too large: raise max_file_mb in config.toml if it is genuine"
        )
    return _Candidate(path=path, sha256=sha256_file(path), size=st.st_size, mtime=st.st_mtime)


def _is_unchanged(src: SourceFile | None, cand: _Candidate) -> int | None:
    if src and src.sha256 == cand.sha256 and src.document_id and src.last_outcome != "failed":
        return src.document_id
    return None


def _examined(
    session: Session, files: list[Path], max_bytes: int
) -> Iterator[tuple[Path, _Candidate | str, SourceFile | None]]:
    """Each file examined (stat and sha256) with its stored row, if any.

    Hashing runs in HASH_THREADS threads (hashlib lets go of the GIL, so a weekly `--full` run
    hashes on both cores), and the rows are read LOOKUP_BATCH paths per query, not one by one.
    """
    with ThreadPoolExecutor(HASH_THREADS) as pool:
        for start in range(0, len(files), LOOKUP_BATCH):
            batch = files[start : start + LOOKUP_BATCH]
            names = [str(p) for p in batch]
            rows = session.scalars(select(SourceFile).where(SourceFile.path.in_(names)))
            known = {row.path: row for row in rows}
            examined = pool.map(_examine, batch, [max_bytes] * len(batch))
            for path, cand in zip(batch, examined, strict=True):
                yield path, cand, known.get(str(path))


def ingest_paths(
    lib: Library,
    paths: Iterable[Path | str],
    *,
    index: bool = True,
    today: date | None = None,
    progress: Callable[[FileOutcome], None] | None = None,
    workers: int | None = None,
    ocr_progress: OcrProgress | None = None,
) -> IngestReport:
    """Ingest files and folders; see the module docstring for the guarantees."""
    today = today or date.today()
    max_bytes = lib.settings.max_file_mb * 1024 * 1024
    report = IngestReport()
    files = list(iter_files(paths, report.skipped))
    for item in report.skipped:
        log.warning("ingest skipped path=%s reason=%s", item.path, item.reason)
    sidecars = load_sidecars(paths)
    to_parse: list[_Candidate] = []

    def emit(outcome: FileOutcome) -> None:
        report.files.append(outcome)
        if progress:
            progress(outcome)

    with lib.db.session() as session:
        for path, cand, src in _examined(session, files, max_bytes):
            if isinstance(cand, str):
                remember_failure(session, path, cand, None)
                emit(FileOutcome(path=str(path), outcome="failed", error=cand))
                continue
            doc_id = _is_unchanged(src, cand)
            if doc_id:
                # Touched but identical: its new stat is kept, so the weekly run skips it unread.
                src.size, src.mtime = cand.size, cand.mtime
                emit(FileOutcome(path=str(path), outcome="unchanged", document_id=doc_id))
            else:
                to_parse.append(cand)

    store_changed = _Changed()
    by_path = {c.path: c for c in to_parse}
    parsed_iter = parse_in_workers(
        [c.path for c in to_parse], max_bytes, workers, OcrJob.from_settings(lib), ocr_progress
    )
    while True:
        chunk = [item for _, item in zip(range(BATCH_SIZE), parsed_iter, strict=False)]
        if not chunk:
            break
        outcomes, changed = _store_chunk(
            lib, [(by_path[p], parsed) for p, parsed in chunk], today, sidecars, index
        )
        for outcome in outcomes:
            emit(outcome)
        store_changed |= changed
        with lib.db.session() as session:  # the next chunk's lookups plan with fresh statistics
            planner_stats.analyze_if_grown(session)
    report.indexed = _update_index(lib, store_changed, index)
    for outcome in report.files:
        log.info(
            "ingest path=%s outcome=%s document_id=%s error=%s",
            outcome.path,
            outcome.outcome,
            outcome.document_id,
            outcome.error,
        )
    return report


_Parsed = tuple[_Candidate, ParsedDocument | str]


@dataclass
class _Changed:
    """Rows whose index records must be refreshed after the chunk's commit."""

    doc_ids: set[int] = field(default_factory=set)
    qa_ids: set[int] = field(default_factory=set)

    def __ior__(self, other: _Changed) -> _Changed:
        self.doc_ids |= other.doc_ids
        self.qa_ids |= other.qa_ids
        return self


def _store_chunk(
    lib: Library, chunk: list[_Parsed], today: date, sidecars: Sidecar, index: bool
) -> tuple[list[FileOutcome], _Changed]:
    """Store a chunk in one transaction (fast); if any file in it cannot be stored, roll the chunk
    back and store it again file by file, each in a savepoint, so only that file fails."""
    try:
        return _store_chunk_with(lib, chunk, today, sidecars, index, careful=False)
    except Exception:
        log.warning("chunk store failed; retrying file by file", exc_info=True)
        return _store_chunk_with(lib, chunk, today, sidecars, index, careful=True)


def _store_chunk_with(
    lib: Library,
    chunk: list[_Parsed],
    today: date,
    sidecars: Sidecar,
    index: bool,
    *,
    careful: bool,
) -> tuple[list[FileOutcome], _Changed]:
    with lib.db.session() as session:
        if not index:  # the caller rebuilds (weekly reindex): nothing for a refresh to catch up
            index_backlog.skip(session)
        store = _Store(lib, session, today, sidecars)
        stored = [(cand, _store_one(store, cand, parsed, careful)) for cand, parsed in chunk]
        store.finish()
        session.flush()
        outcomes = [_outcome(cand, result) for cand, result in stored]
        changed = _Changed({d.id for d in store.touched}, {e.id for e in store.qa_touched})
    return outcomes, changed


def _outcome(cand: _Candidate, result: tuple[str, Document] | str) -> FileOutcome:
    if isinstance(result, str):
        return FileOutcome(path=str(cand.path), outcome="failed", error=result)
    outcome, doc = result
    return FileOutcome(
        path=str(cand.path),
        outcome=outcome,
        document_id=doc.id,
        duplicate_of=doc.id if outcome == "duplicate" else None,
        title=doc.title,
    )


def _store_one(
    store: _Store, cand: _Candidate, parsed: ParsedDocument | str, careful: bool
) -> tuple[str, Document] | str:
    """The stored (outcome, document), or the failure reason."""
    if isinstance(parsed, str):
        remember_failure(store.session, cand.path, parsed, cand)
        return parsed
    if not careful:
        return store.store(cand, parsed)
    try:
        with store.session.begin_nested():
            return store.store(cand, parsed)
    except Exception as exc:
        log.exception("store failed path=%s", cand.path)
        error = f"保存失败 / could not store: {type(exc).__name__}: {exc}"
        remember_failure(store.session, cand.path, error, cand)
        return error


def _update_index(lib: Library, changed: _Changed, index: bool) -> str:
    if not index:
        return "skipped"
    if not changed.doc_ids and not changed.qa_ids:
        return "none"
    if len(changed.doc_ids) + len(changed.qa_ids) > REBUILD_THRESHOLD:
        try:
            indexing.rebuild(lib)
        except Exception:  # the stored files stay; the backlog keeps the gap
            log.exception("index rebuild after ingest failed; index behind the database")
            return "behind"
        return "rebuilt"
    ok = indexing.refresh(lib, doc_ids=changed.doc_ids, qa_ids=changed.qa_ids)
    return "refreshed" if ok else "behind"
