"""Columnar intake (issue 16): CSV ledgers read by Arrow in batches into columns must give exactly what the
cell-by-cell reader gives — the same typed records, row numbers, problems (message, row, column, value, order) and
SHA-256 — and hand every file it cannot read faithfully back to that reader."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evidence.columns as columns_module
import evidence.package as package_module
from engine.errors import InputError
from evidence.columns import EncodedColumn, TextColumn
from evidence.package import load_package

ROOT = Path(__file__).resolve().parent.parent
HEADER = "案件编号,执法机关,执法类别,执法决定日期,信息公示日期,执法人员人数,是否亮证执法,是否经法制审核"

CELLS = {
    "id": ["EC-1", "EC-2", "EC-2", " EC-3 ", "", "None", "EC-\u30004"],
    "agency": ["县市场监督管理局", "", "  ", "县农业农村局"],
    "category": ["行政许可", "行政处罚", "行政检查", "行政许可 ", "许可", ""],
    "date": ["2021-05-11", "2021年5月12日", "2021/13/01", "", "44330", "2021-05-11 08:00", "abc"],
    "count": ["2", "1人", "-1", "x", "", "3.5", "1e3"],
    "bool": ["是", "否", "√", "maybe", "", " 是 "],
}


@pytest.fixture(autouse=True)
def columnar_for_small_files(monkeypatch):
    """The files here are small: let the columnar reader take them as it takes a large ledger (by default a ledger
    under 64 KB goes to the cell-by-cell reader; ``test_a_small_ledger_is_read_cell_by_cell`` checks that)."""
    monkeypatch.setattr(package_module, "_COLUMNAR_FROM", 0)


def _package(tmp_path: Path, body: str, name: str = "pkg") -> Path:
    pkg = tmp_path / name
    shutil.copytree(ROOT / "examples" / "good-county", pkg)
    (pkg / "ledgers" / "enforcement_cases.csv").write_bytes(body.encode("utf-8"))
    return pkg


def _both(tmp_path: Path, body: str):
    """(columnar, cell-by-cell) results for the same file: the ledger's records, rows, sha and all problems."""
    columnar, cell_by_cell, _ = _run_both(_package(tmp_path, body), body)
    return columnar, cell_by_cell


rows = st.lists(st.tuples(*(st.sampled_from(v) for v in CELLS.values()), st.sampled_from(["是", "否", ""])),
                min_size=0, max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows, blank_every=st.integers(0, 7), crlf=st.booleans())
def test_columnar_and_cell_by_cell_readers_agree(tmp_path_factory, rows, blank_every, crlf):
    tmp_path = tmp_path_factory.mktemp("agree")
    lines = [HEADER]
    for i, r in enumerate(rows):
        lines.append(",".join(r))
        if blank_every and i % blank_every == 0:
            lines.append(",,,,,,,")  # a row of empty cells (not an empty line): skipped, its number kept
    body = ("\r\n" if crlf else "\n").join(lines) + "\n"
    columnar, cell_by_cell = _both(tmp_path, body)
    assert columnar == cell_by_cell


@pytest.mark.parametrize("body", [
    HEADER + '\nEC-1,"县,局",行政许可,2021-05-11,2021-05-12,2,是,是\n',  # a quoted cell
    HEADER + "\n\nEC-1,局,行政许可,2021-05-11,2021-05-12,2,是,是\n",  # an empty line
    HEADER + "\nEC-1,局,行政许可,2021-05-11,2021-05-12,2,是\n",  # a short row
    HEADER + "\nEC-1,局,行政许可,2021-05-11,2021-05-12,2,是,是,多余\n",  # a long row
    HEADER + "\nEC-1,局\x01,行政许可,2021-05-11,2021-05-12,2,是,是\n",  # a control character
    "\ufeff" + HEADER + "\rEC-1,局,行政许可,2021-05-11,2021-05-12,2,是,是\r",  # BOM and old Mac line ends
    HEADER + "\nEC-1," + "长" * 40000 + ",行政许可,2021-05-11,2021-05-12,2,是,是\n",  # a cell over 32,767 characters
])
def test_files_the_columnar_reader_hands_back_read_the_same(tmp_path, body):
    columnar, cell_by_cell = _both(tmp_path, body)
    assert columnar == cell_by_cell


