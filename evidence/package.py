"""Read an evidence package directory into typed ledgers.

Layout::

    unit.yaml                 unit, type, region, creation period (创建周期)
    ledgers/<name>.csv|.yaml|.yml|.json   one file per ledger; <name> is the English name,
                              the Chinese title or an alias from ``evidence/ledgers.yaml``
    calendar/<year>.yaml      optional official holiday schedule for years the calendar library lacks
    files/...                 optional attachments referred to by the documents catalog

Problems are collected, never silently dropped: ``load_package`` raises ``InputError`` with every
error found; warnings are returned on the package.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import itertools
import json
import os
import queue
import re
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from engine.errors import InputError, Problem, cap_repeats
from engine.files import (
    ReadBudget,
    check_regular,
    check_sheet_size,
    check_workbook,
    decode_text,
    file_limit,
    list_dir,
    open_regular,
    protect,
    read_bytes,
)
from engine.yamlio import parse_yaml_bytes, validation_problems
from evidence.codes import did_you_mean, labels, suggest, to_code
from evidence.columns import MAX_CELL, ColumnsBuilder, FieldSpec, NotColumnar, Verdict, arrow, np
from evidence.models import Ledger, UnitInfo
from evidence.schema import LedgerCatalog, LedgerDef, load_ledger_catalog
from evidence.values import EXPECTED, PARSERS

LEDGER_DIR = "ledgers"
TABLE_SUFFIXES = (".csv", ".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Attachment:
    """A file named in the documents catalog (附件路径), read once to record its SHA-256."""

    doc_id: str
    path: str  # relative to the package root, "/" separated
    sha256: str
    size: int
    row: int | None = None  # row of the documents ledger that names it

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "path": self.path, "sha256": self.sha256, "size": self.size}


@dataclass
class EvidencePackage:
    root: Path
    unit: UnitInfo
    ledgers: dict[str, Ledger]
    warnings: list[Problem] = field(default_factory=list)
    digest: str = ""
    problems: list[Problem] = field(default_factory=list)  # errors and warnings, for `scorecard validate`
    attachments: list[Attachment] = field(default_factory=list)  # documents.file inside the package, with SHA-256

    def ledger(self, name: str) -> Ledger | None:
        return self.ledgers.get(name)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # a line with its ending (\r\n, \n or an old Mac \r)


MAX_COLUMNS = 1000  # a ledger has a few dozen columns; a header of millions is refused, not warned about per column


def _read_csv(data: bytes, rel: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header, and the data rows as a stream (a million-row ledger is never held twice as raw cells).

    Strict: a quote inside a quoted cell must be doubled, a file may not end inside a quoted cell, and a cell that
    spans lines holding what looks like further records (an unbalanced quote swallowing rows) is an error.
    """
    text = decode_text(data, rel)
    # Lines are sliced from the decoded text as the reader asks for them: io.StringIO would copy a large
    # ledger into a second, 4-bytes-a-character buffer (measured: +259 MB for a 1,000,000-row ledger).
    reader = csv.reader((m.group() for m in _LINE.finditer(text)), strict=True)
    rows = enumerate(_csv_rows(reader, rel), start=1)  # record numbers, as Excel numbers the rows of an opened CSV
    for _, cells in rows:
        if "".join(cells).strip():
            if len(cells) > MAX_COLUMNS:
                raise InputError(Problem(rel, f"表头列数过多({len(cells)} 列)", row=1,
                                         expected=f"不超过 {MAX_COLUMNS} 列的台账", code="csv"))
            return cells, ((n, cells) for n, cells in rows if "".join(cells).strip())  # blank lines skipped
    raise InputError(Problem(rel, "文件为空,没有表头行", expected="第一行为表头(列名)", code="empty"))


def _csv_rows(reader, rel: str) -> Iterator[list[str]]:
    width = 0
    line = 0
    first = 1
    try:
        for cells in reader:
            first, line = line + 1, reader.line_num
            if width == 0:
                width = len(cells)
            elif line > first:  # a quoted cell spans lines: legitimate (a paragraph), or a quote left open
                for index, cell in enumerate(cells):
                    inner = cell.split("\n")
                    if len(inner) > 1 and any(part.count(",") >= max(width - 2, 1) for part in inner[1:]):
                        raise InputError(Problem(
                            rel, f"引号未闭合:此单元格从第 {first} 行延续到第 {line} 行,吞并了其后的记录",
                            row=first, column=f"第 {index + 1} 列", value=cell[:80] + ("……" if len(cell) > 80 else ""),
                            expected="单元格中的双引号成对出现(内容中的双引号写成两个)", code="csv_quote"))
            yield cells
    except csv.Error as exc:
        start = line + 1  # the line the failing record began on
        if reader.line_num > start:
            raise InputError(Problem(rel, f"CSV 格式错误:引号未闭合,第 {start} 行开始的单元格一直延续到第 {reader.line_num} 行"
                                     f"({exc})", row=start, expected="单元格中的双引号成对出现(内容中的双引号写成两个)",
                                     code="csv_quote")) from None
        raise InputError(Problem(rel, f"CSV 格式错误:{exc}", row=reader.line_num, expected="逗号分隔、双引号成对的 CSV",
                                 code="csv")) from None


_BOM = b"\xef\xbb\xbf"
_HEADER_READ = 1 << 16  # bytes read at a time while looking for the end of the header line
_BLOCK = 1 << 22  # bytes Arrow parses at a time (2 MB: 3-5% more CPU on W2, the same peak)
_AHEAD_FROM = 3 * _BLOCK  # a file larger than this is decoded a batch ahead on a helper thread (``_Ahead``)
# a smaller ledger is read by the cell-by-cell reader: its few hundred rows take less than Arrow's set-up per file
# (measured on the W1 unit, 20 small ledgers and one of 2.9 MB: whole `score` 437 -> 410 ms)
_COLUMNAR_FROM = 64 * 1024
_POOLED_READ = 1 << 20  # a read this large goes into a reused block buffer (``_Blocks``)
_READ_AHEAD = 4  # blocks read but not yet made into batches, at most
_READ_WAIT = 0.25  # seconds a block read waits for its turn (``_CheckedStream.read``)
_LET_GO_WAIT = 5.0  # seconds a read waits at most for Arrow to let go of its file and blocks (``_let_go``)


class _Blocks:
    """Buffers for the blocks Arrow reads, used again once Arrow lets go of them: a fresh 4 MB bytes object per
    block is a fresh mapping the kernel zeroes page by page (measured on W2's 146 MB ledger: the reads cost 75 ms
    that way, 16 ms into buffers whose pages are in place). A block is lent to Arrow as a foreign buffer owned by its
    ``_Block``: when Arrow drops its last reference, the block is collected and its buffer goes back on the free list
    (so the buffers in use are at most the blocks Arrow holds, however long the file)."""

    def __init__(self) -> None:
        self.free: list = []
        self.lent: set[int] = set()  # the blocks Arrow holds (ids; a set's add and discard are atomic)

    def take(self, n: int) -> _Block:
        while self.free:
            array = self.free.pop()
            if len(array) >= n:
                return _Block(self, array)
        return _Block(self, np.empty(n, dtype=np.uint8))


