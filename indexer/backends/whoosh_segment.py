"""A Whoosh segment writer for full builds: the files of Whoosh's own `SegmentWriter`, with a
fraction of its Python work per posting.

A posting is one word of one field of one document; a lawref document has ~900. Whoosh's writer
makes a tuple of each, sorts them all at the end, and once they pass its memory limit (every
full build of a large library) pickles them one by one into sorted runs on disk and merges those
back posting by posting; then each posting goes through the postings writer call by call, with a
column read for its field length. That was most of a full rebuild's CPU.

This writer keeps postings grouped by term as they arrive (a document's words come from
`Analyzer.positions` in one loop), so a term's list is already in document order: only the terms
are sorted, a run on disk is one marshalled record per term, runs merge term by term, and each
posting list is written block by block from arrays, with the field lengths read once per document.

It writes what Whoosh writes: the same terms, postings, weights, positions, lengths, block
statistics, stored fields and columns (`tests/indexer/test_whoosh_segment.py` compares all of
them). Only the postings file is smaller (by a quarter on lawref): a block's data is pickled with
protocol 5 (`BLOCK_PROTOCOL`), which Whoosh's reader reads like its own protocol 2, and a word
found once at the same offset in many documents is one shared bytes object, which the pickle of a
block stores once. A schema it was not written for (term vectors, spelling fields) keeps Whoosh's
own writer: see `supports`.
"""

from __future__ import annotations

import heapq
import marshal
import pickle
import struct
import zlib
from array import array
from collections.abc import Iterable, Iterator
from operator import itemgetter

from whoosh import fields
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3PostingsWriter
from whoosh.system import pack_uint
from whoosh.util import random_name
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from ..analyzer import OffsetPositions, WhooshTokenizer

# Memory counted against the writer's `limitmb` (bytes): a posting in the arrays (document
# number, weight, its encoded positions) and a term's own entry.
_POSTING_BYTES = 64
_TERM_BYTES = 400

_ONE = pack_uint(1)
_RUN_LENGTH = struct.Struct("<I")

# The pickle protocol of a posting block's data. Whoosh's writer uses 2, where every encoded
# value (bytes) is pickled as a call decoding a latin-1 string: a third of a full build's
# writing time and a quarter of the postings file. Its reader unpickles any protocol.
BLOCK_PROTOCOL = 5

# (docnums, weights, encoded values) of one term, in document order.
Entry = tuple[array, array, list]


def supports(schema: fields.Schema) -> bool:
    """True when `BulkSegmentWriter` writes this schema exactly as Whoosh would."""
    return all(not field.vector and not field.separate_spelling() for _, field in schema.items())


# The encoding of a word found once, by its position: most postings are such, and the cache
# makes them share one bytes object in the pool as well.
_SINGLE: dict[int, bytes] = {}
_SINGLE_MAX = 200_000


def encode_positions(found: list[int]) -> bytes:
    """`whoosh.formats.Positions.encode`: the count, then the pickled gaps between positions."""
    if len(found) == 1:  # its only position is its gap
        pos = found[0]
        encoded = _SINGLE.get(pos)
        if encoded is None:
            encoded = _ONE + pickle.dumps(found, 2)
            if len(_SINGLE) < _SINGLE_MAX:
                _SINGLE[pos] = encoded
        return encoded
    deltas = [found[0]]
    deltas += [b - a for a, b in zip(found, found[1:], strict=False)]
    return pack_uint(len(found)) + pickle.dumps(deltas, 2)


def _is_fast(field: fields.FieldType) -> bool:
    """A text field analysed by the project's analyzer: its terms are kept as str (UTF-8 sorts
    like the code points, so the order is Whoosh's byte order)."""
    return type(field.format) is OffsetPositions and isinstance(field.analyzer, WhooshTokenizer)