def test_gb18030_file_is_read_and_hashed_as_before(tmp_path):
    body = HEADER + "\nEC-1,县市场监督管理局,行政许可,2021-05-11,2021-05-12,2,是,是\n"
    pkg = _package(tmp_path, "")
    path = pkg / "ledgers" / "enforcement_cases.csv"
    path.write_bytes(body.encode("gb18030"))
    ledger = load_package(pkg, strict=False).ledgers["enforcement_cases"]
    assert ledger.records[0]["agency"] == "县市场监督管理局"
    assert ledger.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_large_ledger_is_held_as_codes_and_text_arrays(tmp_path):
    """Repeated values are stored once per column (1-byte codes here); identifiers as Arrow text; records are built
    on demand and equal the typed values."""
    n = 30_000
    body = HEADER + "\n" + "".join(f"EC-{i},县局{i % 3},行政许可,2021-05-{1 + i % 28:02d},2021-06-01,2,是,{'是' if i % 2 else '否'}\n"
                                    for i in range(n))
    pkg = _package(tmp_path, body)
    ledger = load_package(pkg, strict=False).ledgers["enforcement_cases"]
    assert len(ledger) == n and ledger.rows[0] == 2 and ledger.rows[-1] == n + 1
    assert isinstance(ledger.columns["case_id"], TextColumn)  # mostly distinct: Arrow strings
    assert isinstance(ledger.columns["agency"], EncodedColumn) and ledger.columns["agency"].codes.itemsize == 1  # repeats
    decision = ledger.columns["decision_date"]
    assert isinstance(decision, EncodedColumn) and len(decision.values) == 28 and decision.codes.itemsize == 1
    assert ledger.records[5] == {"case_id": "EC-5", "agency": "县局2", "category": "行政许可",
                                 "decision_date": decision.values[decision.codes[5]], "publicity_date": ledger.records[5]["publicity_date"],
                                 "officers": 2, "certificate_shown": True, "legal_review": True}
    assert ledger.ids()[:3] == ["EC-0", "EC-1", "EC-2"]


def _run_both(pkg: Path, _body: str):
    out = []
    taken = []
    for columnar in (True, False):
        original = package_module._csv_columnar

        def spy(root, path, *args, **kwargs):
            mine = path.name == "enforcement_cases.csv"
            try:
                result = original(root, path, *args, **kwargs)
            except package_module.NotColumnar:
                taken.extend([False] if mine else [])
                raise
            taken.extend([True] if mine else [])
            return result

        def refuse(*args, **kwargs):
            raise package_module.NotColumnar

        package_module._csv_columnar = spy if columnar else refuse
        try:
            try:
                loaded = load_package(pkg, strict=False)
            except InputError as exc:
                out.append(("error", [vars(p) for p in exc.problems]))
                continue
        finally:
            package_module._csv_columnar = original
        ledger = loaded.ledgers.get("enforcement_cases")
        problems = [(p.file, p.message, p.row, p.column, p.value, p.severity, p.code) for p in loaded.problems]
        out.append((list(ledger.records) if ledger else None, list(ledger.rows) if ledger else None,
                    ledger.sha256 if ledger else None, problems, loaded.digest))
    return out[0], out[1], taken


