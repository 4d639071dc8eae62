"""A user's journey through the results store, on SQLite and on a real PostgreSQL server.

自评 and 评估 rounds stored, a reviewer's verdicts recorded, rectification items listed by lead unit (co-leads
included), the package fixed, the 复核 round closes the fixed items (已整改) and keeps the rest open,
``history`` shows the three rounds with their figures, and ``reproduce`` re-scores archived rounds to
byte-identical JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import zipfile

from click.testing import CliRunner
from conftest import EXAMPLES, on_time_release

from engine.cli import main


def run(*args, code: int = 0):
    out = CliRunner().invoke(main, [str(a) for a in args])
    assert out.exit_code == code, out.output
    return out


def items(path) -> list[dict]:
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def fix_package(pkg):
    """The unit rectifies two findings: ND-00002 now has its legality review, E-00001 was announced in time."""
    nd = pkg / "ledgers" / "normative_documents.csv"
    lines = nd.read_text(encoding="utf-8").splitlines()
    column = lines[0].split(",").index("是否经合法性审核")
    [at] = [i for i, line in enumerate(lines) if line.startswith("ND-00002,")]
    cells = lines[at].split(",")
    assert cells[column] == "否"
    cells[column] = "是"
    lines[at] = ",".join(cells)
    nd.write_text("\n".join(lines) + "\n", encoding="utf-8")
    em = pkg / "ledgers" / "emergencies.csv"
    text = em.read_text(encoding="utf-8")
    late = on_time_release(pkg, hours=7)  # the planted late release
    assert late in text
    em.write_text(text.replace(late, on_time_release(pkg, hours=1), 1), encoding="utf-8")


def test_self_assessment_evaluation_rectification_and_review_round(store_env, tmp_path):
    pkg = tmp_path / "柳溪镇"
    shutil.copytree(EXAMPLES / "weak-town", pkg)
    out = tmp_path / "out"

    # 1. 自评 then 评估, both stored
    run("score", pkg, "--store", "--round", "自评", "-o", out / "self.json")
    run("score", pkg, "--store", "--round", "评估", "--assessor", "省评估组", "-o", out / "eval.json")
    evaluation = json.loads((out / "eval.json").read_text(encoding="utf-8"))
    failing = {i["no"] for i in evaluation["indicators"] if i["status"] in ("fail", "partial")}
    assert {21, 22, 48, 60, 73, 83} <= failing
    pending = [i for i in evaluation["indicators"] if i["status"] == "needs_review"]
    failed_by_reviewer, passed_by_reviewer = pending[0], pending[1]

    # 2. a reviewer records verdicts on the 评估 round (one fail, one pass)
    verdicts = tmp_path / "核查结论.yaml"
    verdicts.write_text(
        "verdicts:\n"
        f"  - {{indicator: {failed_by_reviewer['no']}, verdict: 未通过, reason: 制度未落实, reviewer: 李四, date: 2026-11-20}}\n"
        f"  - {{indicator: {passed_by_reviewer['no']}, verdict: 通过, reviewer: 李四, date: 2026-11-20}}\n",
        encoding="utf-8")
    run("review", "import", "2", verdicts)

    # 3. rectification items by lead unit: one per (indicator, lead unit), co-leads included
    run("rectify", "--from-store", "-o", out / "all.csv")
    everything = items(out / "all.csv")
    per_indicator = {}
    for row in everything:
        per_indicator.setdefault(row["指标"].split(".")[0], []).append(row)
    assert {r["牵头单位"] for r in per_indicator["22"]} == {"党政办", "司法所"}
    assert {r["配合"] for r in per_indicator["22"]} == {"牵头", "配合"}
    assert str(failed_by_reviewer["no"]) in per_indicator  # the reviewer-failed indicator has items too
    assert str(passed_by_reviewer["no"]) not in per_indicator
    assert all(r["状态"] == "待整改" for r in everything)
    run("rectify", "--from-store", "--lead-unit", "司法所", "-o", out / "sfs.csv")
    sfs = items(out / "sfs.csv")
    assert sfs and all(r["牵头单位"] == "司法所" for r in sfs)
    assert {r["指标"].split(".")[0] for r in sfs} >= {"21", "22", "83"}
    assert "48" not in {r["指标"].split(".")[0] for r in sfs}
    run("rectify", "--from-store", "--split", out / "split", "--format", "csv")
    split = sorted(p.name for p in (out / "split").iterdir())
    assert "整改事项-司法所.csv" in split and "整改事项-综合行政执法局.csv" in split
    assert sum(len(items(p)) for p in (out / "split").iterdir()) == len(everything)

    # progress on one item: 责任人 and a note
    item22 = next(r for r in everything if r["指标"].startswith("22.") and r["牵头单位"] == "党政办")
    run("rectify-item", item22["编号"], "--status", "整改中", "--responsible", "王五", "--note", "已补做合法性审核")

    # 4. the unit fixes its package; the 复核 round closes what is fixed, keeps the rest open
    fix_package(pkg)
    run("score", pkg, "--store", "--round", "复核", "-o", out / "recheck.json")
    run("rectify", "--from-store", "-o", out / "after.csv")
    after = {(r["指标"].split(".")[0], r["牵头单位"]): r for r in items(out / "after.csv")}
    for key in (("22", "党政办"), ("22", "司法所"), ("21", "司法所"), ("73", "党群工作局(宣传)")):
        assert after[key]["状态"] == "已整改", after[key]
        assert "复核评估编号 3" in after[key]["整改佐证"]
    assert after[("22", "党政办")]["责任人"] == "王五" and "已补做合法性审核" in after[("22", "党政办")]["进展"]
    for key in (("48", "综合行政执法局"), ("60", "综合行政执法局"), ("83", "司法所"), ("83", "党政办")):
        assert after[key]["状态"] == "待整改", after[key]
    reviewer_items = [r for k, r in after.items() if k[0] == str(failed_by_reviewer["no"])]
    assert reviewer_items and all(r["状态"] == "待整改" for r in reviewer_items)  # still needs a reviewer's pass

    # 销号 by an evaluator: only a 已整改 item
    run("rectify-item", after[("22", "党政办")]["编号"], "--status", "已销号", "--by", "李四")
    out48 = run("rectify-item", after[("48", "综合行政执法局")]["编号"], "--status", "已销号", code=2)
    assert "只有「已整改」的事项才能销号" in out48.output
    # overdue by date
    run("rectify-item", after[("60", "综合行政执法局")]["编号"], "--deadline", "2020-01-01")
    run("rectify", "--from-store", "--open-only", "-o", out / "open.csv")
    still_open = {(r["指标"].split(".")[0], r["牵头单位"]): r["状态"] for r in items(out / "open.csv")}
    assert still_open[("60", "综合行政执法局")] == "逾期"
    assert ("22", "党政办") not in still_open and ("48", "综合行政执法局") in still_open

    # 5. history: three rounds with their figures
    hist = json.loads(run("history", "柳溪镇人民政府", "--format", "json").stdout)
    rounds = hist["rounds"]
    assert [r["kind"] for r in rounds] == ["自评", "评估", "复核"]
    recheck = json.loads((out / "recheck.json").read_text(encoding="utf-8"))
    assert rounds[2]["score"] == recheck["summary"]["score"] > rounds[0]["score"]  # fixing raised the confirmed score
    assert rounds[2]["estimate"] >= rounds[0]["estimate"] and rounds[2]["range"][0] == rounds[2]["score"]
    assert rounds[1]["score"] == json.loads(run("export", "2", "-o", out / "e.zip") and
                                            zipfile.ZipFile(out / "e.zip").read("result.json"))["summary"]["score"]
    assert rounds[0]["failing"] == 6 and rounds[2]["failing"] < rounds[1]["failing"]
    table = run("history", "示例省示例市青山县/柳溪镇人民政府").stdout
    assert "共 3 次评估" in table and "复核" in table

    # 6. reproduce: archived files + archived rules + the verdict log -> byte-identical JSON
    for aid in ("2", "3"):
        rep = run("reproduce", aid, "-o", out / f"reproduced-{aid}.json")
        assert "逐字节一致" in rep.output
    run("export", "2", "-o", out / "eval.zip")
    with zipfile.ZipFile(out / "eval.zip") as zf:
        assert sorted(zf.namelist()) == ["manifest.json", "report.html", "report.md", "result.json", "verdicts.json"]
        stored = zf.read("result.json")
        manifest = json.loads(zf.read("manifest.json"))
        log = json.loads(zf.read("verdicts.json"))
    assert (out / "reproduced-2.json").read_bytes() == stored
    assert json.loads(stored)["indicators"][failed_by_reviewer["no"] - 1]["override"]["by"] == "李四"
    assert {f["path"] for f in manifest["archived_files"] if f["role"] == "package"} >= {
        "unit.yaml", "ledgers/normative_documents.csv"}
    assert [v["indicator"] for v in log] == [failed_by_reviewer["no"], passed_by_reviewer["no"]]
    assert dt.date.fromisoformat(log[0]["date"]) == dt.date(2026, 11, 20)


def test_reproduce_notices_a_tampered_archive(store_env, tmp_path):
    db, archive = store_env
    run("score", EXAMPLES / "good-county", "--store", "-o", tmp_path / "r.json")
    ledger = next(p for p in archive.rglob("*") if p.is_file() and b"," in p.read_bytes()[:200])
    ledger.write_bytes(ledger.read_bytes() + b"\n")
    out = run("reproduce", "1", code=2)
    assert "归档文件已损坏" in out.output


def test_round_stored_with_verdicts_waivers_and_a_profile_reproduces_byte_for_byte(store_env, tmp_path):
    waivers = tmp_path / "豁免.yaml"
    waivers.write_text("waivers:\n  - indicator: 73\n    justification: 突发事件信息由市级统一发布\n"
                       "    approver: 市法治政府建设示范创建办公室\n    approved: 2023-01-01\n    expires: 2030-12-31\n",
                       encoding="utf-8")
    first = run("score", EXAMPLES / "weak-town", "--format", "json")
    pending = next(i["no"] for i in json.loads(first.stdout)["indicators"] if i["status"] == "needs_review")
    verdicts = tmp_path / "核查.yaml"
    verdicts.write_text(f"- {{indicator: {pending}, verdict: 通过, reviewer: 李四, date: 2026-11-20}}\n", encoding="utf-8")
    run("score", EXAMPLES / "weak-town", "--store", "--profile", "township", "--waivers", waivers, "--review", verdicts,
        "-o", tmp_path / "stored.json")
    stored = json.loads((tmp_path / "stored.json").read_text(encoding="utf-8"))
    assert stored["run"]["profile"] == "township"
    assert next(i for i in stored["indicators"] if i["no"] == 73)["waived"] is True
    assert next(i for i in stored["indicators"] if i["no"] == pending)["override"]["by"] == "李四"
    rep = run("reproduce", "1", "-o", tmp_path / "again.json")
    assert "逐字节一致" in rep.output
    assert (tmp_path / "again.json").read_bytes() == (tmp_path / "stored.json").read_bytes()


def test_tracking_workbook_goes_out_and_comes_back(store_env, tmp_path):
    import openpyxl

    run("score", EXAMPLES / "weak-town", "--store", "--round", "评估", "--register", "-o", tmp_path / "r.json")
    book = tmp_path / "整改台账.xlsx"
    run("rectify", "--from-store", "--lead-unit", "综合行政执法局", "-o", book)
    run("rectify", "--from-store", "--split", tmp_path / "通知", "--format", "docx")
    assert (tmp_path / "通知" / "整改事项-司法所.docx").stat().st_size > 0
    wb = openpyxl.load_workbook(book)
    ws = wb["整改清单"]
    header = [c.value for c in ws[1]]
    col = {h: header.index(h) + 1 for h in header}
    rows = list(range(2, ws.max_row + 1))
    assert rows and all(ws.cell(r, col["牵头单位"]).value == "综合行政执法局" for r in rows)
    first, second = rows[0], rows[1]
    ws.cell(first, col["责任人"]).value = "赵六"
    ws.cell(first, col["状态"]).value = "整改中"
    ws.cell(first, col["进展情况"]).value = "已组织补训"
    ws.cell(second, col["状态"]).value = "已销号"  # a unit cannot sign off: the whole import is refused
    wb.save(book)
    out = run("rectify", "--from-store", "--import", book, code=2)
    assert "只有「已整改」的事项才能销号" in out.output and f"第{second}行" in out.output
    run("rectify", "--from-store", "-o", tmp_path / "now.csv")
    assert all(r["状态"] == "待整改" and not r["责任人"] for r in items(tmp_path / "now.csv"))  # nothing recorded
    ws.cell(second, col["状态"]).value = "待整改"
    wb.save(book)
    run("rectify", "--from-store", "--import", book, "--by", "执法局联络员")
    after = {r["编号"]: r for r in items(_csv(tmp_path))}
    item = after[str(ws.cell(first, col["序号"]).value)]
    assert item["状态"] == "整改中" and item["责任人"] == "赵六" and "已组织补训" in item["进展"]
    # exported again, the workbook carries what the store holds
    run("rectify", "--from-store", "--lead-unit", "综合行政执法局", "-o", tmp_path / "again.xlsx")
    ws2 = openpyxl.load_workbook(tmp_path / "again.xlsx")["整改清单"]
    assert ws2.cell(first, col["责任人"]).value == "赵六" and ws2.cell(first, col["状态"]).value == "整改中"


def _csv(tmp_path):
    run("rectify", "--from-store", "-o", tmp_path / "after.csv")
    return tmp_path / "after.csv"
