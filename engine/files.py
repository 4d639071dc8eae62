"""The one way user files are read: evidence packages, review/waiver/profile/calendar files, custom templates.

Every read goes through ``read_bytes`` (or ``read_text``):

- the path must resolve inside its root (a symlink may point elsewhere inside the package, never out of it);
- only regular files: a FIFO would block forever, a character device (``/dev/zero``) would be read until memory runs
  out, a directory is not a file — each is a located problem, checked before and after opening (non-blocking);
- a size cap per file and a shared budget per package (``ReadBudget``), with a Chinese message naming the limit and
  how to raise it (environment variables ``SCORECARD_MAX_FILE_MB`` and ``SCORECARD_MAX_PACKAGE_MB``);
- NUL bytes, over-long names and other ``OSError`` become located problems, never tracebacks;
- one decode path for text (``decode_text``): UTF-8 (BOM or not), UTF-16 with BOM, then GB18030; binary content
  and control characters are refused.

Imports only ``engine.errors`` (a foundation: any layer may use it).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import InputError, Problem

MIB = 1 << 20


def _limit(env: str, default_mb: int) -> int:
    try:
        return max(1, int(os.environ.get(env, default_mb))) * MIB
    except ValueError:
        return default_mb * MIB


def file_limit() -> int:
    """Largest file read into memory (default 300 MB; ``SCORECARD_MAX_FILE_MB``)."""
    return _limit("SCORECARD_MAX_FILE_MB", 300)


def package_limit() -> int:
    """Largest total read from one package (default 1,000 MB; ``SCORECARD_MAX_PACKAGE_MB``)."""
    return _limit("SCORECARD_MAX_PACKAGE_MB", 1000)


@dataclass
class ReadBudget:
    """Bytes read so far from one package, against ``package_limit()``."""

    limit: int = 0
    used: int = 0

    def __post_init__(self):
        self.limit = self.limit or package_limit()

    def charge(self, size: int, display: str) -> None:
        self.used += size
        if self.used > self.limit:
            raise InputError(Problem(display, f"证据包过大:读到此文件时已超过 {self.limit // MIB} MB 的总量上限",
                                     expected="拆分证据包,或设置环境变量 SCORECARD_MAX_PACKAGE_MB 提高上限",
                                     code="too_large"))


def _mb(size: int) -> str:
    return f"{size / MIB:.1f} MB"


def _os_problem(display: str, exc: BaseException) -> InputError:
    if isinstance(exc, ValueError):  # embedded NUL byte in the path
        return InputError(Problem(display, "路径含非法字符(NUL),无法读取", code="io"))
    import errno

    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:  # symlink loop
        return InputError(Problem(display, "文件链接形成循环,无法读取", code="io"))
    if getattr(exc, "errno", None) == errno.ENAMETOOLONG:
        return InputError(Problem(display, "路径过长,无法读取", code="io"))
    reason = getattr(exc, "strerror", None) or type(exc).__name__
    return InputError(Problem(display, f"无法读取文件:{reason}", code="io"))


PACKAGE = "证据包"  # the folder a file must stay inside, as messages name it
TEMPLATE_DIR = "模板目录"
SHARED_CALENDAR_DIR = "共享节假日安排目录"


def resolve_inside(root: Path, path: Path, display: str, scope: str = PACKAGE) -> Path:
    """The real path of ``path``; a problem when it leaves ``root`` (through a symlink or ``..``). ``scope`` names
    the folder in the message (证据包, 模板目录, 共享节假日安排目录)."""
    try:
        real_root = Path(os.path.realpath(root))
        real = Path(os.path.realpath(path))
    except (OSError, ValueError, RuntimeError) as exc:
        raise _os_problem(display, exc) from None
    if real != real_root and real_root not in real.parents:
        raise InputError(Problem(display, f"文件链接指向{scope}之外,拒绝读取", expected=f"把文件本身放入{scope}(不用链接)",
                                 code="outside"))
    return real


def resolve_named(path: Path, display: str) -> Path:
    """The real path of a file named on the command line (``--review``, ``--waivers``, ``--profile``, ``diff``
    inputs ...). Policy: such a file may be a symlink — users link shared files — and the link is followed to
    wherever it points, because naming the link gives no access that naming its target would not; the target must
    still be a regular file within the size cap (checked by ``check_regular``/``read_bytes``). Files *inside* a
    folder (an evidence package, a template or shared calendar folder) never lead out of it: ``resolve_inside``."""
    try:
        if not os.path.lexists(path):
            raise InputError(Problem(display, "找不到文件", code="io"))
        real = Path(os.path.realpath(path, strict=True))
    except (OSError, ValueError, RuntimeError) as exc:
        if isinstance(exc, FileNotFoundError):  # a dangling link
            try:
                target = f"({os.readlink(path)})"
            except (OSError, ValueError):
                target = ""
            raise InputError(Problem(display, f"文件链接指向的文件不存在{target}", code="io")) from None
        raise _os_problem(display, exc) from None
    return real


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "是目录,不是文件"
    if stat.S_ISFIFO(mode):
        return "是命名管道(FIFO),不是普通文件,拒绝读取"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "是设备文件,不是普通文件,拒绝读取"
    if stat.S_ISSOCK(mode):
        return "是套接字,不是普通文件,拒绝读取"
    return "不是普通文件,拒绝读取"


def check_regular(root: Path | None, path: Path, display: str, scope: str = PACKAGE) -> tuple[Path, os.stat_result]:
    """Resolve inside ``root`` (``None``: a file named on the command line, see ``resolve_named``) and require a
    regular file; returns the real path and its stat."""
    real = resolve_named(path, display) if root is None else resolve_inside(root, path, display, scope)
    try:
        st = os.stat(real)
    except (OSError, ValueError) as exc:
        raise _os_problem(display, exc) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(Problem(display, _kind(st.st_mode), code="not_a_file"))
    return real, st


def _too_large(display: str, limit: int, size: int | None = None) -> InputError:
    shown = f"({_mb(size)})" if size is not None else ""
    return InputError(Problem(display, f"文件过大{shown},超过单个文件 {limit // MIB} MB 的上限",
                              expected="拆分文件,或设置环境变量 SCORECARD_MAX_FILE_MB 提高上限", code="too_large"))


def read_bytes(root: Path | None, path: Path, display: str | None = None, *, budget: ReadBudget | None = None,
               limit: int | None = None, scope: str = PACKAGE) -> bytes:
    """A regular file's bytes, read once. ``root`` None means a file named on the command line: a symlink is
    followed (``resolve_named``), the target's type and size are checked; otherwise the file must resolve inside
    ``root`` (named ``scope`` in messages)."""
    display = display or str(path)
    limit = limit or file_limit()
    fd = open_regular(root, path, display, limit, scope)
    try:
        chunks = []
        size = 0
        while True:
            chunk = os.read(fd, min(1 << 22, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise _too_large(display, limit)
    except OSError as exc:
        raise _os_problem(display, exc) from None
    finally:
        os.close(fd)
    if budget is not None:
        budget.charge(size, display)
    return b"".join(chunks)


def open_regular(root: Path | None, path: Path, display: str, limit: int | None = None, scope: str = PACKAGE) -> int:
    """A read-only descriptor of a regular file inside ``root`` no larger than ``limit`` (the checks of
    ``read_bytes``); the caller reads it in chunks (a ledger streamed in batches) and closes it."""
    path = Path(path)
    limit = limit or file_limit()
    real, st = check_regular(None if root is None else Path(root), path, display, scope)
    protect(root=root, file=real)
    if st.st_size > limit:
        raise _too_large(display, limit, st.st_size)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except (OSError, ValueError) as exc:
        raise _os_problem(display, exc) from None
    try:
        st = os.fstat(fd)  # the file opened is the file checked (not swapped for a FIFO in between)
    except OSError as exc:
        os.close(fd)
        raise _os_problem(display, exc) from None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise InputError(Problem(display, _kind(st.st_mode), code="not_a_file"))
    return fd


def read_text(root: Path | None, path: Path, display: str | None = None, *, budget: ReadBudget | None = None,
              scope: str = PACKAGE) -> str:
    display = display or str(path)
    return decode_text(read_bytes(root, path, display, budget=budget, scope=scope), display)


def list_dir(root: Path, directory: Path, display: str, scope: str = PACKAGE) -> list[Path]:
    """Entries of a folder that resolves inside ``root`` (a symlinked folder pointing out is refused), sorted."""
    real = resolve_inside(root, directory, display, scope)
    try:
        return sorted(directory / name for name in os.listdir(real))
    except (OSError, ValueError) as exc:
        raise _os_problem(display, exc) from None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, then GB18030 (which covers GBK and GB2312).

    GB18030 decodes almost any byte string, so binary content is recognised first (NUL bytes, an Excel/zip
    signature, control characters after decoding) and reported as a located error instead of garbage rows.
    The control-character check applies to every encoding (UTF-16 included).
    """
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(Problem(file, "这是 Excel 工作簿,不是文本文件", expected="扩展名改为 .xlsx(或 .xls)后再提交",
                                 code="encoding"))
    candidates: tuple[str, ...] = ("utf-8-sig", "gb18030")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16", *candidates)
    elif b"\x00" in data:
        raise InputError(Problem(file, "文件含二进制内容(NUL 字节),不是文本文件",
                                 expected="UTF-8、带 BOM 的 UTF-8 或 GB18030/GBK 编码的文本", code="encoding"))
    last: UnicodeDecodeError | None = None
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            if encoding != "utf-16":
                last = exc
            continue
        if encoding == "utf-16":
            text = text.lstrip("\ufeff")
        m = _CONTROL.search(text)
        if m is not None:
            bad = m.start()
            line = text.count("\n", 0, bad) + 1
            raise InputError(Problem(file, f"文件含控制字符(U+{ord(text[bad]):04X}),不是文本文件或已损坏", row=line,
                                     expected="UTF-8、带 BOM 的 UTF-8 或 GB18030/GBK 编码的文本", code="encoding"))
        return text
    assert last is not None
    line = data.count(b"\n", 0, last.start) + 1
    raise InputError(Problem(file, f"无法识别文件编码(第 {last.start + 1} 字节起无法解码)", row=line,
                             value=data[last.start:last.start + 8].hex(" "),
                             expected="UTF-8、带 BOM 的 UTF-8 或 GB18030/GBK", code="encoding"))