# Raw cells, as bytes: plain values, blanks of every kind, and what must send a file back to the cell-by-cell reader
# (a control byte, a quote, invalid or other-encoded bytes, a cell over the csv module's field size limit).
GOOD_CELLS = [c.encode() for v in CELLS.values() for c in v] + [
    b"", b" ", "\u3000".encode(), "\xa0".encode(), "\u2003".encode(), " \t".encode(), "\u3000EC-9\xa0".encode(),
    "县\u2003局".encode(), "“引号”…".encode(), "\ufeff".encode(), b"\xc2\x85", "\u3000是".encode(), " 2 ".encode(),
    # quoted as Excel quotes a cell holding a comma (a quote inside doubled); any cell may be quoted
    '"县,局"'.encode(), b'"a""b"', b'""', b'""""', b'"2021-05-11"', '"是"'.encode(), b'" EC-7 "', b'","', b'"EC-1"',
]
POOLS = [[c.encode() for c in CELLS[k]] for k in ("id", "agency", "category", "date", "date", "count", "bool", "bool")]
VALID = [[c.encode() for c in column] for column in (
    ["EC-1", "EC-2", " EC-3 ", "EC-3", "None", "EC-\u30004", "\u3000EC-1"], ["县市场监督管理局", "县农业农村局", " 县农业农村局"],
    ["行政许可", "行政处罚", "行政检查"], ["2021-05-11", "2021年5月12日"], ["2021-05-11", ""], ["2", "1人", ""],
    ["是", "否", ""], ["是", "否", ""])]
PADS = [b"", b" ", b"\t", "\u3000".encode(), "\xa0".encode(), "\u2003".encode()]
BAD_CELLS = [b"\x01", b"\x7f", b"\x00", b'"', b'a"b', b"\xe4\xb8", b"\xed\xa0\x80", b"\xff", b"\xc0\xaf",
             "县市场监督管理局".encode("gb18030"),
             # quotes the csv module refuses or reads otherwise: text after the closing quote, an open quote (the
             # cell runs into the next line), a quote after a blank, a quoted cell over two lines
             b'"a"b', b'"a" ', b'"a', b' "a"', b'"a\nb"', b'"a\r\nEC-9,b"']
LONG_CELLS = ["长".encode() * 33000, b"a" * 131_073]
ENDINGS = [b"\n", b"\r\n", b"\r"]


@st.composite
def raw_files(draw):
    width = 8
    header = draw(st.sampled_from([HEADER.encode()] * 6 + [
        HEADER.replace("执法类别,", "").encode(),  # a required column missing: the rows are never read, the bytes still
        HEADER.encode("gb18030"),  # the header in another encoding
        HEADER.encode() + b",\x01",  # a control byte in the header
    ]))
    ending = draw(st.sampled_from(ENDINGS))
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["row"] * 40 + ["empty", "short", "long", "commas", "big", "bad"]))
        if kind == "empty":
            lines.append(b"")
        elif kind == "commas":
            lines.append(b"," * (width - 1))
        else:
            cells = [draw(st.sampled_from(pool)) for pool in (VALID if draw(st.booleans()) else POOLS)]
            for i in range(width):
                odd = draw(st.integers(0, 11))
                if odd == 0:
                    cells[i] = draw(st.sampled_from(GOOD_CELLS))
                elif odd == 1:
                    cells[i] = draw(st.sampled_from(PADS)) + cells[i] + draw(st.sampled_from(PADS))
            if kind in ("big", "bad"):
                cells[draw(st.integers(0, width - 1))] = draw(st.sampled_from(LONG_CELLS if kind == "big" else BAD_CELLS))
            if kind == "short":
                cells = cells[:-1]
            if kind == "long":
                cells.append(b"x")
            lines.append(b",".join(cells))
    body = ending.join([header] + lines)
    if draw(st.booleans()):
        body += ending
    if draw(st.integers(0, 9)) == 0:
        body += ending  # a trailing empty line
    if draw(st.integers(0, 4)) == 0:
        body = b"\xef\xbb\xbf" + body
    return body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=raw_files(), small_reads=st.booleans(), text=st.sampled_from(["codes", "text", "switch"]),
       weak_hash=st.booleans())