class BulkSegmentWriter(SegmentWriter):
    """A `SegmentWriter` that pools postings by term and writes them a term at a time."""

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        if not supports(self.schema):
            raise ValueError("BulkSegmentWriter: schema has term vectors or spelling fields")
        self._terms: dict[str, dict] = {}  # field name -> term -> Entry
        self._size = 0
        self._limit = self.pool.limit
        self._runs: list[str] = []

    def add_document(self, **values: object) -> None:
        self._check_state()
        schema = self.schema
        docnum = self.docnum
        docboost = self._doc_boost(values)
        names = sorted(name for name in values if not name.startswith("_"))
        self._check_fields(schema, names)
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = values[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    boost = self._field_boost(values, name, docboost)
                    length = self._index_field(name, field, value, boost, docnum)
                stored = values.get(f"_stored_{name}", value)
                perdoc.add_field(name, field, stored if field.stored else None, length)
                column = field.column_type
                if column and stored is not None:
                    perdoc.add_column_value(name, column, field.to_column_value(stored))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1
        if self._size > self._limit:
            self._save_run()

    def _index_field(
        self, name: str, field: fields.FieldType, value, boost: float, docnum: int
    ) -> int:
        """Pool the field's postings; return its length (the number of words, when scorable)."""
        terms = self._terms.get(name)
        if terms is None:
            terms = self._terms[name] = {}
        postings = length = 0
        before = len(terms)
        if _is_fast(field) and isinstance(value, str):
            field_boost = field.format.field_boost
            words = field.analyzer.analyzer.positions(value)
            for word, found in words.items():
                n = len(found)
                entry = terms.get(word)
                if entry is None:
                    entry = terms[word] = (array("I"), array("d"), [])
                entry[0].append(docnum)
                entry[1].append(n * field_boost * boost)
                entry[2].append(encode_positions(found))
                length += n
            postings = len(words)
        else:
            fast = _is_fast(field)
            for btext, freq, weight, vbytes in field.index(value):
                term = btext.decode("utf-8") if fast else btext
                entry = terms.get(term)
                if entry is None:
                    entry = terms[term] = (array("I"), array("d"), [])
                entry[0].append(docnum)
                entry[1].append(weight * boost)
                entry[2].append(vbytes)
                length += freq
                postings += 1
        self._size += _TERM_BYTES * (len(terms) - before) + _POSTING_BYTES * postings
        return length if field.scorable else 0

    def _sorted_terms(self) -> Iterator[tuple[str, bytes, Entry]]:
        """The pooled postings as (field name, term bytes, entry), in Whoosh's order."""
        for name in sorted(self._terms):
            for term, entry in sorted(self._terms[name].items(), key=itemgetter(0)):
                yield name, term.encode("utf-8") if isinstance(term, str) else term, entry

    def _save_run(self) -> None:
        """Write the pooled terms, sorted, to a run file and empty the pool."""
        path = f"{random_name()}.terms"
        with self._tempstorage.create_file(path).raw_file() as fh:
            for item in self._sorted_terms():
                _dump_term(fh, item)
        self._runs.append(path)
        self._terms = {}
        self._size = 0

    def _read_run(self, path: str) -> Iterator[tuple[str, bytes, Entry]]:
        with self._tempstorage.open_file(path).raw_file() as fh:
            yield from _load_terms(fh)
        self._tempstorage.delete_file(path)

    def _all_terms(self) -> Iterable[tuple[str, bytes, Entry]]:
        """Every term once, its postings from all runs joined in document order (runs are
        written in the order documents were added)."""
        if not self._runs:
            return self._sorted_terms()
        sources = [self._read_run(p) for p in self._runs] + [self._sorted_terms()]
        self._runs = []
        return _join(heapq.merge(*sources, key=itemgetter(0, 1)))

    def _flush_segment(self) -> None:
        writer = self.fieldwriter
        codec = self.codec
        if type(writer) is not W3FieldWriter or type(codec) is not W3Codec:
            raise TypeError(f"BulkSegmentWriter writes the whoosh3 codec, not {codec!r}")
        if codec._inlinelimit > 1:  # posting lists kept in the term index: not written here
            raise TypeError("BulkSegmentWriter writes no inlined posting lists")
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        for struct_file in (writer._postfile, writer._tindex.dbfile):
            struct_file.file = _PositionKeeping(struct_file.file)
        try:
            _write_postings(writer, self.schema, lengths, self._all_terms())
        finally:
            lengths.close()
        writer.close()
        self._terms = {}

    def _close_segment(self) -> None:
        super()._close_segment()
        for path in self._runs:
            self._tempstorage.delete_file(path)
        self._runs = []


class _PositionKeeping:
    """A file being written that knows its position: Whoosh asks for it a few times per term,
    and a buffered file answers each time with a system call."""

    def __init__(self, file) -> None:
        self._file = file
        self._pos = file.tell()

    def write(self, data: bytes) -> int:
        written = self._file.write(data)  # a blocking buffered file writes it all, in bytes
        self._pos += written
        return written

    def tell(self) -> int:
        return self._pos

    def __getattr__(self, name: str):
        if name in ("seek", "truncate"):  # a position moved elsewhere: not for a writer
            raise AttributeError(name)
        return getattr(self._file, name)


def _dump_term(fh, item: tuple[str, bytes, Entry]) -> None:
    """One term of a run: its marshalled length, then the term with its arrays as bytes.
    marshal writes and reads lists of bytes twice as fast as pickle, and a run is read back by
    the process that wrote it, so its format never has to last."""
    name, term, (ids, weights, values) = item
    data = marshal.dumps((name, term, ids.tobytes(), weights.tobytes(), values))
    fh.write(_RUN_LENGTH.pack(len(data)))
    fh.write(data)


def _load_terms(fh) -> Iterator[tuple[str, bytes, Entry]]:
    """The terms of a run written by `_dump_term`, in order."""
    read, unpack, loads = fh.read, _RUN_LENGTH.unpack, marshal.loads
    while head := read(_RUN_LENGTH.size):
        name, term, id_bytes, weight_bytes, values = loads(read(unpack(head)[0]))
        ids, weights = array("I"), array("d")
        ids.frombytes(id_bytes)
        weights.frombytes(weight_bytes)
        yield name, term, (ids, weights, values)


def _join(merged: Iterable[tuple[str, bytes, Entry]]) -> Iterator[tuple[str, bytes, Entry]]:
    """Consecutive items of the same term joined into one."""
    last = None
    for name, term, entry in merged:
        if last is not None and last[0] == name and last[1] == term:
            ids, weights, values = last[2]
            last = (name, term, (ids + entry[0], weights + entry[1], values + entry[2]))
            continue
        if last is not None:
            yield last
        last = (name, term, entry)
    if last is not None:
        yield last


def _write_postings(
    writer: W3FieldWriter,
    schema: fields.Schema,
    lengths,
    terms: Iterable[tuple[str, bytes, Entry]],
) -> None:
    """`FieldWriter.add_postings` for terms in order, a term's posting list at a time."""
    doccount = lengths.doc_count_all()
    field_lengths: list = []
    name = None
    for fieldname, text, (ids, weights, values) in terms:
        if fieldname != name:
            if name is not None:
                writer.finish_field()
            name = fieldname
            writer.start_field(name, schema[name])
            field_lengths = [lengths.doc_field_length(d, name) for d in range(doccount)]
        writer.start_term(text)
        _write_term(writer, ids, weights, values, field_lengths)
    if name is not None:
        writer.finish_field()


def _write_term(
    writer: W3FieldWriter, ids: array, weights: array, values: list, field_lengths: list
) -> None:
    """The posting list of the current term, cut in blocks of the codec's size as
    `W3PostingsWriter.add_posting` cuts it, each block's statistics computed over the whole
    block at once and the block written by `_write_block`."""
    postings: W3PostingsWriter = writer._postwriter
    limit = postings._blocklimit
    for start in range(0, len(ids), limit):
        end = start + limit
        block_ids = ids[start:end]
        block_weights = weights[start:end]
        block_lengths = [n for n in map(field_lengths.__getitem__, block_ids) if n]
        postings._ids = block_ids
        postings._weights = array("f", block_weights)
        postings._values = [v for v in values[start:end] if v]
        postings._maxweight = max(0, max(block_weights))
        postings._minlength = min(block_lengths) if block_lengths else None
        postings._maxlength = max(block_lengths, default=0)
        _write_block(postings, last=end >= len(ids))
    postings._new_block()
    writer.finish_term()


def _write_block(postings: W3PostingsWriter, last: bool) -> None:
    """`W3PostingsWriter._write_block`, with the block's data pickled by `BLOCK_PROTOCOL`."""
    if not postings._blockcount:
        postings._postfile.write(WHOOSH3_HEADER_MAGIC)
    postings._terminfo.add_block(postings)
    data = (postings._mini_ids(), postings._mini_weights(), postings._mini_values())
    databytes = pickle.dumps(data, BLOCK_PROTOCOL)
    comp = postings._compression
    if comp:
        databytes = zlib.compress(databytes, comp)
    ids = postings._ids
    infobytes = pickle.dumps(
        (
            len(ids),
            ids[-1],
            postings._maxweight,
            comp,
            length_to_byte(postings._minlength),
            length_to_byte(postings._maxlength),
        ),
        2,
    )
    length = len(infobytes) + len(databytes)
    postings._postfile.write_int(-length if last else length)
    postings._postfile.write(infobytes)
    postings._postfile.write(databytes)
    postings._blockcount += 1
