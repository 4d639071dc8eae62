"""Ledgers held as columns: each field's distinct values once, and a small integer code per row.

A million-row enforcement ledger repeats a few hundred dates and a handful of yes/no and category values in each
column: stored as a code per row (1, 2 or 4 bytes) plus the distinct parsed values, it costs a few MB a column
instead of a Python dict per record. Free-text columns (identifiers, names) are kept as Arrow string arrays.
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

        return getattr(numpy, name)


np = _Numpy()

MAX_CELL = 32767  # Excel's own limit for one cell
TEXT_STRIP = " \t\r\n\u3000\xa0"  # what evidence.values.clean_text strips from a text cell
PY_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())  # str.strip()'s blanks (none above U+3000)
_NULL = -1


_POOL_SET = False


class _NoPandas:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            raise ModuleNotFoundError("the intake does not use pandas")
        return None


_NO_PANDAS = _NoPandas()


def arrow():
    """pyarrow and pyarrow.compute, imported on first use (with the jemalloc pool where available)."""
    global _POOL_SET
    import pyarrow as pa
    import pyarrow.compute as pc

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
    return pa, pc


def _narrow(codes: np.ndarray, distinct: int) -> np.ndarray:
    dtype = np.uint8 if distinct <= 0xFF else np.uint16 if distinct <= 0xFFFF else np.uint32
    return codes.astype(dtype, copy=False)


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


class _FieldAcc:
    """Accumulates one field across batches: global distinct verdicts and the kept rows' codes (or text chunks)."""

    def __init__(self, spec: FieldSpec):
        self.spec = spec
        self.memo: dict[Any, int] = {}
        self.verdicts: list[Verdict] = []
        self.values: list = []  # parsed value per verdict (None for a bad one: never referenced by a kept row)
        self.chunks: list = []

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
        if key is not None:
            self.memo[key] = code
        return code

    def finish(self) -> Column:
        if self.spec.text:
            return TextColumn(self.chunks)
        codes = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.uint32)
        return EncodedColumn(self.values, codes)