def test_any_bytes_read_the_same_by_both_readers(tmp_path_factory, monkeypatch, body, small_reads, text, weak_hash):
    """Whatever the bytes (blank lines, control bytes, quotes, invalid UTF-8 in the middle, GB18030, a BOM, over-long
    cells), the columnar reader gives exactly what the cell-by-cell reader gives, or hands the file to it. With
    small reads every check meets its bytes split across reads (and the batches are small: Arrow reads 64 bytes at
    a time, into reused block buffers, decoded ahead on the helper thread; without, in the caller's thread); text
    columns are held as codes, as Arrow strings, or turn from one into the other between batches; with a weak hash
    every identifier collides with every other and the duplicate check compares them as text."""
    tmp_path = tmp_path_factory.mktemp("bytes")
    pkg = _package(tmp_path, "")
    (pkg / "ledgers" / "enforcement_cases.csv").write_bytes(body)
    with monkeypatch.context() as m:
        if small_reads:
            m.setattr(package_module, "_HEADER_READ", 7)
            m.setattr(package_module, "_BLOCK", 64)
            m.setattr(package_module, "_POOLED_READ", 32)  # the blocks read into reused buffers (not the header)
            m.setattr(package_module, "_AHEAD_FROM", 0)  # small files decoded ahead too (the threaded path)
            m.setattr(columns_module, "PAGE", 5)
        if text == "text":
            m.setattr(columns_module, "TEXT_BATCH", 0)
        if text == "switch":
            m.setattr(columns_module, "TEXT_CODES", 3)
        if weak_hash:
            m.setattr(columns_module, "_hash_text", lambda arr: np.zeros(len(arr), dtype=np.uint64))
        columnar, cell_by_cell, _ = _run_both(pkg, "")
    assert columnar == cell_by_cell


@pytest.mark.parametrize("lines, ending, bom, taken", [
    ([b"EC-1,\xe5\xb1\x80,\xe8\xa1\x8c\xe6\x94\xbf\xe8\xae\xb8\xe5\x8f\xaf,2021-05-11,2021-05-12,2,\xe6\x98\xaf,\xe6\x98\xaf"] * 3,
     b"\r\n", True, True),  # plain rows, CRLF, a BOM: read by Arrow
    ([b"EC-1,a,b,2021-05-11,,,,", b",,,,,,,", b" ,\xe3\x80\x80,,,,,,"], b"\n", False, True),  # rows of blank cells: Arrow
    # cells quoted as Excel quotes them (a comma inside, a quote doubled), CRLF: Arrow
    ([b'EC-1,"a,b",b,2021-05-11,,,,', b'"EC-2","a""b","",2021-05-11,,,,', b'EC-3,",",b,"2021-05-11",,,,'], b"\r\n", False,
     True),
    ([b'EC-1,"a"b,b,2021-05-11,,,,'], b"\n", False, False),  # text after a closing quote: the csv module's error
    ([b'EC-1,a"b,b,2021-05-11,,,,'], b"\n", False, False),  # a quote inside an unquoted cell
    ([b'EC-1,"a', b'b",b,2021-05-11,,,,'], b"\n", False, False),  # a quoted cell over two lines
    ([b'EC-1,a,b,2021-05-11,,,,"'], b"\n", False, False),  # an open quote at the end of the file
    ([b"EC-1,a,b,2021-05-11,,,,", b"", b"EC-2,a,b,2021-05-11,,,,"], b"\r\n", False, False),  # an empty line
    ([b"EC-1,a,b,2021-05-11,,,,", b"EC-2,a,b,2021-05-11,,,,", b""], b"\n", False, False),  # an empty last line
    ([b"EC-1,a,b,2021-05-11,,,,", b"EC-2,\xe4\xb8,b,2021-05-11,,,,"], b"\n", False, False),  # invalid UTF-8, row 3
    # invalid UTF-8 in columns held as codes (a date, yes/no: decoded when first seen) and in a column of no field
    ([b"EC-1,a,b,2021-05-11,,,,"] * 3 + [b"EC-2,a,b,2021-05-\xe4\xb8,,,,"], b"\n", False, False),
    ([b"EC-1,a,b,2021-05-11,,,,\xe6\x98\xaf"] * 3 + [b"EC-2,a,b,2021-05-11,,,,\xe6\x98"], b"\n", False, False),
    ([b"EC-1,a,b,2021-05-11,,,,,x"] * 3 + [b"EC-2,a,b,2021-05-11,,,,,\xff"], b"\n", False, False),
    ([b"EC-1,a,b,2021-05-11,,,,", b"EC-2," + b"a" * 131_073 + b",b,2021-05-11,,,,"], b"\n", False, False),  # over the csv limit
    ([b"EC-1," + "长".encode() * 33000 + b",b,2021-05-11,,,,"], b"\n", False, True),  # over 32,767 characters: Arrow
])
def test_which_files_arrow_reads(tmp_path, lines, ending, bom, taken):
    """The fast checks send exactly the files that need it to the cell-by-cell reader; both agree either way."""
    pkg = _package(tmp_path, "")
    body = (b"\xef\xbb\xbf" if bom else b"") + ending.join([HEADER.encode()] + lines) + ending
    (pkg / "ledgers" / "enforcement_cases.csv").write_bytes(body)
    columnar, cell_by_cell, was_taken = _run_both(pkg, "")
    assert columnar == cell_by_cell
    assert was_taken == [taken]