class _Block:
    def __init__(self, blocks: _Blocks, array) -> None:
        self.blocks, self.array = blocks, array

    def lend(self, size: int):
        """The first ``size`` bytes as an Arrow buffer that keeps this block (and its buffer) until Arrow is done."""
        pa, _ = arrow()
        self.blocks.lent.add(id(self))
        return pa.foreign_buffer(self.array.ctypes.data, size, base=self)

    def __del__(self) -> None:
        self.blocks.lent.discard(id(self))
        self.blocks.free.append(self.array)


class _CheckedStream:
    """The file's bytes as Arrow reads them, checked on the way: hashed (SHA-256), no control character (those
    ``decode_text`` refuses: below U+0020 except tab and line ends, and U+007F), no double quote (no quoted cell:
    every line is one record and every comma a separator, so row k of the reader is line k of the file); the commas
    are counted (an empty line is the only line Arrow takes with fewer than the header's: the reader compares the
    count with its rows). The reader checks that every cell is UTF-8 (``_batch_columns``) and not over-long;
    anything else stops the columnar read (``NotColumnar``). The checks are numpy passes over each block, with the
    interpreter let go. Blocks are read into reused buffers (``_Blocks``), at most ``_READ_AHEAD`` ahead of the
    batches the reader has made."""

    def __init__(self, fd: int, limit: int):
        self.fd, self.limit = fd, limit
        self.sha = hashlib.sha256()
        self.size = 0
        self.commas = 0  # in the bytes read so far
        self.decoder = None  # while draining: the whole file's UTF-8 is checked here (Arrow reads none of it)
        self.pending = b""  # bytes read ahead (the header line) and not yet handed on
        self.lock = threading.Lock()
        self.shut_down = False
        self.scratch = None  # one boolean per byte of the largest block read, reused by every check
        self.quoted = 0  # 1 while inside a quoted cell (at the end of the bytes read so far)
        self.closed_at_end = False  # the bytes read so far end with a closing quote: the next byte is checked
        self.last = None  # the last byte read so far
        self.blocks = _Blocks()
        # Arrow's read-ahead would read as far ahead as it can (9-19 blocks of W2's 35 were seen in flight: 36-76 MB,
        # the run-to-run spread of the peak); a block read waits until the reader has turned the ones before
        # into batches (``block_done``)
        self.window = threading.Semaphore(_READ_AHEAD)

    def _raw(self, n: int):
        """Up to ``n`` bytes, checked: bytes for a small read (the header's), an Arrow buffer lent from ``_Blocks``
        for a block (Arrow takes either)."""
        with self.lock:  # Arrow reads ahead on its I/O thread: never after ``shut`` (the descriptor may be reused)
            if self.shut_down:
                return b""
            if n < _POOLED_READ:
                return self._check(os.read(self.fd, n))
            block = self.blocks.take(n)
            view = memoryview(block.array)
            got = 0
            while got < n and (k := os.readv(self.fd, [view[got:n]])):
                got += k
            if not got:
                return self._check(b"")
            return self._check(block.lend(got))

    def shut(self) -> None:
        """No read after this (Arrow's read-ahead may still be running when the reader stops with an error)."""
        with self.lock:
            self.shut_down = True
        self.window.release(2)  # a read waiting for its turn (Arrow reads on one thread) returns nothing

    def block_done(self) -> None:
        """The reader made a batch: one more block may be read."""
        self.window.release()

    def _check(self, chunk):
        if not len(chunk):
            if self.quoted:  # the file ends inside a quoted cell
                raise NotColumnar
            if self.decoder is not None:
                try:
                    self.decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    raise NotColumnar from None
            return chunk
        if self.size == 0:
            head = bytes(chunk[:4])
            if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\xff\xfe", b"\xfe\xff")):
                raise NotColumnar
            if head.startswith(_BOM):
                self.sha.update(chunk[:3])
                self.size += 3
                chunk = chunk[3:]
                head = bytes(chunk[:1])
            if head.startswith((b"\r", b"\n")):
                raise NotColumnar
        self.sha.update(chunk)
        self.size += len(chunk)
        if self.size > self.limit:
            raise NotColumnar
        self.commas += self._scan(chunk)
        if self.decoder is not None:
            try:
                self.decoder.decode(chunk)
            except UnicodeDecodeError:
                raise NotColumnar from None
        return chunk

    def _scan(self, chunk) -> int:
        """The chunk's separating commas; ``NotColumnar`` for a control byte or a double quote that is not part of a
        well-formed quoted cell (``_quoted``)."""
        data = np.frombuffer(chunk, dtype=np.uint8)
        if self.scratch is None or len(self.scratch) < len(data):
            self.scratch = np.empty(max(len(data), _HEADER_READ), dtype=bool)
        hits = self.scratch[:len(data)]

        def count(compare, value) -> int:
            compare(data, value, out=hits)
            return int(np.count_nonzero(hits))

        quotes = np.flatnonzero(hits) if count(np.equal, 0x22) else np.zeros(0, dtype=np.intp)
        if count(np.equal, 0x7F):
            raise NotColumnar
        low = count(np.less, 0x20)  # line ends and tabs are the only ones allowed
        for allowed in (0x0A, 0x0D, 0x09):
            if not low:
                break
            low -= count(np.equal, allowed)
        if low:
            raise NotColumnar
        commas = count(np.equal, 0x2C)
        if len(quotes) or self.quoted or self.closed_at_end:
            commas -= self._quoted(data, quotes, hits)
        self.last = int(data[-1])
        return commas

    def _quoted(self, data, quotes, hits) -> int:
        """Quoted cells, as Excel writes a cell holding a comma: ``"a,b"``, a quote inside doubled (``"a""b"``).
        Every double quote opens or closes one (counted across chunks): an opening one starts a cell (after a comma,
        a line end, or the quote that closed the half before a doubled quote), a closing one ends it (before a comma,
        a line end, or the quote of a doubled quote); no line end inside one. Anything else is for the cell-by-cell
        reader: a quote inside an unquoted cell, text after a closing quote (the csv module's error), a cell over
        several lines. Returns the commas inside quoted cells (they separate nothing)."""
        edges = (0x2C, 0x0A, 0x0D, 0x22)
        if self.closed_at_end:  # the last chunk ended with a closing quote: what follows it
            self.closed_at_end = False
            if int(data[0]) not in edges:
                raise NotColumnar
        if len(quotes):
            opening = (np.arange(len(quotes)) + self.quoted) % 2 == 0
            starts, ends = quotes[opening], quotes[~opening]
            before = data[np.maximum(starts - 1, 0)]
            if len(starts) and starts[0] == 0:
                before[0] = 0x0A if self.last is None else self.last
            after = data[np.minimum(ends + 1, len(data) - 1)]
            if len(ends) and ends[-1] == len(data) - 1:
                after[-1] = 0x2C  # checked against the next chunk's first byte
                self.closed_at_end = True
            if not (np.isin(before, edges).all() and np.isin(after, edges).all()):
                raise NotColumnar
        def inside(value) -> np.ndarray:  # whether each byte equal to value is inside a quoted cell
            np.equal(data, value, out=hits)
            return (np.searchsorted(quotes, np.flatnonzero(hits)) + self.quoted) % 2 == 1

        if inside(0x0A).any() or inside(0x0D).any():  # a quoted cell over several lines
            raise NotColumnar
        commas = int(np.count_nonzero(inside(0x2C)))
        self.quoted = (self.quoted + len(quotes)) % 2
        return commas

    def header(self) -> str:
        """The first line (decoded); the stream then starts at the second."""
        buf = b""
        while True:
            m = re.search(rb"\r\n|\r|\n", buf)
            if m is not None and (m.group() != b"\r" or m.end() < len(buf)):
                break
            chunk = self._raw(_HEADER_READ)
            if not chunk:
                m = None
                break
            buf += chunk
        line = buf if m is None else buf[:m.start()]
        self.pending = b"" if m is None else buf[m.end():]
        while 0 < len(self.pending) < 3 and (chunk := self._raw(_HEADER_READ)):
            self.pending += chunk
        if self.pending and _BOM.startswith(self.pending[:3]):  # Arrow would drop a BOM that begins its input
            raise NotColumnar
        if b'"' in line:  # quoted column names: the csv module reads them (the cell-by-cell reader)
            raise NotColumnar
        self.commas -= line.count(b",")  # the commas Arrow reads
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            raise NotColumnar from None

    def read(self, n: int = -1):
        """What Arrow reads (through ``_ArrowFile``); anything with the buffer protocol may be returned."""
        if self.pending:
            out, self.pending = self.pending, b""
            return out
        # Read ahead at most _READ_AHEAD blocks of the batches made. The bound is for memory only: a read that
        # waits longer than _READ_WAIT goes ahead anyway (Arrow never needs more than three blocks for a batch, a
        # row may not straddle two block boundaries, but nothing here relies on that)
        self.window.acquire(timeout=_READ_WAIT)
        return self._raw(n if n and n > 0 else 1 << 24)

    def drain(self) -> None:
        """Read (check and hash) the rest of a file whose rows are not read: its UTF-8 is checked here."""
        self.decoder = __import__("codecs").getincrementaldecoder("utf-8")()
        if self.pending:
            out, self.pending = self.pending, b""
            try:
                self.decoder.decode(out)
            except UnicodeDecodeError:
                raise NotColumnar from None
        while len(self._raw(_BLOCK)):
            pass


