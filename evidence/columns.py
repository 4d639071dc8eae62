"""Ledgers held as columns: each field's distinct values once, and a small integer code per row.

A million-row enforcement ledger repeats a few hundred dates and a handful of yes/no and category values in each
column: stored as a code per row (1, 2 or 4 bytes) plus the distinct parsed values, it costs a few MB a column
instead of a Python dict per record. Text that repeats (a department's name) is coded the same way; text that is
mostly distinct (identifiers, descriptions) is kept as Arrow string arrays.
Records (``Ledger.records``) are built on demand, one at a time, for the rows a report cites.

``ColumnsBuilder`` turns raw cells into such columns and reports bad cells exactly as the cell-by-cell reader did:
every distinct raw value of a column is parsed once by the parsers in ``evidence.values`` and judged once (bad
value, empty required cell, negative number, implausible year, value outside an enumeration); every row holding
a bad distinct value gets the problem, with its own row number, in row order.
"""

from __future__ import annotations

import datetime as dt
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from engine.errors import Problem


class _Numpy:
    """numpy, imported when first used (``scorecard --help`` and commands that read no ledger never pay for it)."""

    def __getattr__(self, name: str):
        import numpy

        value = getattr(numpy, name)
        setattr(self, name, value)  # looked up once: the next use finds it on the instance
        return value


np = _Numpy()

MAX_CELL = 32767  # Excel's own limit for one cell
TEXT_STRIP = " \t\r\n\u3000\xa0"  # what evidence.values.clean_text strips from a text cell
# str.strip()'s blanks (none above U+3000; ``test_py_space_is_what_str_strip_strips`` checks the list)
PY_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
            "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_NULL = -1


_POOL_SET = False


class _NoPandas:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            raise ModuleNotFoundError("the intake does not use pandas")
        return None


_NO_PANDAS = _NoPandas()


class Compute:
    """The Arrow compute functions the intake and the evaluation use, each a direct ``call_function`` with the options
    ``pyarrow.compute``'s wrapper would build. Importing ``pyarrow.compute`` itself wraps all ~290 functions and
    scrapes their docstrings: ~20 ms of every command that reads a ledger (a unit's whole ``score`` is ~0.4 s)."""

    def __init__(self, pa, compute) -> None:
        self._pa, self._c = pa, compute
        self._call = compute.call_function

    def _scalar(self, value, values):
        pa = self._pa
        if not isinstance(value, (pa.Array, pa.ChunkedArray, pa.Scalar)):
            return pa.scalar(value, type=values.type)
        if isinstance(value, pa.Scalar) and value.type != values.type:
            return pa.scalar(value.as_py(), type=values.type)
        return value

    def fill_null(self, values, fill_value):
        return self._call("coalesce", [values, self._scalar(fill_value, values)])

    def index(self, data, value):
        return self._call("index", [data], self._c.IndexOptions(value=self._scalar(value, data)))

    def take(self, data, indices):
        return self._call("take", [data, indices], self._c.TakeOptions(boundscheck=True))

    def dictionary_encode(self, values, null_encoding: str = "mask"):
        return self._call("dictionary_encode", [values], self._c.DictionaryEncodeOptions(null_encoding=null_encoding))

    def index_in(self, values, value_set):
        return self._call("index_in", [values], self._c.SetLookupOptions(value_set=value_set))

    def utf8_trim(self, strings, characters: str):
        return self._call("utf8_trim", [strings], self._c.TrimOptions(characters=characters))

    def __getattr__(self, name: str):  # max, unique, filter, is_null, equal, if_else, binary_length, utf8_length ...
        if name.startswith("_"):
            raise AttributeError(name)
        call = self._call

        def function(*args):
            return call(name, list(args))

        setattr(self, name, function)  # made once: the next use finds it on the instance
        return function


_COMPUTE: Compute | None = None