def test_a_file_handed_back_midway_leaves_the_other_files_hashes_alone(tmp_path):
    """Arrow reads ahead on its own thread: after the columnar read of one file stops (here at row 40, a control
    character), no
    read-ahead may touch the descriptor (reused by the next file opened), so every ledger's SHA-256 stays the file's."""
    rows = [f"EC-{i},局,行政许可,2021-05-11,2021-05-12,2,是,是" for i in range(60)]
    rows[40] = "EC-40,县\x01局,行政许可,2021-05-11,2021-05-12,2,是,是"
    pkg = _package(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    sizes = (package_module._HEADER_READ, package_module._BLOCK, package_module._POOLED_READ)
    package_module._HEADER_READ, package_module._BLOCK, package_module._POOLED_READ = 7, 64, 32
    try:
        for _ in range(30):
            loaded = load_package(pkg, strict=False)
            for ledger in loaded.ledgers.values():
                assert ledger.sha256 == hashlib.sha256((pkg / ledger.file).read_bytes()).hexdigest(), ledger.file
    finally:
        package_module._HEADER_READ, package_module._BLOCK, package_module._POOLED_READ = sizes


def test_block_buffers_are_reused_only_after_arrow_lets_go_and_read_ahead_is_bounded(tmp_path, monkeypatch):
    """Blocks are read into buffers lent to Arrow and used again once it drops them: a thousand blocks take a
    handful of buffers, Arrow never reads more than ``_READ_AHEAD`` blocks ahead of the batches made, and what is
    read is exactly the file (a buffer written while Arrow still held it would change rows)."""
    made, ahead = {}, []  # buffers made by each stream (one per ledger file)
    real_take = package_module._Blocks.take

    def take(self, n):
        made.setdefault(id(self), []).append(not self.free)
        return real_take(self, n)

    real_raw = package_module._CheckedStream._raw
    batches = [0]

    def raw(self, n):
        chunk = real_raw(self, n)
        if n >= package_module._POOLED_READ and len(chunk):
            self.reads += 1
            ahead.append(self.reads - batches[0])  # blocks read, not yet made into batches
        return chunk

    real_counted = package_module._counted

    def counted(reader, stream):
        for batch in real_counted(reader, stream):
            batches[0] += 1
            yield batch

    monkeypatch.setattr(package_module._CheckedStream, "reads", 0, raising=False)
    monkeypatch.setattr(package_module._Blocks, "take", take)
    monkeypatch.setattr(package_module._CheckedStream, "_raw", raw)
    monkeypatch.setattr(package_module, "_counted", counted)
    monkeypatch.setattr(package_module, "_BLOCK", 256)
    monkeypatch.setattr(package_module, "_POOLED_READ", 128)
    monkeypatch.setattr(package_module, "_AHEAD_FROM", 0)
    monkeypatch.setattr(package_module, "_READ_WAIT", 60)  # the bound strictly (a read never goes ahead on a timeout)
    days = [f"2021-{1 + d // 28:02d}-{1 + d % 28:02d}" for d in range(300)]
    body = HEADER + "\n" + "".join(f"EC-{i},县局{i % 7},行政许可,{days[i % 300]},,{i % 5},是,否\n" for i in range(6000))
    columnar, cell_by_cell = _both(tmp_path, body)
    assert columnar == cell_by_cell
    enforcement = max(made.values(), key=len)
    assert len(enforcement) > 900  # blocks read (the first 64 KB come with the header)
    # buffers made: the rest were used again (a block goes back when Arrow's thread drops it, which waits for the
    # interpreter: 12 of ~940 seen with two test runs sharing two cores; one a block without reuse)
    assert sum(enforcement) <= len(enforcement) // 20
    assert max(ahead) <= package_module._READ_AHEAD + 1


def test_a_read_waiting_for_its_turn_returns_when_the_stream_is_shut(tmp_path, monkeypatch):
    """The reader stopped (an error) while Arrow's thread waits to read one more block: shutting the stream lets that
    read return at once, empty (without it the read would wait for ``_READ_WAIT``, here a minute)."""
    import os
    import threading
    import time

    monkeypatch.setattr(package_module, "_READ_WAIT", 60)
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 1000)
    fd = os.open(path, os.O_RDONLY)
    try:
        stream = package_module._CheckedStream(fd, 1 << 30)
        for _ in range(package_module._READ_AHEAD):  # the window is used up: no batch was made
            stream.read(64)
        got = []
        reader = threading.Thread(target=lambda: got.append(stream.read(64)))
        reader.start()
        time.sleep(0.2)
        assert reader.is_alive()  # waiting for its turn
        stream.shut()
        reader.join(10)
        assert not reader.is_alive() and len(got[0]) == 0
    finally:
        os.close(fd)