# --- workbooks: checked before any spreadsheet library inflates them ------------------------------------------------

def cell_limit() -> int:
    """Largest sheet area (rows x columns of its used range) opened (default 30,000,000; ``SCORECARD_MAX_CELLS``)."""
    try:
        return max(1, int(os.environ.get("SCORECARD_MAX_CELLS", 30_000_000)))
    except ValueError:
        return 30_000_000


@dataclass
class SheetFacts:
    """What the raw XML of one worksheet says, found without building its cells."""

    name: str
    hidden: bool = False
    rows: int = 0
    columns: int = 0
    formulas_without_value: list[tuple[int, str]] = field(default_factory=list)  # (Excel row, column letters)
    error_cells: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, error text e.g. #DIV/0!)


def column_index(letters: str) -> int:
    """A -> 1, Z -> 26, AA -> 27."""
    n = 0
    for ch in letters[:4]:
        n = n * 26 + (ord(ch) - 64)
    return n


_ROW_RE = re.compile(rb'<(?:\w+:)?row\b[^>]{0,200}?\sr="(\d{1,9})"')
_CELL_COL_RE = re.compile(rb'<(?:\w+:)?c\b[^>]{0,200}?\sr="([A-Z]{2,4})\d')
_DIM_RE = re.compile(rb'<(?:\w+:)?dimension\b[^>]{0,200}?\sref="[A-Z]{0,4}\d{0,9}:?([A-Z]{1,4})(\d{1,9})"')
_NO_VALUE_RE = re.compile(rb'<c\s[^>]{0,200}?r="([A-Z]{1,4})(\d{1,9})"[^>]{0,200}?>\s{0,20}<f\b[^>]{0,500}?(?:/>|>[^<]{0,20000}</f>)'
                          rb'\s{0,20}(?:<v\s{0,5}/>|<v></v>)?\s{0,20}</c>')