class _ArrowFile:
    """The file object Arrow reads a stream through, and the only one it is given: it calls ``read`` on its own I/O
    thread, reading ahead of the batches, and drops the file from that thread too. A call into Python from an Arrow
    thread while the interpreter shuts down aborts or hangs the process (apache/arrow#50482; measured here: a process
    that stopped this reader at the first batch of a 32 MB ledger and exited aborted or hung in 8 runs of 20), so
    ``_csv_columnar`` does not return before Arrow has let go of this object and of every block lent to it
    (``_let_go``)."""

    closed = False

    def __init__(self, stream: _CheckedStream) -> None:
        self.read = stream.read

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


def _let_go(released: threading.Event, blocks: _Blocks, failure: BaseException | None) -> bool:
    """Wait (at most ``_LET_GO_WAIT``) until Arrow holds nothing of a read: the ``_ArrowFile`` collected
    (``released``) and no block lent. Arrow has read to the end of the file, or the read failed and the stream is
    shut (a read Arrow still makes returns at once, empty: the end of the file for Arrow). The error of a failed
    read (``failure``) keeps the frames it went through, and their variables (the reader, the file): those frames
    have ended and are cleared first. False if the wait ran out."""
    pending = [failure]
    seen: set[int] = set()
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)
        pending += [exc.__cause__, exc.__context__]
    deadline = time.monotonic() + _LET_GO_WAIT
    while not released.is_set() or blocks.lent:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


class _Ahead:
    """The batches of an Arrow CSV reader, each decoded (and ``prepare``d) on a helper thread while the caller judges
    the one before (Arrow lets go of the interpreter while it decodes: the two run on two cores). Same batches, same
    order; an error of the reader is raised to the caller in its place."""

    _END = object()

    def __init__(self, reader, prepare: Callable[[Any], Any] = lambda batch: batch, depth: int = 2):
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.stop = False
        self.thread = threading.Thread(target=self._run, args=(reader, prepare), name="csv-batches", daemon=True)
        self.thread.start()

    def _run(self, reader, prepare: Callable[[Any], Any]) -> None:
        try:
            for batch in reader:
                if self.stop:
                    return
                self.queue.put(prepare(batch))
            self.queue.put(self._END)
        except BaseException as exc:  # handed to the caller, raised there
            self.queue.put(exc)

    def __iter__(self) -> Iterator:
        while True:
            item = self.queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        """Stop the helper (it may be waiting to hand on a batch nobody takes) and wait for it."""
        self.stop = True
        while self.thread.is_alive():
            try:
                self.queue.get(timeout=0.01)
            except queue.Empty:
                pass
        self.thread.join()


def _counted(reader, stream: _CheckedStream) -> Iterator:
    """The reader's batches; each one made lets the stream read one more block."""
    for batch in reader:
        stream.block_done()
        yield batch


def _arrow_batches(stream: _CheckedStream, names: list[str], prepare: Callable[[Any], Any], ahead: bool,
                   released: threading.Event) -> Iterator:
    """An Arrow CSV reader's batches of the stream, each ``prepare``d; every cell read as text, as the file has it.
    The iterator returned holds the only reference to the reader, which holds the only one to the ``_ArrowFile``
    (``released`` is set when that file is collected). ``ahead``: decoded a batch ahead on a helper thread."""
    import pyarrow.csv as pacsv

    pa, _ = arrow()
    file = _ArrowFile(stream)
    weakref.finalize(file, released.set)
    reader = pacsv.open_csv(
        file,
        read_options=pacsv.ReadOptions(column_names=names, block_size=_BLOCK, use_threads=False),
        parse_options=pacsv.ParseOptions(quote_char='"', double_quote=True, newlines_in_values=False,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, check_utf8=False,
                                             strings_can_be_null=False, quoted_strings_can_be_null=False))
    made = _counted(reader, stream)
    return _Ahead(made, prepare) if ahead else map(prepare, made)


def _batch_columns(batch, field_limit: int, coded: frozenset[int]) -> list:
    """A batch's columns, checked: a cell longer than the csv module's field limit (bytes bound the characters) is
    that module's error, so the file goes to the cell-by-cell reader (``NotColumnar``); so does a cell that is not
    UTF-8 (Arrow reads the cells unchecked: ``ArrowInvalid`` here for the columns of text, and for the ``coded``
    ones, held as codes, ``_batch_codes`` decodes each new distinct cell)."""
    pa, pc = arrow()
    for index, col in enumerate(batch.columns):
        if (pc.max(pc.binary_length(col)).as_py() or 0) > field_limit:
            raise NotColumnar
        if index not in coded:
            col.validate(full=True)
    return batch.columns