def test_arrow_has_let_go_of_every_read_when_it_returns(tmp_path, monkeypatch):
    """Arrow reads a ledger through a Python file object on its own I/O thread and drops it from there: a read
    still to come when the interpreter shuts down aborts or hangs the process. So the columnar read does not return
    before Arrow has let go of the file and of every block lent to it — when the file is read, when Arrow finds a
    short row, when the stream finds a control byte while Arrow reads ahead, when a cell is over the field limit on
    the helper thread — even though the error raised keeps the frames (and the reader) it went through."""
    waits = []
    real = package_module._let_go

    def let_go(released, blocks, failure):
        start = time.monotonic()
        done = real(released, blocks, failure)
        waits.append((done, released.is_set(), len(blocks.lent), time.monotonic() - start, type(failure).__name__))
        return done

    monkeypatch.setattr(package_module, "_let_go", let_go)
    monkeypatch.setattr(package_module, "_BLOCK", 1 << 12)
    monkeypatch.setattr(package_module, "_POOLED_READ", 1 << 11)
    rows = [f"EC-{i},县局{i % 7},行政许可,2021-03-{1 + i % 28:02d},,{i % 5},是,否\n" for i in range(4000)]
    bodies = {
        "read": rows,
        "short row": rows[:3] + ["EC-x,局\n"] + rows[3:],
        "control byte": rows[:3000] + ["EC-y,局\x01,行政许可,2021-03-01,,1,是,否\n"] + rows[3000:],
        "over-long cell": rows[:2000] + [f"EC-z,{'局' * 50_000},行政许可,2021-03-01,,1,是,否\n"] + rows[2000:],
    }
    for ahead in (1 << 40, 0):  # read in the caller's thread, then decoded ahead on the helper thread
        monkeypatch.setattr(package_module, "_AHEAD_FROM", ahead)
        for case, body in bodies.items():
            pkg = _package(tmp_path, HEADER + "\n" + "".join(body), f"{case}-{ahead}")
            kept = []
            try:
                columnar = package_module._csv_columnar(pkg, pkg / "ledgers" / "enforcement_cases.csv",
                                                        "ledgers/enforcement_cases.csv",
                                                        package_module.load_ledger_catalog().ledgers[
                                                            "enforcement_cases"], package_module.ReadBudget())
            except package_module.NotColumnar as exc:
                kept.append(exc)  # kept, as a test or a caller may keep it
                columnar = None
            assert (columnar is not None) == (case == "read"), case
            done, released, lent, waited, failure = waits.pop()
            assert done and released and lent == 0, (case, ahead, failure)
            assert waited < 1.0, (case, ahead, waited)
    assert waits == []