def arrow():
    """pyarrow and its compute functions (``Compute``), imported on first use (with the jemalloc pool where
    available)."""
    global _POOL_SET, _COMPUTE
    import pyarrow as pa
    from pyarrow import _compute

    if _COMPUTE is None:
        _COMPUTE = Compute(pa, _compute)
    pc = _COMPUTE

    if not _POOL_SET:
        _POOL_SET = True
        if "pandas" not in sys.modules:  # pyarrow would import pandas (if installed) on its first conversion: ~0.5 s
            sys.meta_path.insert(0, _NO_PANDAS)  # that one try finds none; pandas stays importable for others
            try:
                pa.array([])
            finally:
                sys.meta_path.remove(_NO_PANDAS)
        try:  # jemalloc hands freed batch memory back to the system: measured W2 intake peak 365 MB vs 461 MB (mimalloc)
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except (NotImplementedError, AttributeError):
            pass
        if sys.platform.startswith("linux"):
            # glibc keeps freed blocks of the file's read buffers and of numpy's per-batch arrays in its heap once
            # it has seen a block that size freed (its threshold moves up); with the threshold fixed at 1 MB they are
            # mapped and handed back when freed. Measured: W2 score peak 300-311 MB -> 239-250 MB, W4 load
            # 1,236 MB -> 1,168 MB, system CPU time unchanged (2026-12-01, load average ~7).
            try:
                import ctypes

                ctypes.CDLL(None).mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
            except (OSError, AttributeError):
                pass
    return pa, pc


def from_numpy(values):
    """A 1-D numpy array of numbers or booleans as an Arrow array (numbers without a copy where contiguous).
    ``pa.array`` on a numpy array first asks whether it is a masked array, which makes numpy import numpy.ma:
    7 ms of every run that reads a ledger with Arrow."""
    pa, pc = arrow()
    values = np.ascontiguousarray(values)
    if values.dtype == np.bool_:
        return pc.not_equal(from_numpy(values.view(np.uint8)), pa.scalar(0, pa.uint8()))
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


def _code_type(distinct: int):
    return np.uint8 if distinct <= 0xFF else np.uint16 if distinct <= 0xFFFF else np.uint32


def _narrow(codes: np.ndarray, distinct: int) -> np.ndarray:
    return codes.astype(_code_type(distinct), copy=False)


class NotColumnar(Exception):
    """The file needs the cell-by-cell reader (quotes, blank lines, another encoding, an over-long cell ...): it
    reports the problem with its exact location, or reads what the columnar reader does not."""


class EncodedColumn:
    """Distinct parsed values and a code per row (``values[codes[i]]``; None is one of the values)."""

    __slots__ = ("values", "codes", "_objects")

    def __init__(self, values: list, codes: np.ndarray):
        self.values = values
        self.codes = _narrow(codes, len(values))
        self._objects = None

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, index: int) -> Any:
        return self.values[self.codes[index]]

    def objects(self) -> np.ndarray:
        if self._objects is None:
            out = np.empty(len(self.values), dtype=object)
            out[:] = self.values
            self._objects = out
        return self._objects

    def to_list(self) -> list:
        return self.objects()[self.codes].tolist() if len(self.codes) else []

    def take(self, indices: np.ndarray) -> EncodedColumn:
        return EncodedColumn(self.values, self.codes[indices])

    def encoded(self) -> tuple[list, np.ndarray]:
        return self.values, self.codes

    def __getstate__(self):
        return {"values": self.values, "codes": self.codes}

    def __setstate__(self, state):
        self.values, self.codes, self._objects = state["values"], state["codes"], None


class TextColumn:
    """A free-text column (identifiers, names, descriptions): an Arrow string array, null for an empty cell."""

    __slots__ = ("array", "_encoded")

    def __init__(self, chunks):
        pa, _ = arrow()
        self.array = (pa.chunked_array(chunks, type=None if chunks else pa.string()) if isinstance(chunks, list)
                      else chunks)
        self._encoded = None

    def __len__(self) -> int:
        return len(self.array)

    def get(self, index: int) -> Any:
        return self.array[index].as_py()

    def to_list(self) -> list:
        return self.array.to_pylist()

    def take(self, indices: np.ndarray) -> TextColumn:
        return TextColumn(self.array.take(indices))

    def encoded(self) -> tuple[list, np.ndarray]:
        if self._encoded is None:
            values, codes = _dictionary(self.array)
            self._encoded = (values.to_pylist(), _narrow(codes, len(values)))
        return self._encoded

    def __getstate__(self):
        return {"array": self.array}

    def __setstate__(self, state):
        self.array, self._encoded = state["array"], None