class ColumnsBuilder:
    """Validate and keep a ledger's rows batch by batch (rows in file order)."""

    def __init__(self, specs: list[FieldSpec], id_field: str, id_title: str, rel: str, sheet: str | None):
        self.specs = specs
        self.accs = [_FieldAcc(s) for s in specs]
        self.id_field, self.id_title = id_field, id_title
        self.rel, self.sheet = rel, sheet
        self.found: list[tuple[int, int, Problem]] = []  # (row, column position, problem)
        self.lines: list[np.ndarray] = []
        self.kept = 0

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

    def add_batch(self, batch, first_line: int, blank_from: list) -> None:
        """``batch``: an Arrow record batch of string columns (one per header cell); row k is line first_line + k.
        ``blank_from``: the batch's columns, for the blank-row test (a row whose every cell is blank is skipped)."""
        pa, pc = arrow()
        n = batch.num_rows
        if n == 0:
            return
        # A row is blank (skipped) when every cell is blank: test the first column, then only the rows still blank.
        cand = None
        for col in blank_from:
            sub = col if cand is None else col.take(pa.array(cand))
            blank = pc.equal(pc.utf8_trim(sub, PY_SPACE), pa.scalar("", sub.type))
            flags = pc.fill_null(blank, pa.scalar(True)).to_numpy(zero_copy_only=False)
            cand = np.flatnonzero(flags) if cand is None else cand[flags]
            if not len(cand):
                break
        keep_rows = np.ones(n, dtype=bool)
        if cand is not None and len(cand):
            keep_rows[cand] = False
        lines = np.arange(first_line, first_line + n, dtype=np.uint32)
        per_field, texts = [], []
        for acc in self.accs:
            col = batch.column(acc.spec.index)
            if acc.spec.text:
                per_field.append(None)
                texts.append(col)
                continue
            enc = pc.dictionary_encode(col, null_encoding="encode")
            local = np.fromiter((acc.intern(raw) for raw in enc.dictionary.to_pylist()), dtype=np.uint32,
                                count=len(enc.dictionary))
            indices = enc.indices.to_numpy(zero_copy_only=False)
            per_field.append(local[indices] if len(local) else np.zeros(n, dtype=np.uint32))
            texts.append(None)
        if not keep_rows.all():
            sel = np.flatnonzero(keep_rows)
            lines = lines[sel]
            per_field = [None if c is None else c[sel] for c in per_field]
            texts = [None if t is None else t.take(pa.array(sel)) for t in texts]
        self._keep(lines, per_field, texts)

    def _keep(self, lines: np.ndarray, per_field: list, texts: list) -> None:
        bad = np.zeros(len(lines), dtype=bool)
        found = self.found
        text_values = []
        for pos, (acc, codes, text) in enumerate(zip(self.accs, per_field, texts)):
            spec = acc.spec
            if text is not None:  # an Arrow text column: parsed and judged vectorised (the same rules as parse_str)
                pa, pc = arrow()
                too_long = np.zeros(len(text), dtype=bool)
                if (pc.max(pc.binary_length(text)).as_py() or 0) > MAX_CELL:  # bytes bound the characters
                    lengths = pc.utf8_length(text)
                    lengths = pc.fill_null(lengths, pa.scalar(0, lengths.type)).to_numpy(zero_copy_only=False)
                    too_long = lengths > MAX_CELL
                trimmed = pc.utf8_trim(text, TEXT_STRIP)
                empty = pc.fill_null(pc.equal(trimmed, pa.scalar("", trimmed.type)), pa.scalar(True))
                value = pc.if_else(empty, pa.scalar(None, pa.string()), trimmed)
                empty_np = empty.to_numpy(zero_copy_only=False) & ~too_long
                for k in np.flatnonzero(too_long):
                    raw = text[int(k)].as_py()
                    found.append((int(lines[k]), pos, Problem(
                        self.rel, f"单元格内容过长({len(raw)} 个字符)", row=int(lines[k]), column=spec.fd.title,
                        sheet=self.sheet, value=raw[:40] + "……", expected=f"不超过 {MAX_CELL} 个字符", code="cell_too_long")))
                bad |= too_long
                if spec.fd.required:
                    for k in np.flatnonzero(empty_np):
                        found.append((int(lines[k]), pos, Problem(self.rel, "必填字段为空", row=int(lines[k]),
                                                                  column=spec.fd.title, sheet=self.sheet,
                                                                  expected=spec.expected, code="required")))
                    bad |= empty_np
                text_values.append(value)
                continue
            text_values.append(None)
            flags = np.fromiter((not v.ok for v in acc.verdicts), dtype=bool, count=len(acc.verdicts))
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
                idx = pa.array(sel)
                text_values = [None if t is None else pc.take(t, idx) for t in text_values]
        for acc, codes, text in zip(self.accs, per_field, text_values):
            if acc.spec.text:
                acc.chunks.append(text.combine_chunks() if hasattr(text, "combine_chunks") else text)
            else:  # as narrow as the distinct values so far allow (concatenation widens to the widest at the end)
                acc.chunks.append(_narrow(codes, len(acc.verdicts)))
        self.lines.append(lines.astype(np.uint32, copy=False))
        self.kept += len(lines)

    def finish(self) -> tuple[dict[str, Column], RowNumbers, list[Problem]]:
        columns = {acc.spec.name: acc.finish() for acc in self.accs}
        lines = np.concatenate(self.lines) if self.lines else np.zeros(0, dtype=np.uint32)
        rows = RowNumbers(array("I", lines.tobytes()) if len(lines) else array("I"))
        found = self.found
        id_col = columns.get(self.id_field)
        if self.kept:
            # The record id as the cell-by-cell reader compared it: str() of the parsed value, "None" when empty.
            if id_col is None:
                keys, shown = np.zeros(self.kept, dtype=np.int64), ["None"]
            elif isinstance(id_col, TextColumn):
                shown, keys = _dictionary(id_col.array, "None")
            else:
                values, codes = id_col.encoded()
                texts = ["None" if v is None else str(v) for v in values]
                by_text: dict[str, int] = {}
                remap = np.fromiter((by_text.setdefault(t, len(by_text)) for t in texts), dtype=np.int64, count=len(texts))
                keys, shown = remap[codes], list(by_text)
            if len(keys) and np.bincount(keys).max() > 1:
                first_of = np.empty(len(shown), dtype=np.int64)
                first_of[keys[::-1]] = np.arange(self.kept - 1, -1, -1)  # the last write wins: the first occurrence
                pos = len(self.accs)
                for k in np.flatnonzero(first_of[keys] != np.arange(self.kept)):
                    line = int(lines[k])
                    value = shown[int(keys[k])]
                    found.append((line, pos, Problem(self.rel, f"编号重复(与第{int(lines[first_of[keys[k]]])}行相同)", row=line,
                                                     column=self.id_title, value=value if isinstance(value, str) else value.as_py(),
                                                     sheet=self.sheet, severity="warning", code="duplicate_id")))
        found.sort(key=lambda t: (t[0], t[1]))
        return columns, rows, [p for _, _, p in found]