def test_a_read_inside_an_error_handler_leaves_that_error_alone(tmp_path):
    """Only an error raised out of the read has its frames cleared: a caller's own error, being handled while a
    ledger is read, keeps its traceback's variables."""
    rows = "".join(f"EC-{i},县局,行政许可,2021-05-11,,2,是,是\n" for i in range(3000))
    pkg = _package(tmp_path, HEADER + "\n" + rows)

    def fails():
        marker = "调用方的变量"
        raise KeyError(marker)

    try:
        fails()
    except KeyError as exc:
        ledger = load_package(pkg, strict=False).ledgers["enforcement_cases"]
        tb = exc.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        assert tb.tb_frame.f_locals.get("marker") == "调用方的变量"
    assert len(ledger.records) == 3000


def test_a_process_exits_at_once_after_a_columnar_read_that_failed(tmp_path):
    """The user-facing side of the test above: a process that stops reading a large ledger at its first batch
    (Arrow still reading ahead) and exits at once, keeping the error, exits cleanly every time. Before Arrow was
    waited for, 8 runs of 20 aborted or hung at exit on this probe (a 32 MB ledger)."""
    import subprocess
    import sys

    pkg = _package(tmp_path, HEADER + "\nEC-x,局\n" + "".join(
        f"EC-{i},县局{i % 7},行政许可,2021-03-{1 + i % 28:02d},,{i % 5},是,否\n" for i in range(600_000)))
    probe = ("import sys\nfrom pathlib import Path\nimport evidence.package as p\n"
             "root = Path(sys.argv[1]); rel = 'ledgers/enforcement_cases.csv'\nkept = []\n"
             "try:\n    p._csv_columnar(root, root / rel, rel, p.load_ledger_catalog().ledgers['enforcement_cases'],"
             " p.ReadBudget())\n"
             "except p.NotColumnar as exc:\n    kept.append(exc)\n    print('handed back')\n")
    for _ in range(8):
        proc = subprocess.run([sys.executable, "-c", probe, str(pkg)], cwd=ROOT, capture_output=True, text=True,
                              timeout=60)
        assert (proc.returncode, proc.stdout.strip()) == (0, "handed back"), proc.stderr[-2000:]


def test_batches_are_decoded_ahead_in_order_and_a_reader_error_is_raised_in_its_place():
    from evidence.package import _Ahead

    def reader():
        yield 1
        yield 2
        raise ValueError("第 3 块")

    ahead = _Ahead(reader())
    got = []
    with pytest.raises(ValueError, match="第 3 块"):
        for batch in ahead:
            got.append(batch)
    ahead.close()
    assert got == [1, 2]
    ahead = _Ahead(iter(range(100)), depth=1)  # the caller stops early: the helper is not left waiting to hand on
    assert next(iter(ahead)) == 0
    ahead.close()
    assert not ahead.thread.is_alive()


def test_codes_widen_across_pages(tmp_path, monkeypatch):
    """A column's codes are kept on pages as narrow as its distinct values allow so far: 1-byte pages, then 2-byte
    ones past 255 values; joined, every row still has its own value."""
    monkeypatch.setattr(columns_module, "PAGE", 7)
    monkeypatch.setattr(package_module, "_BLOCK", 512)
    days = [f"2021-{1 + d // 28:02d}-{1 + d % 28:02d}" for d in range(300)]
    body = HEADER + "\n" + "".join(f"EC-{i},局,行政许可,{days[i % 300]},,2,是,是\n" for i in range(700))
    columnar, cell_by_cell = _both(tmp_path, body)
    assert columnar == cell_by_cell
    ledger = load_package(_package(tmp_path, body, "again"), strict=False).ledgers["enforcement_cases"]
    decision = ledger.columns["decision_date"]
    assert len(decision.values) == 300 and decision.codes.itemsize == 2
    assert [str(v) for v in ledger.column("decision_date")] == [days[i % 300] for i in range(700)]