_ERROR_RE = re.compile(rb'<c\s[^>]{0,200}?r="([A-Z]{1,4})(\d{1,9})"[^>]{0,200}?\st="e"[^>]{0,200}?>'
                       rb'(?:\s{0,20}<f\b[^>]{0,500}?(?:/>|>[^<]{0,20000}</f>))?\s{0,20}<v>([^<]{0,50})</v>')
_SHEET_RE = re.compile(rb'<(?:\w+:)?sheet\b([^>]{0,2000})/?>')
_ATTR_RE = re.compile(rb'([\w:]+)="([^"]{0,1000})"')
_REL_RE = re.compile(rb'<Relationship\b([^>]{0,2000})/?>')


def _attrs(blob: bytes) -> dict[str, str]:
    import html

    return {k.decode().split(":")[-1] if k.decode() != "r:id" else "rid": html.unescape(v.decode("utf-8", "replace"))
            for k, v in _ATTR_RE.findall(blob)}


def check_workbook(data: bytes, display: str, *, limit: int | None = None, cells: int | None = None
                   ) -> dict[str, SheetFacts]:
    """Check a workbook by its content, whatever its name, before it is parsed: an .xlsb is refused, an .ods gets
    its used range checked (``_check_ods``), an .xls is bounded by its format (see below). For a zip-based
    workbook (.xlsx/.xlsm/.ods): the real inflated size of every member
    (a zip bomb is refused, declared sizes are not trusted), the used range of every worksheet (a single cell at
    XFD1048576 would make a dense reader allocate hundreds of GB), and per sheet its visibility, formula cells
    without a cached value and error cells (#DIV/0!, #N/A ...). Returns the facts by sheet name (xlsx only)."""
    import io
    import zipfile
    import zlib

    limit = limit or file_limit()
    cells = cells or cell_limit()
    if not data.startswith(b"PK"):
        # .xls (BIFF, OLE2 compound file): not compressed (the file-size cap bounds it) and the format itself caps a
        # sheet at 65,536 rows x 256 columns; the sheet's range is checked again before any Python rows are built
        # (``check_sheet_size``).
        return {}
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(Problem(display, f"无法读取 Excel 文件:文件已损坏({type(exc).__name__})",
                                 expected="用 Excel 重新保存为 .xlsx", code="xlsx")) from None
    if len(members) > 10_000:
        raise InputError(Problem(display, f"Excel 文件内部条目过多({len(members)} 个)", code="xlsx_too_large"))
    names = {m.filename for m in members}
    if "xl/workbook.bin" in names:  # .xlsb, whatever the file is called: its reader sizes a sheet by the declared range
        raise InputError(Problem(display, "不支持 Excel 二进制工作簿(.xlsb):其工作表大小无法在读取前核查",
                                 expected="在 Excel 中「另存为」Excel 工作簿(.xlsx)后提交", code="xlsb"))
    too_big = Problem(display, f"Excel 文件解压后超过 {limit // MIB} MB 上限(可能是压缩炸弹)",
                      expected="正常保存的工作簿;确需更大时设置环境变量 SCORECARD_MAX_FILE_MB", code="xlsx_too_large")
    if sum(m.file_size for m in members) > limit:
        raise InputError(too_big)
    total = 0
    sheets_xml: dict[str, SheetFacts] = {}
    small: dict[str, bytes] = {}
    tail_keep = 30_000
    try:
        for m in members:
            is_sheet = m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml")
            keep = m.filename in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
            facts = SheetFacts(name="")
            buf = b""
            with zf.open(m) as fh:
                while True:
                    chunk = fh.read(1 << 20)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > limit:
                        raise InputError(too_big)
                    if keep:
                        small[m.filename] = small.get(m.filename, b"") + chunk
                    if is_sheet:
                        buf = buf[-tail_keep:] + chunk  # a tag cut by the chunk boundary is whole in the next window
                        _scan_sheet(buf, facts)
            if is_sheet:
                sheets_xml[m.filename] = facts
                if facts.rows * max(facts.columns, 1) > cells or facts.columns > 16384 or facts.rows > 1_048_576:
                    raise InputError(Problem(display, f"工作表的使用区域过大({facts.rows} 行 × {facts.columns} 列),"
                                             "可能有远处的多余单元格", expected=f"使用区域不超过 {cells:,} 个单元格:删除多余的行列后重新保存"
                                             "(或设置环境变量 SCORECARD_MAX_CELLS)", code="xlsx_too_large"))
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise InputError(Problem(display, f"无法读取 Excel 文件:文件已损坏({type(exc).__name__})",
                                 expected="用 Excel 重新保存为 .xlsx", code="xlsx")) from None
    if "content.xml" in names and "xl/workbook.xml" not in names:  # OpenDocument spreadsheet (.ods)
        _check_ods(zf, display, cells)
        return {}
    targets = {}
    for blob in _REL_RE.findall(small.get("xl/_rels/workbook.xml.rels", b"")):
        a = _attrs(blob)
        target = a.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[a.get("Id", "")] = target
    out: dict[str, SheetFacts] = {}
    for blob in _SHEET_RE.findall(small.get("xl/workbook.xml", b"")):
        a = _attrs(blob)
        facts = sheets_xml.get(targets.get(a.get("rid", a.get("id", "")), ""))
        if facts is None or "name" not in a:
            continue
        facts.name = a["name"]
        facts.hidden = a.get("state", "visible") in ("hidden", "veryHidden")
        out[facts.name] = facts
    return out