Column = EncodedColumn | TextColumn


def _dictionary(chunked, null_value: str | None = None):
    """(distinct values as an Arrow array, a uint32 code per row) of an Arrow string column, chunk by chunk (the
    chunks share one dictionary: the column is never copied whole). Nulls get the code of None appended to the
    distinct values, or with ``null_value`` the code of that text."""
    pa, pc = arrow()
    enc = pc.dictionary_encode(chunked, null_encoding="mask")
    chunks = [c for c in enc.chunks if len(c)]
    values = chunks[0].dictionary if chunks else pa.array([], type=pa.string())
    codes = np.concatenate([pc.fill_null(c.indices, pa.scalar(-1, c.indices.type)).to_numpy(zero_copy_only=False)
                            for c in chunks]) if chunks \
        else np.zeros(0, dtype=np.int32)
    codes = codes.astype(np.int64)
    nulls = codes < 0
    if nulls.any():
        where = pc.index(values, pa.scalar(null_value, values.type)).as_py() if null_value is not None else -1
        if where < 0:
            values = pa.concat_arrays([values, pa.array([null_value], type=values.type)])
            where = len(values) - 1
        codes[nulls] = where
    return values, codes.astype(np.uint32)


class RowNumbers(Sequence):
    """Row numbers in the source file, 4 bytes each (a list of a million Python ints costs 36 MB)."""

    def __init__(self, numbers=()):
        self._a = numbers if isinstance(numbers, array) else array("I", numbers)

    def __len__(self) -> int:
        return len(self._a)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(self._a[index])
        return self._a[index]

    def __iter__(self):
        return iter(self._a)

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, (Sequence, array)) else NotImplemented

    def __repr__(self) -> str:
        return f"RowNumbers({list(self._a[:10])}{'…' if len(self._a) > 10 else ''})"


class Records(Sequence):
    """The typed records of a columnar ledger, each built when asked for (a dict of the non-empty fields).

    Iterating builds every record, one after the other (kept by nobody): fine for small ledgers; large ones are read
    through ``Ledger.column`` and ``Ledger.encoded`` instead.
    """

    def __init__(self, columns: dict[str, Column], length: int):
        self._columns = columns
        self._length = length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        out = {}
        for name, col in self._columns.items():
            value = col.get(index)
            if value is not None:
                out[name] = value
        return out

    def __iter__(self) -> Iterator[dict]:
        names = list(self._columns)
        lists = [self._columns[n].to_list() for n in names]
        for values in zip(*lists) if lists else (() for _ in range(self._length)):
            yield {n: v for n, v in zip(names, values) if v is not None}

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return f"Records({self._length} 条)"


# ------------------------------------------------------------------------------------------------ building


class Verdict:
    """What one distinct raw value of a column turned into: a value, or a problem (without its row)."""

    __slots__ = ("ok", "value", "problem")

    def __init__(self, ok: bool, value: Any = None, problem: dict | None = None):
        self.ok, self.value, self.problem = ok, value, problem


class FieldSpec:
    """One mapped column: its position in the source, its field, and how a raw cell is judged."""

    def __init__(self, index: int, name: str, fd, judge: Callable[[Any], Verdict], text: bool, expected: str):
        self.index, self.name, self.fd, self.judge, self.text, self.expected = index, name, fd, judge, text, expected


def _hashable_key(raw: Any):
    """Raw cells that are the same value of the same type share one verdict; anything else is judged alone."""
    if raw is None or type(raw) in (str, int, float, bool):
        return (type(raw), raw)
    if type(raw) in (dt.date, dt.time) or (type(raw) is dt.datetime and raw.tzinfo is None):
        return (type(raw), raw)
    return None


TEXT_CODES = 1 << 16  # a text column with more distinct values is held as Arrow strings, with fewer as codes
TEXT_BATCH = 64  # ... and so is one with more than this many, and more than one in eight, distinct values in a batch


