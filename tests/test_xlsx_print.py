"""Every workbook the project writes prints readably in LibreOffice.

整改清单 (tracking workbook, whole list and one split file), the review sheet, every ``init`` template and the
batch ranking are converted to PDF by one headless LibreOffice run. Then, for each workbook:

- ``pdftotext -raw`` (text in drawing order, cell by cell) contains every non-empty cell's full text;
  a row that is too short for its wrapped text is clipped by LibreOffice and its last lines go missing;
- no two words on a page overlap (``pdftotext -bbox``): text spilling over the next row would.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from report_cases import EXAMPLES

from engine.cli import main

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
pytestmark = pytest.mark.skipif(SOFFICE is None or PDFTOTEXT is None,
                                reason="LibreOffice 或 pdftotext 未安装:CI 需 apt-get install -y libreoffice-calc-nogui "
                                       "poppler-utils")
SPACE = re.compile(r"\s+")


def run(*args) -> None:
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code in (0, 1), res.output


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("print")
    books: dict[str, Path] = {}
    weak = EXAMPLES / "weak-town"
    run("rectify", weak, "-o", base / "rectify.xlsx", "--group-by", "lead-unit", "--date", "2026-03-01")
    books["整改清单"] = base / "rectify.xlsx"
    run("rectify", weak, "--split", base / "split", "--date", "2026-03-01")
    books["整改清单(司法所)"] = base / "split" / "整改清单-司法所.xlsx"
    run("review-sheet", weak, "-o", base / "review.xlsx")
    books["核查表"] = base / "review.xlsx"
    run("batch", EXAMPLES / "good-county", weak, "-o", base / "batch")
    books["排名"] = base / "batch" / "ranking.xlsx"
    run("init", base / "pkg", "--type", "镇", "--name", "测试镇人民政府", "--period-start", "2021-01-01",
        "--period-end", "2022-12-31")
    for path in sorted((base / "pkg" / "ledgers").glob("*.xlsx")):
        books[f"模板 {path.stem}"] = path
    books["单位信息"] = base / "pkg" / "单位信息.xlsx"
    for name, path in books.items():
        assert path.is_file(), name
    # one LibreOffice run converts them all (each file copied under an ASCII name first)
    src = base / "src"
    src.mkdir()
    names = {}
    for i, (name, path) in enumerate(books.items()):
        shutil.copy(path, src / f"b{i:02d}.xlsx")
        names[name] = f"b{i:02d}"
    proc = subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{base / 'profile'}",
                           "--convert-to", "pdf", "--outdir", str(base / "pdf"),
                           *sorted(str(p) for p in src.glob("*.xlsx"))],
                          capture_output=True, text=True, timeout=600)
    for name, stem in names.items():
        assert (base / "pdf" / f"{stem}.pdf").is_file(), (name, proc.stdout, proc.stderr)
    return {name: (books[name], base / "pdf" / f"{stem}.pdf") for name, stem in names.items()}


def shown(cell) -> str | None:
    """The text LibreOffice prints for a cell (strings as they are, dates as yyyy-mm-dd, whole numbers bare)."""
    v = cell.value
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if cell.number_format.startswith("yyyy-mm-dd") else None
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return str(int(v)) if float(v).is_integer() and "%" not in cell.number_format else None
    return str(v)


def printed_cells(path: Path) -> list[tuple[str, str, str]]:
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        for row in ws.iter_rows():
            for cell in row:
                text = shown(cell)
                if text:
                    out.append((ws.title, cell.coordinate, text))
    return out


def words(pdf: Path) -> list[tuple[int, float, float, float, float, str]]:
    xml = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    out, page = [], 0
    for line in xml.splitlines():
        if "<page " in line:
            page += 1
        m = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if m:
            out.append((page, *map(float, m.groups()[:4]), m.group(5)))
    return out


def overlaps(ws: list) -> list[tuple]:
    bad = []
    by_page: dict[int, list] = {}
    for w in ws:
        by_page.setdefault(w[0], []).append(w)
    for page, items in by_page.items():
        items.sort(key=lambda w: w[2])
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                if b[2] >= a[4] - 0.5:
                    break
                dx = min(a[3], b[3]) - max(a[1], b[1])
                dy = min(a[4], b[4]) - max(a[2], b[2])
                # wrapped lines may touch (ascent/descent boxes); text drawn over other text overlaps by most of a line
                if dx > 1.0 and dy > 0.4 * min(a[4] - a[2], b[4] - b[2]):
                    bad.append((page, a[5], b[5]))
    return bad


def test_every_workbook_prints_every_cell_in_full_without_overlap(workbooks):
    assert {"整改清单", "整改清单(司法所)", "核查表", "排名"} <= set(workbooks)
    assert sum(name.startswith("模板 ") for name in workbooks) >= 20
    failures = []
    for name, (xlsx, pdf) in workbooks.items():
        raw = subprocess.run([PDFTOTEXT, "-raw", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
        flat = SPACE.sub("", raw)
        for sheet, coord, text in printed_cells(xlsx):
            if SPACE.sub("", text) not in flat:
                failures.append(f"{name} {sheet}!{coord} 未完整打印:{text[:60]}")
        bad = overlaps(words(pdf))
        if bad:
            failures.append(f"{name} 文字重叠 {len(bad)} 处,如 {bad[:3]}")
    assert not failures, "\n".join(failures[:40])


def test_rectify_pdf_has_page_numbers(workbooks):
    raw = subprocess.run([PDFTOTEXT, "-raw", str(workbooks["整改清单"][1]), "-"], capture_output=True, text=True,
                         timeout=60).stdout
    assert re.search(r"第 1 页,共 \d+ 页", raw)