def test_only_a_ledger_of_several_blocks_is_decoded_on_a_helper_thread(tmp_path, monkeypatch):
    """A unit-sized ledger is read in the caller's thread (batch workers already keep every core busy); a larger one
    is decoded ahead on the helper thread. Both read the same."""
    started = []
    real = package_module._Ahead

    class Counting(real):
        def __init__(self, *args, **kwargs):
            started.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(package_module, "_Ahead", Counting)
    pkg = _package(tmp_path, "")
    rows = [f"EC-{i},县局,行政许可,2021-05-11,2021-05-12,2,是,是".encode() for i in range(2000)]
    (pkg / "ledgers" / "enforcement_cases.csv").write_bytes(b"\n".join([HEADER.encode()] + rows) + b"\n")
    small = load_package(pkg, strict=False)
    assert started == []
    monkeypatch.setattr(package_module, "_AHEAD_FROM", 50_000)  # this file (~100 KB) now counts as several blocks
    large = load_package(pkg, strict=False)
    assert started == [1]  # the enforcement ledger only: every other ledger of the example is smaller
    assert list(large.ledgers["enforcement_cases"].records) == list(small.ledgers["enforcement_cases"].records)


def test_a_small_ledger_is_read_cell_by_cell_and_the_same(tmp_path, monkeypatch):
    """Under 64 KB the cell-by-cell reader reads a ledger (faster than Arrow's set-up for a few hundred rows): the
    example packages load without importing Arrow, and read exactly as the columnar reader reads them."""
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from evidence.package import load_package; "
            "p = load_package(Path(sys.argv[1]), strict=False); "
            "print(sum(len(x.records) for x in p.ledgers.values()), 'pyarrow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "examples" / "good-county")], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) > 100 and out[1] == "False"
    pkg = _package(tmp_path, "")
    shutil.rmtree(pkg / "ledgers")
    shutil.copytree(ROOT / "examples" / "good-county" / "ledgers", pkg / "ledgers")
    monkeypatch.setattr(package_module, "_COLUMNAR_FROM", 64 * 1024)
    small = load_package(pkg, strict=False)
    monkeypatch.setattr(package_module, "_COLUMNAR_FROM", 0)
    columnar = load_package(pkg, strict=False)
    assert small.digest == columnar.digest
    for name, ledger in small.ledgers.items():
        assert list(ledger.records) == list(columnar.ledgers[name].records), name
        assert list(ledger.rows) == list(columnar.ledgers[name].rows), name
    assert [vars(p) if not hasattr(p, "model_dump") else p.model_dump() for p in small.problems] == \
        [vars(p) if not hasattr(p, "model_dump") else p.model_dump() for p in columnar.problems]


def test_parse_floor_reads_the_catalog_the_rules_use():
    """bench/bench.py's parse floor reads packages with evidence's own ledger catalog, without importing the rule
    engine: it must be the catalog the rules score with."""
    from engine.evaluate import load_rules
    from evidence.package import load_ledger_catalog

    assert load_ledger_catalog() == load_rules().ledgers


def test_py_space_is_what_str_strip_strips():
    """The blanks the blank-row test trims (with Arrow) are exactly those ``str.strip()`` strips (the cell-by-cell
    reader's test), none of them above U+3000."""
    spaces = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    assert columns_module.PY_SPACE == spaces


@pytest.mark.parametrize("values", [
    np.array([3, 1, 2], dtype=np.int64), np.array([7, 0], dtype=np.uint8), np.array([70000, 1], dtype=np.uint32),
    np.array([5, -1], dtype=np.int32), np.arange(10, dtype=np.int64)[::3], np.array([True, False, True]),
    np.zeros(0, dtype=np.intp), np.array([], dtype=bool),
])
def test_numpy_arrays_become_the_same_arrow_arrays_as_with_pa_array(values):
    import pyarrow as pa

    got = columns_module.from_numpy(values)
    assert got.equals(pa.array(values))