class _FieldAcc:
    """Accumulates one field across batches: global distinct verdicts and the kept rows' codes (or text chunks).

    A text field (``spec.text``) other than the record id starts as codes too, like every other field (a department's
    name repeats on every row); it turns into Arrow strings once a batch shows it is mostly distinct (a description)
    or it holds more than ``TEXT_CODES`` distinct values. Either way the kept rows get the same value (``parse_str``'s) and problems."""

    def __init__(self, spec: FieldSpec):
        self.spec = spec
        self.memo: dict[Any, int] = {}
        self.verdicts: list[Verdict] = []
        self.values: list = []  # parsed value per verdict (None for a bad one: never referenced by a kept row)
        self.chunks: list = []  # codes (arrays on pages, see ``put``) or Arrow string arrays
        self.page = None  # codes are copied onto pages of PAGE rows: freed whole once the column is joined
        self.fill = 0
        self.as_text = False  # chunks are Arrow string arrays
        self.raws: list = []  # the raw cell of each verdict
        self.flags: list[tuple[bool, bool]] = []  # (bad, blank) of each verdict
        self._cache: dict[str, tuple[int, Any]] = {}

    def intern(self, raw: Any) -> int:
        key = _hashable_key(raw)
        if key is not None:
            code = self.memo.get(key)
            if code is not None:
                return code
        code = len(self.verdicts)
        verdict = self.spec.judge(raw)
        self.verdicts.append(verdict)
        self.values.append(verdict.value if verdict.ok else None)
        self.raws.append(raw)
        self.flags.append((not verdict.ok, raw is None or (type(raw) is str and not raw.strip())))
        if key is not None:
            self.memo[key] = code
        return code

    def _cached(self, name: str, make: Callable[[], Any]) -> Any:
        have = self._cache.get(name)
        if have is None or have[0] != len(self.verdicts):
            have = self._cache[name] = (len(self.verdicts), make())
        return have[1]

    def bad(self) -> np.ndarray:
        """Whether each verdict is a problem."""
        return self._cached("bad", lambda: np.fromiter((f[0] for f in self.flags), dtype=bool, count=len(self.flags)))

    def blank(self) -> np.ndarray:
        """Whether each verdict's raw cell is blank (``str.strip()`` leaves nothing: the row may be skipped)."""
        return self._cached("blank", lambda: np.fromiter((f[1] for f in self.flags), dtype=bool, count=len(self.flags)))

    def known(self):
        """The raw cells judged so far, as an Arrow string array (a verdict's code is its place here)."""
        pa, _ = arrow()
        return self._cached("known", lambda: pa.array(self.raws, type=pa.string()))

    def put(self, codes: np.ndarray) -> None:
        """Keep a batch's codes, as narrow as the distinct values so far allow (joined at the end in the widest)."""
        dtype = _code_type(len(self.verdicts))
        if self.page is None or self.page.dtype != dtype or self.fill + len(codes) > len(self.page):
            self._turn_page()
            self.page = np.empty(max(PAGE, len(codes)), dtype=dtype)
        self.page[self.fill:self.fill + len(codes)] = codes  # narrowed as copied (every code fits)
        self.fill += len(codes)

    def _turn_page(self) -> None:
        if self.page is not None and self.fill:
            self.chunks.append(self.page[:self.fill])
        self.page, self.fill = None, 0

    def to_text(self) -> None:
        """Codes so far to Arrow strings (the parsed values: text, or null where empty); text from now on."""
        pa, _ = arrow()
        self._turn_page()
        values = pa.array(self.values, type=pa.string())
        self.chunks = [values.take(from_numpy(c)) for c in self.chunks]
        self.memo, self.verdicts, self.values, self.raws, self.flags, self.as_text = {}, [], [], [], [], True
        self._cache = {}

    def finish(self) -> Column:
        if self.as_text:
            return TextColumn(self.chunks)
        self._turn_page()
        codes = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.uint32)
        self.chunks = []  # the pages go back to the system before the next column is joined
        return EncodedColumn(self.values, codes)