def _csv_columnar(root: Path, path: Path, rel: str, ledger_def: LedgerDef, budget: ReadBudget
                  ) -> tuple[Ledger, list[Problem], str]:
    """Read a CSV ledger with Arrow in batches, straight into columns (``evidence.columns``): the file is never held
    whole, every distinct value of a column is parsed once. Raises ``NotColumnar`` for a file the cell-by-cell
    reader must read (it gives the exact location of any problem); the caller then reads it that way."""
    limit = file_limit()
    try:
        size = os.stat(path).st_size
        if size < _COLUMNAR_FROM or size > limit or budget.used + size > budget.limit:
            raise NotColumnar
        fd = open_regular(root, path, rel, limit)
    except (OSError, InputError):
        raise NotColumnar from None
    pa, _ = arrow()

    try:
        stream = None
        stream = _CheckedStream(fd, limit)
        line = stream.header()
        header = next(csv.reader([line], strict=True), [])
        if not "".join(header).strip() or len(header) > MAX_COLUMNS:
            raise NotColumnar
        header = [str(h) for h in header]
        columns, problems = map_header(ledger_def, rel, header)
        if any(p.severity == "error" for p in problems):
            stream.drain()
            budget.charge(stream.size, rel)
            return _empty_ledger(ledger_def, rel, None), problems, stream.sha.hexdigest()
        if len(header) < 2:  # an empty line is a row of one empty cell: only the commas tell them apart
            raise NotColumnar
        specs = field_specs(ledger_def, columns, arrow=True)
        builder = ColumnsBuilder(specs, ledger_def.id_field, ledger_def.fields[ledger_def.id_field].title, rel, None)
        names = [f"c{i}" for i in range(len(header))]
        # UTF-8: a field that is no plain text (a date, a number, yes/no, a category) is always held as codes, and
        # each new distinct cell is decoded in Python (``_batch_codes``); every other column is checked per batch
        coded = frozenset(spec.index for spec in specs if not spec.text)
        prepare = functools.partial(_batch_columns, field_limit=csv.field_size_limit(), coded=coded)
        batches: Any = None
        released = threading.Event()  # set when Arrow has let go of the file it reads (``_let_go``)
        failure: BaseException | None = None
        try:
            try:
                # decoding ahead on a second core pays for a ledger of several blocks; a unit-sized one is read in
                # one or two, and batch workers (one a core) keep every core busy already
                batches = _arrow_batches(stream, names, prepare, size > _AHEAD_FROM, released)
                first = 2
                for prepared in batches:
                    builder.add_batch(prepared, first)
                    first += len(prepared[0])
            except pa.ArrowInvalid:  # a row with more or fewer cells than the header
                raise NotColumnar from None
            except OSError as exc:
                if isinstance(exc.__context__, NotColumnar) or "NotColumnar" in str(exc):
                    raise NotColumnar from None
                raise
        except BaseException as exc:
            failure = exc
            raise
        finally:
            if isinstance(batches, _Ahead):
                batches.close()
            batches = None  # the only reference to the reader: dropped here, it drops the file
            if failure is not None:  # Arrow may be reading ahead: its next read gets the end of the file
                stream.shut()
            _let_go(released, stream.blocks, failure)
            failure = None  # (it holds this frame)
        stream.drain()
        if stream.commas != (first - 2) * (len(header) - 1):  # an empty line (its row has no comma)
            raise NotColumnar
        budget.charge(stream.size, rel)
        ledger, found = _finish(builder, ledger_def, rel, None, problems)
        return ledger, found, stream.sha.hexdigest()
    finally:
        if stream is not None:
            stream.shut()
        os.close(fd)


