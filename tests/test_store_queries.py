"""Store queries on SQLite and PostgreSQL: batch --store, ranking (filters, figures, CSV/XLSX/HTML), a file
fetched from the archive by its hash."""

from __future__ import annotations

import csv
import hashlib
import json

import openpyxl
from click.testing import CliRunner
from conftest import EXAMPLES

from engine.cli import main


def run(*args, code: int = 0):
    out = CliRunner().invoke(main, [str(a) for a in args])
    assert out.exit_code == code, out.output
    return out


def test_batch_store_ranking_and_archive(store_env, tmp_path):
    out = run("batch", EXAMPLES / "good-county", EXAMPLES / "weak-town", "-o", tmp_path / "b", "-j", "1", "--top", "0",
              "--store", "--round", "评估", code=2)
    assert "结果库中没有单位" in out.output  # 评估 rounds need registered units
    run("batch", EXAMPLES / "good-county", EXAMPLES / "weak-town", "-o", tmp_path / "b", "-j", "1", "--top", "0",
        "--store", "--round", "评估", "--register", "--assessor", "第三方")
    ranked = tmp_path / "rank.csv"
    run("ranking", "--round", "评估", "-o", ranked)
    with open(ranked, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["单位"] for r in rows] == ["青山县人民政府", "柳溪镇人民政府"]
    assert rows[0]["排名"] == rows[1]["排名"] == "1"  # a 县 and a 镇: each unit type ranked on its own
    assert [r["类型"] for r in rows] == ["县", "镇"]
    summary = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))
    assert {r["unit"] for r in summary["ranking"]} == {"青山县人民政府", "柳溪镇人民政府"}
    assert "8. " in "".join(rows[0].keys())  # category columns
    # filters: unit type and region prefix
    assert "青山县人民政府" in run("ranking", "--type", "县").stdout
    assert "柳溪镇" not in run("ranking", "--type", "县").stdout
    assert "柳溪镇人民政府" in run("ranking", "--region", "示例省示例市青山县").stdout
    assert "共 0 个单位" in run("ranking", "--round", "复核").stdout
    run("ranking", "--rank-by", "high", "-o", tmp_path / "rank.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "rank.xlsx")
    ws = wb.active
    assert ws.cell(1, 1).value == "排名" and ws.max_row == 3
    assert wb.sheetnames == ["排名", "排名-县", "排名-镇"]
    run("ranking", "-o", tmp_path / "rank.html")
    assert "柳溪镇人民政府" in (tmp_path / "rank.html").read_text(encoding="utf-8")
    # an archived ledger fetched by the hash shown in the report's evidence manifest
    result = json.loads((tmp_path / "b" / "units" / "weak-town.json").read_text(encoding="utf-8"))
    ledger = result["evidence"]["ledgers"][0]
    run("archive-file", ledger["sha256"], "-o", tmp_path / "fetched")
    data = (tmp_path / "fetched").read_bytes()
    assert hashlib.sha256(data).hexdigest() == ledger["sha256"]
    assert data == (EXAMPLES / "weak-town" / ledger["file"]).read_bytes()
    out = run("archive-file", "0" * 64, "-o", tmp_path / "none", code=2)
    assert "归档中缺少文件" in out.output


def test_store_is_never_written_into_the_package(tmp_path, monkeypatch):
    import shutil

    pkg = tmp_path / "pkg"
    shutil.copytree(EXAMPLES / "good-county", pkg)
    before = sorted(p.relative_to(pkg) for p in pkg.rglob("*"))
    monkeypatch.chdir(pkg)
    out = run("score", ".", "--store", "-o", tmp_path / "r.json", code=2)
    assert "证据包只读" in out.output
    assert sorted(p.relative_to(pkg) for p in pkg.rglob("*")) == before