def _lookup(chars: str, at: int) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[[c.encode()[at] for c in chars]] = True
    return table


_EDGES: list = []  # lazily: (first-byte table, last-byte table) of TEXT_STRIP


def _untrimmed(arr):
    """The byte length of every cell of an Arrow string array (no nulls) when no cell starts or ends with a character
    ``clean_text`` strips (each cell is then its own value: itself, or empty); None when some cell may."""
    pa, _ = arrow()
    if arr.type != pa.string() or arr.null_count:
        return None
    if not _EDGES:
        _EDGES.extend([_lookup(TEXT_STRIP, 0), _lookup(TEXT_STRIP, -1)])
    head, tail = _EDGES
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    lens = np.diff(offsets)
    full = np.flatnonzero(lens)
    if not len(full):
        return lens
    data = np.frombuffer(bufs[2], dtype=np.uint8)
    top = len(data) - 1
    starts, ends = offsets[full], offsets[full + 1]
    for pos, table, at_end in ((starts, head, False), (ends - 1, tail, True)):
        edge = data[pos]
        hits = np.flatnonzero(table[edge])  # cells whose first (last) byte is that of a stripped character
        if not len(hits):
            continue
        pos = pos[hits]
        for ch in TEXT_STRIP:  # is it the whole character?
            enc = ch.encode()
            match = np.ones(len(pos), dtype=bool)
            for j, byte in enumerate(enc):
                at = pos - (len(enc) - 1) + j if at_end else pos + j
                match &= data[np.clip(at, 0, top)] == byte
            if match.any():
                return None
    return lens


PAGE = 1 << 20  # codes per page (a page of 1 MB or more is mapped: given back to the system when freed)
KNOWN_LOOKUP = 4096  # up to this many distinct values, a batch's cells are looked up among them by Arrow


def _decoded(values) -> list:
    """An Arrow string array's values as Python strings (the columnar reader leaves UTF-8 unchecked in the columns it
    holds as codes: a cell that is not UTF-8 sends the file to the cell-by-cell reader)."""
    try:
        return values.to_pylist()
    except UnicodeDecodeError:
        raise NotColumnar from None


