"""Rows/s for reading one large ledger as XLSX (python-calamine, and openpyxl read_only for comparison) and CSV.

Usage: python bench/bench_intake.py [ROWS]   (default 200,000). Every cell is parsed into its typed value
(``evidence.package.parse_table``), as ``scorecard validate``/``score`` do. Not a test: it prints numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evidence.package import _read_csv, open_workbook, parse_table, read_sheet
from evidence.schema import load_ledger_catalog

LEDGER = "enforcement_cases"


def make_rows(n: int):
    ld = load_ledger_catalog().ledgers[LEDGER]
    names = ["case_id", "agency", "category", "decision_date", "publicity_date", "officers", "certificate_shown", "legal_review"]
    header = [ld.fields[k].title for k in names]
    start = dt.date(2021, 1, 1)
    rows = []
    for i in range(n):
        day = start + dt.timedelta(days=i % 700)
        rows.append([f"执罚〔2021〕{i}号", "县市场监督管理局", "行政处罚", day, day + dt.timedelta(days=5), 2, "是" if i % 7 else "否",
                     "是"])
    return ld, header, rows


def timed(label: str, n: int, fn):
    t0 = time.perf_counter()
    count = fn()
    elapsed = time.perf_counter() - t0
    assert count == n, (label, count, n)
    print(f"{label:<42} {n:>9,} 行  {elapsed:7.2f} s  {n / elapsed:>10,.0f} 行/秒")
    return n / elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    ld, header, rows = make_rows(n)
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / "cases.xlsx"
        csv_path = Path(tmp) / "cases.csv"
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(xlsx), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
        ws = wb.add_worksheet(ld.title)
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.write_row(0, 0, header)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
                elif isinstance(value, int):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, value)
        wb.close()
        with open(csv_path, "w", encoding="gb18030", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for row in rows:
                w.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in row])
        print(f"台账:{ld.title},{len(header)} 列;xlsx {xlsx.stat().st_size / 1e6:.1f} MB,csv {csv_path.stat().st_size / 1e6:.1f} MB")

        def calamine():
            table = read_sheet(open_workbook(Path(xlsx).read_bytes(), "cases.xlsx"), ld.title, "cases.xlsx")
            ledger, problems = parse_table(ld, "cases.xlsx", table.header, table.rows, sheet=ld.title)
            assert not [p for p in problems if p.severity == "error"], problems[:3]
            return len(ledger.records)

        def openpyxl_ro():
            import openpyxl

            wb = openpyxl.load_workbook(xlsx, read_only=True, data_only=True)
            it = wb[ld.title].iter_rows(values_only=True)
            head = [str(h) for h in next(it)]
            data = [(i, list(r)) for i, r in enumerate(it, start=2)]
            wb.close()
            ledger, problems = parse_table(ld, "cases.xlsx", head, data, sheet=ld.title)
            return len(ledger.records)

        def csv_read():
            head, data = _read_csv(csv_path.read_bytes(), "cases.csv")
            ledger, problems = parse_table(ld, "cases.csv", head, data)
            return len(ledger.records)

        timed("XLSX  python-calamine(采用)", n, calamine)
        timed("XLSX  openpyxl read_only(对比)", n, openpyxl_ro)
        timed("CSV   GB18030(自动识别编码)", n, csv_read)


if __name__ == "__main__":
    main()