def _too_big(display: str, sheet: str | None, rows: int, columns: int, cells: int) -> InputError:
    where = f"工作表「{sheet}」" if sheet else "工作表"
    return InputError(Problem(display, f"{where}的使用区域过大({rows} 行 × {columns} 列),可能有远处的多余单元格",
                              sheet=sheet, expected=f"使用区域不超过 {cells:,} 个单元格:删除多余的行列后重新保存"
                              "(或设置环境变量 SCORECARD_MAX_CELLS)", code="xlsx_too_large"))


def check_sheet_size(rows: int, columns: int, display: str, sheet: str | None = None) -> None:
    """The used range of a sheet a reader has opened, before its cells become Python rows (any format)."""
    cells = cell_limit()
    if rows * max(columns, 1) > cells or columns > 16384 or rows > 1_048_576:
        raise _too_big(display, sheet, rows, columns, cells)


_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _check_ods(zf, display: str, cells: int) -> None:
    """The used range of every table of an .ods, from ``content.xml`` streamed through expat (no tree is built):
    rows and cells count with their ``number-rows-repeated`` / ``number-columns-repeated``; the range ends at the
    last row and column holding a value (LibreOffice writes a million repeated *empty* trailing rows, which are
    not data). A document type declaration (entities) is refused."""
    import xml.parsers.expat

    class State:
        table = ""
        row = 0  # rows before the current one
        row_repeat = 1
        col = 0  # columns before the current cell
        row_last_col = 0  # end column of the last non-empty cell in the current row
        cell_repeat = 1
        cell_filled = False
        depth_in_cell = 0
        rows = 0  # used range of the current table
        cols = 0

    st = State()

    def attr(attrs: dict, name: str) -> int:
        try:
            return max(1, min(int(attrs.get(f"{_ODS_TABLE} {name}", "1")), 1 << 40))
        except ValueError:
            return 1

    def start(name, attrs):
        if st.depth_in_cell:
            st.depth_in_cell += 1
            st.cell_filled = True  # text:p or any content inside the cell
            return
        if name == f"{_ODS_TABLE} table":
            st.table, st.row, st.rows, st.cols = attrs.get(f"{_ODS_TABLE} name", ""), 0, 0, 0
        elif name == f"{_ODS_TABLE} table-row":
            st.row_repeat, st.col, st.row_last_col = attr(attrs, "number-rows-repeated"), 0, 0
        elif name in (f"{_ODS_TABLE} table-cell", f"{_ODS_TABLE} covered-table-cell"):
            st.cell_repeat = attr(attrs, "number-columns-repeated")
            st.cell_filled = f"{_ODS_OFFICE} value-type" in attrs
            st.depth_in_cell = 1

    def end(name):
        if st.depth_in_cell > 1:
            st.depth_in_cell -= 1
            return
        if st.depth_in_cell == 1:
            st.depth_in_cell = 0
            st.col += st.cell_repeat
            if st.cell_filled:
                st.row_last_col = st.col
            return
        if name == f"{_ODS_TABLE} table-row":
            if st.row_last_col:
                st.rows = st.row + st.row_repeat
                st.cols = max(st.cols, st.row_last_col)
                if st.rows * st.cols > cells or st.cols > 16384 or st.rows > 1_048_576:
                    raise _too_big(display, st.table, st.rows, st.cols, cells)
            st.row += st.row_repeat

    def no_doctype(*_args):
        raise InputError(Problem(display, "OpenDocument 表格含文档类型声明(DTD/实体),拒绝读取", code="xlsx"))

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    try:
        with zf.open("content.xml") as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (xml.parsers.expat.ExpatError, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise InputError(Problem(display, f"无法读取 OpenDocument 表格:文件已损坏({type(exc).__name__})",
                                 expected="用 LibreOffice 或 Excel 重新保存", code="xlsx")) from None


def _scan_sheet(buf: bytes, facts: SheetFacts) -> None:
    """Update the used range and the located cell findings from a window of sheet XML (windows overlap: the
    maxima are idempotent, the findings are de-duplicated)."""
    for m in _ROW_RE.finditer(buf):
        facts.rows = max(facts.rows, int(m.group(1)))
    if b"<c " in buf or b":c " in buf:
        facts.columns = max(facts.columns, 26)
    for m in _CELL_COL_RE.finditer(buf):
        facts.columns = max(facts.columns, column_index(m.group(1).decode()))
    for m in _DIM_RE.finditer(buf):
        facts.rows = max(facts.rows, int(m.group(2)))
        facts.columns = max(facts.columns, column_index(m.group(1).decode()))
    if b"<f" in buf:
        for m in _NO_VALUE_RE.finditer(buf):
            found = (int(m.group(2)), m.group(1).decode())
            if found not in facts.formulas_without_value and len(facts.formulas_without_value) < 1000:
                facts.formulas_without_value.append(found)
    if b't="e"' in buf:
        for m in _ERROR_RE.finditer(buf):
            found = (int(m.group(2)), m.group(1).decode(), m.group(3).decode("utf-8", "replace"))
            if found not in facts.error_cells and len(facts.error_cells) < 1000:
                facts.error_cells.append(found)


# --- outputs: never into an input, written atomically ---------------------------------------------------------------

_INPUT_ROOTS: set[Path] = set()  # packages and other input folders read in this process (evidence is read-only)
_INPUT_FILES: set[Path] = set()  # every input file read in this process


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return Path(os.path.abspath(path))


def reset_inputs() -> None:
    _INPUT_ROOTS.clear()
    _INPUT_FILES.clear()


def protect(root: Path | None = None, file: Path | None = None) -> None:
    """Record an input folder (an evidence package) or file: no output may be written into or over it."""
    if root is not None:
        _INPUT_ROOTS.add(_real(root))
    if file is not None:
        _INPUT_FILES.add(_real(file))


def check_output(path: Path, display: str | None = None) -> None:
    """Refuse an output path inside an input package (or folder) or over an input file."""
    display = display or str(path)
    real = _real(path)
    for root in sorted(_INPUT_ROOTS):
        if real == root or root in real.parents:
            raise InputError(Problem(display, f"输出路径在输入目录「{root}」之内:证据包只读,不能写入",
                                     expected="把输出写到证据包之外的位置", code="output_inside_input"))
    if real in _INPUT_FILES:
        raise InputError(Problem(display, "输出会覆盖本次读取的输入文件", expected="换一个输出文件名", code="output_inside_input"))


def output_problem(path: Path | str, exc: BaseException) -> InputError:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return InputError(Problem(str(path), f"无法写入输出:{reason}", expected="可写的目录中的普通文件路径", code="output"))


def write_atomic(path: Path, content: bytes | str | None = None, writer=None, display: str | None = None) -> None:
    """Write ``content`` (or call ``writer(tmp_path)``) to a temporary file beside ``path``, then rename it over
    ``path``: a reader never sees half a file, a failure leaves the old file. Any ``OSError`` becomes an
    ``InputError`` naming the path and the reason (exit code 2)."""
    import tempfile

    path = Path(path)
    display = display or str(path)
    check_output(path, display)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except (OSError, ValueError) as exc:
        raise output_problem(display, exc) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise InputError(Problem(display, "输出路径已存在且不是普通文件(目录、设备或管道)", expected="普通文件路径",
                                 code="output"))
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.stem[:50]}.", suffix=".tmp" + path.suffix[:10], dir=path.parent)
        tmp = Path(name)
        if writer is None:
            data = content.encode("utf-8") if isinstance(content, str) else (content or b"")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
        else:
            os.close(fd)
            writer(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
    except (OSError, ValueError) as exc:
        raise output_problem(display, exc) from None
    finally:
        if tmp is not None:
            try:
                tmp.unlink()
            except OSError:
                pass