def _batch_codes(acc: _FieldAcc, col, n: int):
    """The code of each cell of an Arrow string column (every distinct new value judged once, in order of first
    appearance), or None when the field turns out to be free text (``_FieldAcc.to_text``)."""
    pa, pc = arrow()
    if not col.null_count and acc.verdicts and len(acc.verdicts) <= KNOWN_LOOKUP:
        found = pc.index_in(col, value_set=acc.known())  # the values seen before: their codes, at C speed
        if not found.null_count:
            return found.to_numpy()
        new = _decoded(pc.unique(pc.filter(col, pc.is_null(found))))
        if acc.spec.text and (len(new) > max(TEXT_BATCH, n // 8) or len(acc.verdicts) + len(new) > TEXT_CODES):
            acc.to_text()  # identifiers, names, descriptions: mostly distinct
            return None
        for raw in new:
            acc.intern(raw)
        return pc.index_in(col, value_set=acc.known()).to_numpy(zero_copy_only=False)
    enc = pc.dictionary_encode(col, null_encoding="encode")
    if acc.spec.text and (len(enc.dictionary) > max(TEXT_BATCH, n // 8)
                          or len(acc.verdicts) + len(enc.dictionary) > TEXT_CODES):
        acc.to_text()
        return None
    raws = _decoded(enc.dictionary)
    local = np.fromiter((acc.intern(raw) for raw in raws), dtype=np.uint32, count=len(raws))
    return local[enc.indices.to_numpy(zero_copy_only=False)] if len(local) else np.zeros(n, dtype=np.uint32)


class ColumnsBuilder:
    """Validate and keep a ledger's rows batch by batch (rows in file order)."""

    def __init__(self, specs: list[FieldSpec], id_field: str, id_title: str, rel: str, sheet: str | None):
        self.specs = specs
        self.accs = [_FieldAcc(s) for s in specs]
        self.id_field, self.id_title = id_field, id_title
        for acc in self.accs:
            acc.as_text = acc.spec.text and acc.spec.name == id_field  # identifiers: Arrow strings from the start
        self.rel, self.sheet = rel, sheet
        self.found: list[tuple[int, int, Problem]] = []  # (row, column position, problem)
        self.lines: list[np.ndarray] = []
        self.kept = 0
        # 64-bit hashes of a text record id, one array per batch (``_text_repeats``): hashed batch by batch, while
        # the next batch is being decoded, instead of all at the end
        self.id_hashes: list[np.ndarray] = []

    # -- python rows (workbooks, YAML/JSON, CSV files the columnar reader does not take) --

    def add_rows(self, rows: list[tuple[int, list[Any]]]) -> None:
        if not rows:
            return
        lines = np.fromiter((line for line, _ in rows), dtype=np.int64, count=len(rows))
        per_field = []
        for acc in self.accs:
            i = acc.spec.index
            intern = acc.intern
            codes = np.fromiter((intern(cells[i] if i < len(cells) else None) for _, cells in rows), dtype=np.uint32,
                                count=len(rows))
            per_field.append(codes)
        self._keep(lines, per_field, [None] * len(self.accs))

    # -- Arrow batches (the columnar CSV reader) --

    def add_batch(self, columns: list, first_line: int) -> None:
        """``columns``: a batch's Arrow string columns, one per header cell; row k is line first_line + k. A row whose
        every cell is blank is skipped."""
        pa, pc = arrow()
        n = len(columns[0]) if columns else 0
        if n == 0:
            return
        per_field, texts = [], []
        cand = None  # rows blank in every column looked at so far
        tested: set[int] = set()
        for acc in self.accs:
            col = columns[acc.spec.index]
            codes = None if acc.as_text else _batch_codes(acc, col, n)
            if codes is None:
                per_field.append(None)
                texts.append(col)
                continue
            per_field.append(codes)
            texts.append(None)
            if cand is None or len(cand):  # the blank-row test, on the distinct values
                blank = acc.blank()
                if not blank.any():
                    cand = np.zeros(0, dtype=np.intp)
                else:
                    cand = np.flatnonzero(blank[codes]) if cand is None else cand[blank[codes[cand]]]
                tested.add(acc.spec.index)
        for index, col in enumerate(columns):  # then the other columns, only for the rows still blank
            if index in tested:
                continue
            if cand is not None and not len(cand):
                break
            sub = col if cand is None else col.take(from_numpy(cand))
            blank = pc.equal(pc.utf8_trim(sub, PY_SPACE), pa.scalar("", sub.type))
            flags = pc.fill_null(blank, pa.scalar(True)).to_numpy(zero_copy_only=False)
            cand = np.flatnonzero(flags) if cand is None else cand[flags]
        lines = np.arange(first_line, first_line + n, dtype=np.uint32)
        if cand is not None and len(cand):
            keep_rows = np.ones(n, dtype=bool)
            keep_rows[cand] = False
            sel = np.flatnonzero(keep_rows)
            lines = lines[sel]
            per_field = [None if c is None else c[sel] for c in per_field]
            texts = [None if t is None else t.take(from_numpy(sel)) for t in texts]
        self._keep(lines, per_field, texts)

    def _text(self, pos: int, spec: FieldSpec, text, lines: np.ndarray, bad: np.ndarray):
        """An Arrow text column's values (parse_str's, vectorised: surrounding blanks stripped, empty to null), its
        problems (over-long, required and empty) recorded and its bad rows marked."""
        pa, pc = arrow()
        found = self.found
        if not isinstance(text, pa.Array):
            text = text.combine_chunks() if hasattr(text, "combine_chunks") else text
        lens = _untrimmed(text)
        longest = int(lens.max()) if lens is not None and len(lens) else None
        if longest is None:
            longest = pc.max(pc.binary_length(text)).as_py() or 0
        too_long = np.zeros(len(text), dtype=bool)
        if longest > MAX_CELL:  # bytes bound the characters
            lengths = pc.utf8_length(text)
            lengths = pc.fill_null(lengths, pa.scalar(0, lengths.type)).to_numpy(zero_copy_only=False)
            too_long = lengths > MAX_CELL
        if lens is not None:  # no cell to trim: empty cells are the nulls
            empty = lens == 0
            value = text
            if empty.any():
                value = pc.if_else(from_numpy(empty), pa.scalar(None, pa.string()), text)
        else:
            trimmed = pc.utf8_trim(text, TEXT_STRIP)
            empty_arr = pc.fill_null(pc.equal(trimmed, pa.scalar("", trimmed.type)), pa.scalar(True))
            value = pc.if_else(empty_arr, pa.scalar(None, pa.string()), trimmed)
            empty = empty_arr.to_numpy(zero_copy_only=False)
        empty = empty & ~too_long
        for k in np.flatnonzero(too_long):
            raw = text[int(k)].as_py()
            found.append((int(lines[k]), pos, Problem(
                self.rel, f"单元格内容过长({len(raw)} 个字符)", row=int(lines[k]), column=spec.fd.title,
                sheet=self.sheet, value=raw[:40] + "……", expected=f"不超过 {MAX_CELL} 个字符", code="cell_too_long")))
        bad |= too_long
        if spec.fd.required:
            for k in np.flatnonzero(empty):
                found.append((int(lines[k]), pos, Problem(self.rel, "必填字段为空", row=int(lines[k]),
                                                          column=spec.fd.title, sheet=self.sheet,
                                                          expected=spec.expected, code="required")))
            bad |= empty
        return value

    def _keep(self, lines: np.ndarray, per_field: list, texts: list) -> None:
        bad = np.zeros(len(lines), dtype=bool)
        found = self.found
        text_values = []
        for pos, (acc, codes, text) in enumerate(zip(self.accs, per_field, texts)):
            if text is not None:  # an Arrow text column: parsed and judged vectorised (the same rules as parse_str)
                text_values.append(self._text(pos, acc.spec, text, lines, bad))
                continue
            text_values.append(None)
            flags = acc.bad()
            if not flags.any():
                continue
            row_bad = flags[codes]
            for k in np.flatnonzero(row_bad):
                problem = acc.verdicts[codes[k]].problem
                line = int(lines[k])
                found.append((line, pos, Problem(self.rel, row=line, sheet=self.sheet, **problem)))
            bad |= row_bad
        if bad.any():
            sel = np.flatnonzero(~bad)
            lines = lines[sel]
            per_field = [None if c is None else c[sel] for c in per_field]
            if any(t is not None for t in text_values):
                pa, pc = arrow()
                idx = from_numpy(sel)
                text_values = [None if t is None else pc.take(t, idx) for t in text_values]
        for acc, codes, text in zip(self.accs, per_field, text_values):
            if text is not None:
                chunk = text.combine_chunks() if hasattr(text, "combine_chunks") else text
                acc.chunks.append(chunk)
                if acc.spec.name == self.id_field:
                    self.id_hashes.append(_hash_text(chunk))
            else:  # as narrow as the distinct values so far allow (concatenation widens to the widest at the end)
                acc.put(codes)
        self.lines.append(lines.astype(np.uint32, copy=False))
        self.kept += len(lines)

    def finish(self) -> tuple[dict[str, Column], RowNumbers, list[Problem]]:
        columns = {acc.spec.name: acc.finish() for acc in self.accs}
        rows = _row_numbers(self.lines)
        self.lines = []
        found = self.found
        id_col = columns.get(self.id_field)
        if self.kept:
            # The record id as the cell-by-cell reader compared it: str() of the parsed value, "None" when empty.
            if id_col is None:
                repeats = [(k, 0, "None") for k in range(1, self.kept)]
            elif isinstance(id_col, TextColumn):
                repeats = _text_repeats(id_col.array, self.id_hashes)
                self.id_hashes = []
            else:
                values, codes = id_col.encoded()
                texts = ["None" if v is None else str(v) for v in values]
                by_text: dict[str, int] = {}
                remap = np.fromiter((by_text.setdefault(t, len(by_text)) for t in texts), dtype=np.int64, count=len(texts))
                shown = list(by_text)
                repeats = [(k, first, shown[key]) for k, first, key in _repeats(remap[codes])]
            pos = len(self.accs)
            for k, first, value in repeats:
                line = rows[k]
                found.append((line, pos, Problem(self.rel, f"编号重复(与第{rows[first]}行相同)", row=line,
                                                 column=self.id_title, value=value, sheet=self.sheet, severity="warning",
                                                 code="duplicate_id")))
        found.sort(key=lambda t: (t[0], t[1]))
        return columns, rows, [p for _, _, p in found]


def _row_numbers(lines: list) -> RowNumbers:
    """The kept rows' numbers, 4 bytes each, copied once from the batches' arrays."""
    out = array("I")
    for chunk in lines:
        out.frombytes(chunk.astype(np.uint32, copy=False).tobytes())
    return RowNumbers(out)


def _repeats(keys: np.ndarray) -> list[tuple[int, int, int]]:
    """(position, position of the first with the same key, key) of every key seen before, in position order."""
    if len(keys) < 2:
        return []
    order = np.argsort(keys, kind="stable")  # equal keys in position order
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return []
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    first = order[np.repeat(starts, np.diff(np.append(starts, len(ordered))))]
    rep = np.flatnonzero(np.concatenate(([False], same)))
    out = sorted(zip(order[rep].tolist(), first[rep].tolist(), ordered[rep].tolist()))
    return out


_MIX: list = []


def _hash_text(arr) -> np.ndarray:
    """A 64-bit hash of each cell of an Arrow string array (null hashed as "None"), eight bytes at a time."""
    pa, pc = arrow()
    if arr.null_count:
        arr = pc.fill_null(arr, pa.scalar("None", arr.type))
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    if not _MIX:
        _MIX.extend([np.array([(1 << (8 * i)) - 1 for i in range(8)] + [(1 << 64) - 1], dtype=np.uint64),
                     np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0xFF51AFD7ED558CCD),
                     np.uint64(0xC4CEB9FE1A85EC53), np.uint64(31), np.uint64(33)])
    mask, k0, k1, k2, k3, s31, s33 = _MIX
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, dtype=np.uint8)
    padded = np.zeros(len(data) + 8, dtype=np.uint8)
    padded[:len(data)] = data
    words = np.lib.stride_tricks.as_strided(padded, shape=(len(data) + 1, 8), strides=(1, 1))  # 8 bytes from each
    starts = offsets[:-1].astype(np.int64)
    lens = np.diff(offsets).astype(np.int64)
    h = lens.astype(np.uint64) * k0 + k1
    active = np.arange(len(arr))
    step = 0
    while len(active):
        x = words[starts[active] + step].view(np.uint64).ravel() & mask[np.minimum(lens[active] - step, 8)]
        x ^= h[active]
        x *= k2
        x ^= x >> s31
        h[active] = x
        step += 8
        active = active[lens[active] > step]
    h ^= h >> s33
    h *= k2
    h ^= h >> s33
    h *= k3
    h ^= h >> s33
    return h


def _text_repeats(chunked, hashed: list[np.ndarray]) -> list[tuple[int, int, str]]:
    """``_repeats`` of a text column by its text: rows are told apart by a 64-bit hash of their text (``hashed``: the
    hashes of the column's chunks, in order); only the rows whose hash is not unique (a repeat, or a rare collision)
    are compared as text."""
    pa, _ = arrow()
    ordered = np.concatenate(hashed) if hashed else np.zeros(0, dtype=np.uint64)
    ordered.sort()  # in place: one array of 8 bytes a row
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return []
    repeated = np.unique(ordered[1:][same])
    del ordered, same
    suspects, at = [], 0
    for chunk in hashed:
        suspects.append(np.flatnonzero(np.isin(chunk, repeated)) + at)
        at += len(chunk)
    suspects = np.concatenate(suspects)
    texts = chunked.take(from_numpy(suspects)).to_pylist()
    first: dict[str, int] = {}
    out = []
    for k, text in zip(suspects.tolist(), texts):
        text = "None" if text is None else text
        seen = first.setdefault(text, k)
        if seen != k:
            out.append((k, seen, text))
    return out