def _read_structured(raw: bytes, rel: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    if rel.lower().endswith(".json"):
        try:
            data = json.loads(decode_text(raw, rel), parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise InputError(Problem(rel, f"JSON 语法错误:{exc.msg}", row=exc.lineno, code="json")) from None
        except ValueError as exc:
            raise InputError(Problem(rel, f"JSON 内容错误:{exc}", code="json")) from None
        except RecursionError:
            raise InputError(Problem(rel, "JSON 嵌套层数过深", code="json")) from None
        node = None
    else:
        data, node = parse_yaml_bytes(raw, rel)
    if isinstance(data, dict) and "records" in data:
        data = data["records"]
        if isinstance(node, yaml.MappingNode):  # the documented `records:` form: lines come from the list node
            node = next((v for k, v in node.value if getattr(k, "value", None) == "records"), None)
    if data is None:
        raise InputError(Problem(rel, "文件为空", expected="记录列表(每条记录为 字段: 值)", code="empty"))
    if not isinstance(data, list):
        raise InputError(Problem(rel, "内容应为记录列表", expected="列表,或含 records: 列表的映射", code="shape"))
    headers: list[str] = []
    for item in data:
        if isinstance(item, dict):
            for key in item:
                if str(key) not in headers:
                    headers.append(str(key))
    rows = []
    for index, item in enumerate(data):
        line = (node.value[index].start_mark.line + 1 if isinstance(node, yaml.SequenceNode) and index < len(node.value)
                else index + 1)
        if not isinstance(item, dict):
            raise InputError(Problem(rel, "记录应为 字段: 值 的映射", row=line, code="shape"))
        rows.append((line, [item.get(h, item.get(_orig_key(item, h))) for h in headers]))
    return headers, rows


def _no_constant(name: str):
    raise ValueError(f"不允许 {name}(非有限数字)")


def _orig_key(item: dict, header: str):
    for key in item:
        if str(key) == header:
            return key
    return header


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
NOTE_SHEETS = {"填表说明", "说明", "readme", "使用说明", "代码表"}  # sheets in a workbook that are not ledgers


def column_letter(index: int) -> str:
    """0 -> A, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass
class SheetTable:
    sheet: str
    header: list[str] | None
    rows: list[tuple[int, list[Any]]]
    problems: list[Problem]


def open_workbook(data: bytes, rel: str):
    """Open a workbook with python-calamine (Rust; reads .xlsx/.xls/.ods; .xlsb is refused by ``check_workbook``).

    Chosen over openpyxl for speed (5x). Measured with bench/bench_intake.py on a 200,000-row x 8-column ledger
    (2-core shared machine, every cell parsed into typed values, 2026-11): python-calamine 50,254 rows/s (3.98 s),
    openpyxl read_only 10,269 rows/s (19.48 s), GB18030 CSV 26,169 rows/s (7.64 s, before the ISO-date fast path).
    calamine hands back real date/datetime cells, reads .xls/.xlsb/.ods too, and reports merged ranges.
    """
    import io

    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))  # the bytes already read (and checked) once
    except Exception as exc:  # calamine raises its own error types for corrupt or non-Excel files
        raise InputError(Problem(rel, f"无法读取 Excel 文件:{type(exc).__name__}", value=str(exc)[:200],
                                 expected="Excel 2007 及以上版本保存的 .xlsx 文件(或 .xls/.ods)", code="xlsx")) from None


def read_sheet(workbook, sheet: str, rel: str) -> SheetTable:
    """Rows of one sheet with their Excel row numbers; the first non-empty row is the header.

    Merged cells in or touching the header row are reported (each column needs its own header text);
    a data column with no header is reported too.
    """
    problems: list[Problem] = []
    try:
        ws = workbook.get_sheet_by_name(sheet)
        # rows x columns as Python objects (to_python with the empty area kept) are the expensive part: every
        # format (.xls included, which has no zip to check beforehand) is checked against the cell cap first
        check_sheet_size(ws.total_height, ws.total_width, rel, sheet)
        raw_rows = ws.to_python(skip_empty_area=False)
        merged = list(getattr(ws, "merged_cell_ranges", None) or [])
    except InputError as exc:
        return SheetTable(sheet, None, [], list(exc.problems))
    except Exception as exc:
        return SheetTable(sheet, None, [], [Problem(rel, f"无法读取工作表:{exc}", sheet=sheet, code="xlsx")])
    header: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[Any]]] = []
    for index, cells in enumerate(raw_rows):
        if header is None:
            if not any(c not in ("", None) and str(c).strip() for c in cells):
                continue
            header_row = index
            header = ["" if c in ("", None) else str(c).strip() for c in cells]
            continue
        if not any(c not in ("", None) and (not isinstance(c, str) or c.strip()) for c in cells):
            continue  # blank row (trailing rows, spacing)
        rows.append((index + 1, [None if c == "" else c for c in cells]))
    if header is None:
        return SheetTable(sheet, None, [], [Problem(rel, "工作表为空,没有表头行", sheet=sheet, expected="第一行为表头(列名)", code="empty")])
    for (r0, c0), (r1, c1) in merged:
        if r0 <= header_row <= r1 and (c1 > c0 or r1 > r0):
            span = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
            problems.append(Problem(rel, f"表头有合并单元格 {span},无法确定每一列的列名", sheet=sheet, row=header_row + 1,
                                    column=header[c0] if c0 < len(header) else None,
                                    expected="取消合并,表头只占一行,每列一个列名", code="merged_header"))
    if not problems and rows:
        width = max(len(cells) for _, cells in rows)
        used = [False] * width
        for _, cells in rows:
            for i, c in enumerate(cells):
                if c is not None:
                    used[i] = True
        for i in range(width):
            if used[i] and (i >= len(header) or not header[i]):
                problems.append(Problem(rel, f"第 {column_letter(i)} 列有数据但没有列名,已忽略", sheet=sheet, row=header_row + 1,
                                        column=column_letter(i), severity="warning", code="no_header"))
    return SheetTable(sheet, header, rows, problems)


def read_workbook(path: Path, rel: str, catalog: LedgerCatalog, data: bytes) -> tuple[list[tuple[str, SheetTable]], list[Problem]]:
    """Ledgers in one workbook: ``<ledger>.xlsx`` (the sheet named after the ledger, else the first sheet)
    or a workbook of several ledgers, one sheet each, named by ledger name, Chinese title or alias."""
    facts = check_workbook(data, rel)  # zip bomb, used-range bomb, hidden sheets, formulas, error cells
    wb = open_workbook(data, rel)
    try:
        metas = [m for m in wb.sheets_metadata if str(getattr(m.typ, "name", "WorkSheet")) == "WorkSheet"]
        names = [m.name for m in metas] or list(wb.sheet_names)
        hidden = {m.name for m in metas if str(getattr(m.visible, "name", "Visible")) != "Visible"}
    except Exception:
        names, hidden = list(wb.sheet_names), set()
    hidden |= {name for name, f in facts.items() if f.hidden}
    problems: list[Problem] = []
    out: list[tuple[str, SheetTable]] = []
    for sheet in names:
        if sheet in hidden:
            problems.append(Problem(rel, f"工作表「{sheet}」是隐藏的,未读取", sheet=sheet, severity="warning",
                                    expected="要评分的数据放在可见的工作表中;不用的工作表删除", code="hidden_sheet"))
    names = [n for n in names if n not in hidden]
    if not names:
        return [], problems + [Problem(rel, "工作簿中没有可见的工作表", code="empty")]

    def read(sheet: str) -> SheetTable:
        table = read_sheet(wb, sheet, rel)
        f = facts.get(sheet)
        if f is not None:
            for row, col in f.formulas_without_value:
                table.problems.append(Problem(rel, f"单元格 {col}{row} 是公式但没有保存计算结果,无法读取其值", sheet=sheet, row=row,
                                              column=_column_title(table, col), expected="在 Excel 中打开并保存(或把公式改为数值)",
                                              code="formula_no_value"))
            for row, col, err in f.error_cells:
                table.problems.append(Problem(rel, f"单元格 {col}{row} 是错误值", sheet=sheet, row=row, value=err,
                                              column=_column_title(table, col), expected="更正公式或填写数值", code="error_cell"))
        return table

    own = catalog.ledger_for_name(path.stem)
    if own is not None:
        chosen = next((n for n in names if catalog.ledger_for_name(n) == own), names[0])
        out.append((own, read(chosen)))
        return out, problems
    for sheet in names:
        name = catalog.ledger_for_name(sheet)
        if name is None:
            if sheet.strip().lower() in NOTE_SHEETS:
                continue
            table = read(sheet)
            if table.header is None:
                continue  # an unused empty sheet (Sheet2, Sheet3)
            problems.append(Problem(rel, f"不认识的台账名称(工作表名)「{sheet}」" + _ledger_hint(sheet, catalog),
                                    sheet=sheet, code="unknown_ledger",
                                    expected="工作表名为台账名称,如 " + "、".join(d.title for d in list(catalog.ledgers.values())[:6]) + " 等"))
            continue
        out.append((name, read(sheet)))
    if not out and not problems:
        problems.append(Problem(rel, f"工作簿「{path.name}」中没有可识别的台账工作表", expected="文件名或工作表名为台账名称",
                                code="unknown_ledger"))
    return out, problems


def _column_title(table: SheetTable, letters: str) -> str:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    header = table.header or []
    return header[index - 1] if 0 < index <= len(header) and header[index - 1] else letters


def _ledger_hint(name: str, catalog: LedgerCatalog) -> str:
    """";是否为「行政执法决定台账」?" for a misspelt ledger name (titles and aliases compared)."""
    by_label = {}
    for ld in catalog.ledgers.values():
        for label in (ld.title, *ld.aliases):
            by_label.setdefault(label, ld.title)
    hits = [by_label[h] for h in suggest(name, by_label, n=5, cutoff=0.5)]
    hint = did_you_mean(list(dict.fromkeys(hits))[:3])
    return ";" + hint if hint else ""


READERS = {".csv": _read_csv, ".yaml": _read_structured, ".yml": _read_structured, ".json": _read_structured}


_BATCH = 100_000  # rows handed to the column builder at a time (python rows: workbooks, YAML/JSON, quoted CSV)


def map_header(ledger_def: LedgerDef, rel: str, header: list[str], sheet: str | None = None
               ) -> tuple[list[tuple[int, str]], list[Problem]]:
    """Header cells to fields: (column index, field) of each mapped column, and the header's problems."""
    problems: list[Problem] = []
    columns: list[tuple[int, str]] = []
    seen: dict[str, str] = {}
    if len(header) > MAX_COLUMNS:
        return [], [Problem(rel, f"表头列数过多({len(header)} 列)", sheet=sheet, expected=f"不超过 {MAX_COLUMNS} 列的台账",
                            code="too_many_columns")]
    for index, label in enumerate(header):
        if label is None or not str(label).strip():
            continue
        name = ledger_def.field_for_header(str(label))
        if name is None:
            titles = [f.title for f in ledger_def.fields.values()]
            hint = did_you_mean(suggest(str(label), [t for t in titles if t not in seen.values()]))
            problems.append(
                Problem(rel, "不认识的列,已忽略" + (";" + hint if hint else ""), sheet=sheet, column=str(label),
                        severity="warning", code="unknown_column", expected="、".join(titles))
            )
            continue
        if name in seen:
            problems.append(Problem(rel, f"列重复:与「{seen[name]}」指同一字段", sheet=sheet, column=str(label), code="duplicate_column"))
            continue
        seen[name] = str(label)
        columns.append((index, name))
    for name, fd in ledger_def.fields.items():
        if fd.required and name not in seen:
            problems.append(
                Problem(rel, "缺少必填列", sheet=sheet, column=fd.title, expected=f"表头含「{fd.title}」(或 {name})", code="missing_column")
            )
    return columns, problems


def field_specs(ledger_def: LedgerDef, columns: list[tuple[int, str]], *, arrow: bool = False) -> list[FieldSpec]:
    """How each mapped column's cells are judged. With ``arrow``, plain text fields are kept as Arrow strings."""
    out = []
    for index, name in columns:
        fd = ledger_def.fields[name]
        text = arrow and fd.type == "str" and not fd.unit and (ledger_def.name, name) not in labels()
        out.append(FieldSpec(index, name, fd, _judge(fd, _parser(ledger_def.name, name, fd)), text, _expected(fd)))
    return out


def _judge(fd, parse: Callable[[Any], Any]) -> Callable[[Any], Verdict]:
    """One raw cell's verdict: the checks the cell-by-cell reader made, in the same order, with the same messages."""
    expected = _expected(fd)
    number = fd.type in ("int", "float") and not fd.signed
    year = fd.type == "int" and fd.unit == "年"
    enum = fd.type == "enum"

    def judge(raw: Any) -> Verdict:
        if type(raw) is str and len(raw) > MAX_CELL:
            return Verdict(False, problem=dict(message=f"单元格内容过长({len(raw)} 个字符)", column=fd.title,
                                               value=raw[:40] + "……", expected=f"不超过 {MAX_CELL} 个字符", code="cell_too_long"))
        try:
            value = parse(raw)
        except ValueError as exc:
            return Verdict(False, problem=dict(message=str(exc), column=fd.title, value=show_value(raw), expected=expected,
                                               code="bad_value"))
        if value is None:
            if fd.required:
                return Verdict(False, problem=dict(message="必填字段为空", column=fd.title, expected=expected, code="required"))
            return Verdict(True, None)
        if number and value < 0:
            return Verdict(False, problem=dict(message="不能为负数", column=fd.title, value=show_value(raw), expected=expected,
                                               code="negative"))
        if year and not 2000 <= value <= 2100:
            return Verdict(False, problem=dict(message="年份不合理", column=fd.title, value=show_value(raw),
                                               expected="2000 至 2100 之间的年份", code="implausible"))
        if enum and value not in fd.values:
            hint = did_you_mean(suggest(str(value), fd.values, cutoff=0.4))
            return Verdict(False, problem=dict(message="取值不在允许范围内" + (";" + hint if hint else ""), column=fd.title,
                                               value=show_value(raw), expected="、".join(fd.values), code="bad_enum"))
        return Verdict(True, value)

    return judge


def _empty_ledger(ledger_def: LedgerDef, rel: str, sheet: str | None) -> Ledger:
    return Ledger(name=ledger_def.name, title=ledger_def.title, file=rel, id_field=ledger_def.id_field, sheet=sheet)


def parse_table(
    ledger_def: LedgerDef, rel: str, header: list[str], rows: Iterable[tuple[int, list[Any]]], sheet: str | None = None
) -> tuple[Ledger, list[Problem]]:
    """Map headers to fields, parse every cell (each distinct value of a column once), collect every problem."""
    columns, problems = map_header(ledger_def, rel, header, sheet)
    if any(p.severity == "error" for p in problems):
        return _empty_ledger(ledger_def, rel, sheet), problems
    builder = ColumnsBuilder(field_specs(ledger_def, columns), ledger_def.id_field,
                             ledger_def.fields[ledger_def.id_field].title, rel, sheet)
    rows = iter(rows)
    while True:
        chunk = list(itertools.islice(rows, _BATCH))
        if not chunk:
            break
        builder.add_rows(chunk)
    return _finish(builder, ledger_def, rel, sheet, problems)


def _finish(builder: ColumnsBuilder, ledger_def: LedgerDef, rel: str, sheet: str | None, problems: list[Problem]
            ) -> tuple[Ledger, list[Problem]]:
    cols, rows, found = builder.finish()
    ledger = Ledger(name=ledger_def.name, title=ledger_def.title, file=rel, id_field=ledger_def.id_field, sheet=sheet,
                    rows=rows, columns=cols)
    return ledger, problems + found


def _parser(ledger: str, name: str, fd) -> Callable[[Any], Any]:
    """The cell parser of a field: its type's parser; a number may carry the field's declared unit ("300份");
    a labelled code column turns "label(code)" or the label into the code."""
    parse = PARSERS[fd.type]
    if fd.type in ("int", "float") and fd.unit:
        unit = fd.unit

        def parse_with_unit(raw: Any) -> Any:
            if isinstance(raw, str) and raw.strip().endswith(unit) and raw.strip() != unit:
                raw = raw.strip()[: -len(unit)].strip()
            return parse(raw)

        return parse_with_unit
    if (ledger, name) in labels():
        def parse_code(raw: Any) -> Any:
            value = parse(raw)
            return to_code(ledger, name, value) if isinstance(value, str) else value

        return parse_code
    return parse


def show_value(raw: Any) -> str:
    """A cell value as the user sees it (Excel numbers are floats: 2.0 is shown as 2)."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if hasattr(raw, "isoformat"):
        return raw.isoformat(sep=" ") if hasattr(raw, "hour") and hasattr(raw, "year") else raw.isoformat()
    return str(raw)


def _expected(fd) -> str:
    text = EXPECTED[fd.type]
    if fd.type == "enum":
        text += ":" + "、".join(fd.values)
    if fd.unit:
        text += f"(单位:{fd.unit})"
    return text


def _where(ledger: Ledger) -> str:
    return ledger.file + (f" 工作表「{ledger.sheet}」" if ledger.sheet else "")


_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def hash_attachments(root: Path, documents: Ledger | None) -> tuple[list[Attachment], list[Problem]]:
    """SHA-256 of every ``documents.file``; paths must stay inside the package (links included) and exist.

    Files are opened read-only and streamed; nothing in the package is ever written.
    """
    if documents is None:
        return [], []
    out: list[Attachment] = []
    problems: list[Problem] = []
    cache: dict[Path, tuple[str, int]] = {}
    real_root = root.resolve()
    for record, row in zip(documents.records, documents.rows):
        raw = record.get("file")
        if not raw:
            continue
        text = str(raw).strip().replace("\\", "/")
        where = dict(row=row, column="附件路径", value=str(raw), sheet=documents.sheet)
        if _URL.match(text) and not re.match(r"^[A-Za-z]:", text):
            problems.append(Problem(documents.file, "附件路径应为证据包内的文件,不能是网址", expected="如 files/制度文件.pdf;网址请填在「公开网址」列",
                                    code="attachment_url", **where))
            continue
        if text.startswith("/") or re.match(r"^[A-Za-z]:", text) or ".." in Path(text).parts:
            problems.append(Problem(documents.file, "附件路径指向证据包之外", expected="证据包内的相对路径,如 files/制度文件.pdf",
                                    code="attachment_outside", **where))
            continue
        try:
            real, _ = check_regular(root, root / text, documents.file)
        except InputError as exc:
            problem = exc.problems[0]
            if problem.code == "outside":
                message, code, expected = "附件是指向证据包之外的链接,拒绝读取", "attachment_outside", "把文件本身放入证据包"
            elif problem.code == "io" and "No such file" in problem.message:
                message, code, expected = "附件文件不存在", "attachment_missing", "证据包内存在的文件(路径区分大小写)"
            else:
                message, code, expected = f"附件{problem.message.removeprefix('无法读取文件:')}", "attachment_missing", \
                    "证据包内存在的普通文件(路径区分大小写)"
            problems.append(Problem(documents.file, message, expected=expected, code=code, **where))
            continue
        if real not in cache:
            h = hashlib.sha256()
            size = 0
            try:
                with open(real, "rb", buffering=0) as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
                        size += len(chunk)
            except OSError as exc:
                problems.append(Problem(documents.file, f"无法读取附件:{exc.strerror}", code="attachment_io", **where))
                continue
            cache[real] = (h.hexdigest(), size)
        sha, size = cache[real]
        out.append(Attachment(doc_id=str(record.get(documents.id_field, "")), path=real.relative_to(real_root).as_posix(),
                              sha256=sha, size=size, row=row))
    return out, problems


def period_warnings(unit: UnitInfo, ledgers: dict[str, Ledger], catalog: LedgerCatalog) -> list[Problem]:
    """A record whose date (ledger ``date_field``) falls outside the creation period: shown, not an error."""
    out: list[Problem] = []
    period = unit.period
    for name, ledger in ledgers.items():
        ld = catalog.ledgers[name]
        if not ld.date_field:
            continue
        fd = ld.fields[ld.date_field]
        for record, row in zip(ledger.records, ledger.rows):
            value = record.get(ld.date_field)
            if value is None:
                continue
            if fd.type == "int":
                outside = not (period.start.year <= value <= period.end.year)
            else:
                day = value.date() if hasattr(value, "date") and callable(value.date) else value
                outside = not period.contains(day)
            if outside:
                out.append(Problem(ledger.file, f"日期不在创建周期({period.start}至{period.end})内,该记录可能不计入", row=row,
                                   column=fd.title, value=str(value), sheet=ledger.sheet, severity="warning",
                                   code="outside_period"))
    return out


UNIT_SHEET = "单位信息.xlsx"
UNIT_ROWS = {"单位名称": "name", "单位类型": "type", "地区": "region", "创建周期开始": "period.start",
             "创建周期截止": "period.end", "检查日期": "inspection_date"}
UNIT_LABELS = {"name": "单位名称", "type": "单位类型", "region": "地区", "period": "创建周期", "inspection_date": "检查日期"}


def unit_from_sheet(data: bytes, display: str = UNIT_SHEET) -> UnitInfo:
    """The unit information from ``单位信息.xlsx`` (rows 项目 | 内容, as ``scorecard init`` writes it)."""
    check_workbook(data, display)
    wb = open_workbook(data, display)
    rows = wb.get_sheet_by_index(0).to_python()
    values: dict = {"period": {}}
    where: dict[str, int] = {}
    for r, row in enumerate(rows, start=1):
        if len(row) < 2:
            continue
        key = UNIT_ROWS.get(str(row[0]).strip())
        value = row[1]
        if key is None or value in (None, ""):
            continue
        if hasattr(value, "date") and callable(value.date):
            value = value.date()
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if key.startswith("period."):
            values["period"][key.split(".")[1]] = value
        else:
            values[key] = str(value).strip() if key in ("name", "type", "region") else value
        where[key.split(".")[0]] = r
    try:
        return UnitInfo.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(x) for x in err.get("loc", ())]
            field = loc[0] if loc else ""
            label = UNIT_LABELS.get(field, field) + ("开始" if loc[1:2] == ["start"] else "截止" if loc[1:2] == ["end"] else "")
            problems.append(Problem(display, f"单位信息「{label}」填写有误或缺失", sheet="单位信息", row=where.get(field),
                                    column="内容", value=None if err.get("input") in (None, {}) else str(err.get("input")),
                                    expected="单位名称、单位类型(县/区/镇/街道/部门)、创建周期开始与截止日期", code="bad_unit"))
        raise InputError(problems) from None


def load_package(root: Path | str, catalog: LedgerCatalog | None = None, *, strict: bool = True) -> EvidencePackage:
    """Load and validate a package. With ``strict`` any error raises ``InputError`` (all problems at once)."""
    root = Path(root)
    catalog = catalog or load_ledger_catalog()
    if root.is_file():
        raise InputError(Problem(str(root), "这是一个文件,不是证据包目录", code="no_package",
                                 expected=f"证据包目录(包含 unit.yaml 和 ledgers/),如 {root.parent}"))
    if not root.is_dir():
        near = []
        if root.parent.is_dir():
            near = suggest(root.name, [p.name for p in root.parent.iterdir() if p.is_dir()], cutoff=0.6)
        hint = did_you_mean([str(root.parent / n) for n in near])
        raise InputError(Problem(str(root), "证据包目录不存在" + (";" + hint if hint else ""),
                                 expected="包含 unit.yaml 和 ledgers/ 的目录", code="no_package"))
    if root.name == LEDGER_DIR and (root.parent / "unit.yaml").is_file() and not (root / "unit.yaml").exists():
        raise InputError(Problem(str(root), "这是证据包的台账目录 ledgers/,不是证据包本身", code="no_package",
                                 expected=f"证据包目录 {root.parent}"))
    protect(root=root)  # evidence is read-only: no output may be written into the package
    problems: list[Problem] = []
    budget = ReadBudget()
    unit_path = root / "unit.yaml"
    unit = None
    unit_raw: bytes | None = None
    node = None
    sheet_path = root / UNIT_SHEET
    sheet_unit: UnitInfo | None = None
    if os.path.lexists(sheet_path):
        try:
            sheet_raw = read_bytes(root, sheet_path, UNIT_SHEET, budget=budget)
            sheet_unit = unit_from_sheet(sheet_raw, UNIT_SHEET)
        except InputError as exc:
            if not os.path.lexists(unit_path):
                problems.extend(exc.problems)
    if not os.path.lexists(unit_path) and sheet_unit is not None:
        unit, unit_raw, unit_path = sheet_unit, sheet_raw, sheet_path
    elif not os.path.lexists(unit_path):
        if not os.path.lexists(sheet_path):
            problems.append(Problem("unit.yaml", f"缺少 unit.yaml(证据包 {root})", code="no_unit",
                                    expected=f"单位名称、类型、地区、创建周期(unit.yaml 或 {UNIT_SHEET});"
                                             "可用 scorecard init 生成证据包模板"))
    else:
        try:
            unit_raw = read_bytes(root, unit_path, "unit.yaml", budget=budget)
            data, node = parse_yaml_bytes(unit_raw, "unit.yaml")
            unit = UnitInfo.model_validate(data if data is not None else {})
        except ValidationError as exc:
            problems.extend(validation_problems(exc, "unit.yaml", node))
        except InputError as exc:
            problems.extend(exc.problems)
        if unit is not None and sheet_unit is not None and sheet_unit != unit:
            differ = [UNIT_LABELS.get(k, k) for k in ("name", "type", "region", "period", "inspection_date")
                      if getattr(sheet_unit, k) != getattr(unit, k)]
            problems.append(Problem(UNIT_SHEET, "与 unit.yaml 不一致(" + "、".join(differ) + "),以 unit.yaml 为准",
                                    severity="warning", code="unit_sheet_differs",
                                    expected=f"两者一致,或删除 unit.yaml 只保留 {UNIT_SHEET}"))
    ledgers: dict[str, Ledger] = {}
    digest = hashlib.sha256()
    ledger_dir = root / LEDGER_DIR
    files: list[Path] = []
    if ledger_dir.is_dir():
        try:
            files = list_dir(root, ledger_dir, LEDGER_DIR + "/")
        except InputError as exc:
            problems.extend(exc.problems)
    else:
        problems.append(Problem(LEDGER_DIR + "/", "缺少台账目录 ledgers/", severity="warning", code="no_ledgers"))
    for path in files:
        rel = path.relative_to(root).as_posix()
        suffix = path.suffix.lower()
        if path.name.startswith((".", "~$")):
            continue
        if path.is_dir() and not path.is_symlink():
            if suffix in READERS or suffix in WORKBOOK_SUFFIXES:
                problems.append(Problem(rel, "是目录,不是台账文件", expected="台账文件(.csv/.xlsx/.yaml/.json)", code="not_a_file"))
            continue
        if suffix not in READERS and suffix not in WORKBOOK_SUFFIXES:
            problems.append(Problem(rel, "不支持的台账文件类型,已忽略", severity="warning",
                                    expected="、".join((*READERS, *WORKBOOK_SUFFIXES)), code="unknown_file"))
            continue
        if suffix == ".csv" and not path.name.startswith((".", "~$")):
            name = catalog.ledger_for_name(path.stem)
            if name is not None and name not in ledgers:
                try:
                    ledger, found, sha = _csv_columnar(root, path, rel, catalog.ledgers[name], budget)
                except NotColumnar:
                    pass  # read below, cell by cell
                else:
                    ledger.sha256 = sha
                    problems.extend(found)
                    ledgers[name] = ledger
                    continue
        try:
            data = read_bytes(root, path, rel, budget=budget)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        sha = hashlib.sha256(data).hexdigest()
        if suffix in WORKBOOK_SUFFIXES:
            if not data:
                problems.append(Problem(rel, "文件为空(0 字节)", expected="Excel 工作簿", code="empty"))
                continue
            try:
                tables, found = read_workbook(path, rel, catalog, data)
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            problems.extend(found)
            for name, table in tables:
                problems.extend(table.problems)
                if name in ledgers:
                    problems.append(Problem(rel, f"与 {_where(ledgers[name])} 是同一台账,重复提供", sheet=table.sheet,
                                            code="duplicate_ledger"))
                    continue
                if table.header is None or any(p.severity == "error" for p in table.problems):
                    continue
                ledger, found = parse_table(catalog.ledgers[name], rel, table.header, table.rows, sheet=table.sheet)
                ledger.sha256 = sha
                problems.extend(found)
                ledgers[name] = ledger
            continue
        name = catalog.ledger_for_name(path.stem)
        if name is None:
            problems.append(Problem(rel, f"不认识的台账名称「{path.stem}」" + _ledger_hint(path.stem, catalog),
                                    expected="文件名为台账名称:" + "、".join(d.title for d in catalog.ledgers.values()),
                                    code="unknown_ledger"))
            continue
        if name in ledgers:
            problems.append(Problem(rel, f"与 {_where(ledgers[name])} 是同一台账,重复提供", code="duplicate_ledger"))
            continue
        try:
            header, rows = READERS[suffix](data, rel)  # the bytes already read and hashed
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        del data  # the rows come from the decoded text now: a large ledger's bytes are freed before parsing
        try:
            ledger, found = parse_table(catalog.ledgers[name], rel, [str(h) if h is not None else "" for h in header], rows)
        except InputError as exc:  # a malformed line met while streaming the rows
            problems.extend(exc.problems)
            continue
        ledger.sha256 = sha
        problems.extend(found)
        ledgers[name] = ledger
    attachments, found = hash_attachments(root, ledgers.get("documents"))
    problems.extend(found)
    if unit_raw is not None:
        digest.update(unit_path.name.encode() + b"\0" + unit_raw)
    for name in sorted(ledgers):
        digest.update(ledgers[name].file.encode() + b"\0" + ledgers[name].sha256.encode())
    for att in attachments:
        digest.update(att.path.encode() + b"\0" + att.sha256.encode())
    errors = [p for p in problems if p.severity == "error"]
    if errors and strict:
        raise InputError(problems)
    if unit is None:
        raise InputError(problems)
    problems.sort(key=lambda p: (p.severity != "error", p.file, p.row or 0, p.column or ""))
    # the score report's warnings: at most REPEAT_LIMIT located messages of one kind per file, then a summary line
    # (``problems`` stays complete: `validate` sorts everything it finds, then caps)
    return EvidencePackage(root=root, unit=unit, ledgers=ledgers,
                           warnings=cap_repeats([p for p in problems if p.severity != "error"]),
                           digest=digest.hexdigest(), problems=problems, attachments=attachments)
