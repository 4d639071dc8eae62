"""Batch scoring of many evidence packages in parallel worker processes (``scorecard batch``).

Each worker process loads the rules once and scores the packages it is handed one at a time. It writes
each unit's JSON and Markdown report itself (atomically: temp file + rename) and sends back one small row.
A unit whose package is invalid (``InputError``) or whose check code raises becomes an error row. A worker
that dies (segfault in a C extension, ``os._exit``, OOM kill, timeout) loses only the unit it was scoring:
that unit becomes an error row and a fresh worker takes its place. The parent never imports the rule
backend, so a crash can never reach it.

Workers are forked from the parent once it has loaded the rules and the modules scoring needs, so a worker starts
with them instead of starting a fresh interpreter that imports and loads it all again (about 0.2 s of CPU a
worker) - but only while the parent runs no other thread (a process with threads must not fork: a lock another
thread holds would stay locked in the child); with a progress bar on screen (rich draws it from a thread) workers
are spawned afresh as before.

Outputs are deterministic (no timestamps, fixed order): the same packages and rules give byte-identical
ranking files whatever the number of workers or the order in which units finish.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import multiprocessing as mp
import os
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import wait
from pathlib import Path

from engine.errors import InputError, Problem
from engine.evaluate.checks import num
from engine.files import check_output, output_problem, protect, write_atomic
from engine.rules.catalog import DEFAULT_RULES
from evidence.sheetfit import display_width, row_height

FAILING = ("fail", "partial", "error")  # as in the report's 未达标事项
VERDICT_SUFFIXES = (".yaml", ".yml", ".xlsx")
# ranking figures: row key, column title, what the intro says
FIGURES = {
    "confirmed": ("score", "已确认得分"),
    "estimate": ("estimate", "预估得分(估算)"),
    "high": ("high", "得分区间上限"),
}
CRASH_HOOK_ENV = "SCORECARD_TEST_CRASH_ON"  # tests only: a worker exits hard when a package path contains this text
XLSX_EPOCH = datetime(2000, 1, 1)  # fixed document timestamp: reproducible XLSX files


# ---------------------------------------------------------------- discovery


def discover(paths: list[Path]) -> list[Path]:
    """Each path is a package (has unit.yaml or ledgers/) or a directory whose subdirectories are packages."""
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if not p.is_dir() or (p / "unit.yaml").exists() or (p / "ledgers").is_dir():
            found.append(p)
            continue
        subdirs = sorted(d for d in p.iterdir() if d.is_dir() and not d.name.startswith((".", "_")))
        if not subdirs:
            raise InputError(Problem(str(p), "目录中没有证据包", expected="证据包目录(含 unit.yaml),或其上级目录", code="no_package"))
        found.extend(subdirs)
    return found


_UNSAFE = re.compile(r"[^\w.\-]+")


def unit_keys(packages: list[Path]) -> list[str]:
    """File-name-safe, unique output stems from the package directory names."""
    keys: list[str] = []
    used: set[str] = set()
    for p in packages:
        base = _UNSAFE.sub("_", p.resolve().name if p.name in ("", ".", "..") else p.name).strip("._") or "unit"
        key, n = base, 1
        while key.lower() in used:
            n += 1
            key = f"{base}-{n}"
        used.add(key.lower())
        keys.append(key)
    return keys


# ---------------------------------------------------------------- one unit (runs in a worker)


def _atomic_write(path: Path, text: str) -> None:
    write_atomic(path, text)


def _error_row(key: str, package: Path, message: str) -> dict:
    return {"key": key, "package": str(package), "ok": False, "unit": key, "region": "", "unit_type": "", "score": None,
            "estimate": None,
            "high": None, "complete": None, "categories": {}, "statuses": {}, "verdict": "", "error": message,
            "review_files": [], "waiver_files": []}


def unit_files(folder: Path | None, key: str, unit_name: str) -> list[Path]:
    """The verdict (or waiver) files of one unit in ``folder``: named after its package directory or its unit name."""
    if folder is None:
        return []
    out = []
    for stem in dict.fromkeys((key, unit_name)):
        for suffix in VERDICT_SUFFIXES:
            path = Path(folder) / f"{stem}{suffix}"
            if path.is_file():
                out.append(path)
    return out


def score_unit(package: Path, key: str, rules, backend, out_dir: Path, review_dir: Path | None = None,
               waivers_dir: Path | None = None, as_of=None) -> dict:
    """Score one package (with its verdicts and waivers from the folders, matched by package directory name or unit
    name), write ``units/<key>.json|.md``, return its ranking row. Never raises for user errors."""
    from engine.evaluate.pipeline import score
    from engine.output.render import render
    from engine.review import finalize
    from evidence.package import load_package

    crash_on = os.environ.get(CRASH_HOOK_ENV)
    if crash_on and crash_on in str(package):
        os._exit(70)
    units = out_dir / "units"
    try:
        pkg = load_package(package, rules.ledgers)
        result = score(pkg, rules, backend)
        reviews = unit_files(review_dir, key, pkg.unit.name)
        waivers = unit_files(waivers_dir, key, pkg.unit.name)
        result = finalize(result, rules.catalog, pkg, reviews, waivers, as_of)
        json_text = result.to_json()
        md_text = render(result, "report.md.j2")
    except InputError as exc:
        errors = [p for p in exc.problems if p.severity == "error"] or exc.problems
        more = f"(另有 {sum(p.count for p in errors) - 1} 个错误,见 units/{key}.errors.txt)" if len(errors) > 1 else ""
        _remove_reports(units, key)
        _atomic_write(units / f"{key}.errors.txt", "".join(p.format() + "\n" for p in exc.problems))
        return _error_row(key, package, f"证据包有误:{errors[0].format()}{more}")
    except Exception as exc:  # a defect must not sink the batch
        _remove_reports(units, key)
        return _error_row(key, package, f"评分出错:{type(exc).__name__}: {exc}")
    _atomic_write(units / f"{key}.json", json_text)
    _atomic_write(units / f"{key}.md", md_text)
    (units / f"{key}.errors.txt").unlink(missing_ok=True)
    return {
        "key": key, "package": str(package), "ok": True, "unit": result.unit.name, "region": result.unit.region,
        "unit_type": result.unit.type,
        "score": result.summary.score, "estimate": result.summary.estimate.score, "high": result.summary.range.high,
        "complete": result.summary.complete, "categories": {c.no: c.earned for c in result.categories},
        "statuses": {i.no: i.status for i in result.indicators}, "verdict": result.summary.verdict, "error": None,
        "review_files": [p.name for p in reviews], "waiver_files": [p.name for p in waivers],
    }


def _warm_up() -> None:
    """Import what scoring a unit imports on first use (the columnar reader's pyarrow, the report template), so it
    is part of the worker's frozen start-up rather than of its first unit."""
    from engine.output.render import environment
    from engine.review import finalize  # noqa: F401
    from evidence.columns import arrow

    arrow()
    environment().get_template("report.md.j2")


def _remove_reports(units: Path, key: str) -> None:
    for suffix in (".json", ".md"):
        (units / f"{key}{suffix}").unlink(missing_ok=True)


def _worker_main(conn, rules_dir: str, backend_name: str, out_dir: str, options: dict | None = None) -> None:
    """Worker loop: load rules once, then score (index, key, path) tasks until told to stop (None).

    Start-up (the rules and the modules every unit needs) runs with the cyclic collector paused and is then frozen
    (``gc.freeze``), so the collections while scoring units walk only the units' objects, not the rules and modules
    again and again."""
    init_error = None
    rules = backend = None
    paused = gc.isenabled()
    gc.disable()
    try:
        from engine.evaluate.backends import get_backend
        from engine.evaluate.pipeline import load_rules

        options = options or {}
        rules = load_rules(Path(rules_dir), profile=options.get("profile", "base"))
        backend = get_backend(backend_name)
    except InputError as exc:
        init_error = "规则有误:" + exc.problems[0].format()
    except Exception as exc:
        init_error = f"工作进程初始化失败:{type(exc).__name__}: {exc}"
    try:
        _warm_up()
    except Exception:  # noqa: BLE001 - only a head start: the first unit imports (and reports) it again
        pass
    finally:
        if paused:
            gc.freeze()
            gc.enable()
    while True:
        try:
            task = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if task is None:
            return
        index, key, package = task
        if init_error:
            row = _error_row(key, Path(package), init_error)
        else:
            row = score_unit(Path(package), key, rules, backend, Path(out_dir), options.get("review_dir"),
                             options.get("waivers_dir"), options.get("as_of"))
        conn.send((index, row))


# ---------------------------------------------------------------- the pool (runs in the parent)


def start_method() -> str:
    """``fork`` while this process runs no other thread (counted by the kernel, so threads a C library started
    count too), else ``spawn``."""
    if "fork" not in mp.get_all_start_methods():
        return "spawn"
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:  # no /proc: threads cannot be counted, so never fork
        return "spawn"
    return "fork" if threads == 1 else "spawn"


@dataclass
class _Worker:
    proc: mp.Process
    conn: object
    task: tuple | None = None
    started: float = 0.0
    done: int = 0


@dataclass
class BatchResult:
    rows: list[dict]  # in task order
    out_dir: Path
    files: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[dict]:
        return [r for r in self.rows if not r["ok"]]


def run_pool(tasks: list[tuple[str, Path]], out_dir: Path, rules_dir: Path, backend: str = "auto", jobs: int = 1,
             timeout: float | None = None, max_tasks_per_worker: int = 0,
             on_done: Callable[[dict], None] | None = None, options: dict | None = None) -> list[dict]:
    """Score ``(key, package)`` tasks in ``jobs`` worker processes; return one row per task, in task order.

    ``options``: profile, review_dir, waivers_dir, as_of (passed to every worker)."""
    pending = deque((i, key, str(path)) for i, (key, path) in enumerate(tasks))
    rows: list[dict | None] = [None] * len(tasks)
    workers: list[_Worker] = []

    def spawn() -> _Worker:
        ctx = mp.get_context(start_method())
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker_main, args=(child, str(rules_dir), backend, str(out_dir), options), daemon=True)
        proc.start()
        child.close()
        w = _Worker(proc, parent)
        workers.append(w)
        return w

    def retire(w: _Worker, kill: bool = False, told: bool = False) -> None:
        if kill and w.proc.is_alive():
            w.proc.kill()
        elif not told:
            try:
                w.conn.send(None)
            except OSError:
                pass
        w.proc.join(timeout=5)
        if w.proc.is_alive():
            w.proc.kill()
            w.proc.join()
        w.conn.close()
        workers.remove(w)

    def finish(w: _Worker, row: dict) -> None:
        index = w.task[0]
        rows[index] = row
        w.task = None
        w.done += 1
        if on_done:
            on_done(row)

    for _ in range(max(1, min(jobs, len(tasks)))):
        spawn()
    try:
        while pending or any(w.task for w in workers):
            for w in list(workers):
                if w.task is None and pending:
                    if max_tasks_per_worker and w.done >= max_tasks_per_worker:
                        retire(w)
                        w = spawn()
                    w.task = pending.popleft()
                    w.started = time.monotonic()
                    w.conn.send(w.task)
            busy = [w for w in workers if w.task]
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=1.0 if timeout else None)
            for w in busy:
                if w.conn in ready or w.proc.sentinel in ready:
                    got = None
                    try:
                        if w.conn.poll():
                            got = w.conn.recv()
                    except (EOFError, OSError):
                        got = None
                    if got is not None:
                        finish(w, got[1])
                        continue
                    if w.proc.is_alive() and w.proc.sentinel not in ready:
                        continue
                    index, key, package = w.task
                    w.proc.join()
                    finish(w, _error_row(key, Path(package), f"评分进程异常退出(退出码 {w.proc.exitcode}),本单位未评分"))
                    retire(w, kill=True)
                    if pending:
                        spawn()
                elif timeout and time.monotonic() - w.started > timeout:
                    index, key, package = w.task
                    finish(w, _error_row(key, Path(package), f"评分超时(超过 {timeout:g} 秒),本单位未评分"))
                    retire(w, kill=True)
                    if pending:
                        spawn()
    finally:
        idle = {id(w): w for w in workers if not w.task}
        for w in idle.values():  # all told first, so they shut down side by side rather than one after the other
            try:
                w.conn.send(None)
            except OSError:
                pass
        for w in list(workers):
            retire(w, kill=bool(w.task), told=id(w) in idle)
    return rows  # type: ignore[return-value]


# ---------------------------------------------------------------- ranking and summary


TYPE_ORDER = ("县", "区", "镇", "街道", "部门")


def _type_key(unit_type: str) -> tuple[int, str]:
    return (TYPE_ORDER.index(unit_type), "") if unit_type in TYPE_ORDER else (len(TYPE_ORDER), unit_type or "")


def ranking(rows: list[dict], by: str = "confirmed") -> list[dict]:
    """Scored units ranked within their unit type (县, 区, 镇, 街道 and 部门 are not compared with each other), by the
    figure ``by`` (confirmed | estimate | high; desc) then unit name then key, with competition ranks; types in
    ``TYPE_ORDER``; error rows last, by key."""
    field = FIGURES[by][0]
    ok = sorted((r for r in rows if r["ok"]),
                key=lambda r: (_type_key(r.get("unit_type", "")), -r[field], r["unit"], r["key"]))
    out: list[dict] = []
    pos = 0
    for r in ok:
        same_type = bool(out) and out[-1].get("unit_type", "") == r.get("unit_type", "")
        pos = pos + 1 if same_type else 1
        rank = out[-1]["rank"] if same_type and out[-1][field] == r[field] else pos
        out.append({**r, "rank": rank})
    out.extend({**r, "rank": None} for r in sorted((r for r in rows if not r["ok"]), key=lambda r: r["key"]))
    return out


def failing_summary(rows: list[dict], catalog) -> list[dict]:
    """Per indicator: in how many scored units it is failing (fail/partial/error) or lacks evidence."""
    scored = [r for r in rows if r["ok"]]
    out = []
    for ind in catalog.indicators:
        statuses = [r["statuses"].get(ind.no) for r in scored]
        failing = sum(1 for s in statuses if s in FAILING)
        out.append({"no": ind.no, "category": ind.category, "title": ind.title, "points": ind.points, "failing": failing,
                    "fail": statuses.count("fail"), "partial": statuses.count("partial"), "error": statuses.count("error"),
                    "missing_evidence": statuses.count("missing_evidence"),
                    "share": round(failing / len(scored), 4) if scored else 0.0})
    out.sort(key=lambda x: (-x["failing"], -x["missing_evidence"], x["no"]))
    return out


def _num(x) -> str:
    if x is None:
        return ""
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:.4f}".rstrip("0").rstrip(".")


def table(ranked: list[dict], catalog) -> tuple[list[str], list[list]]:
    cats = catalog.edition.categories
    header = ["排名", "单位", "单位类型", "证据包", "已确认得分", "预估得分(估算)", "得分区间上限",
              *[f"{c.no}.{c.name}(已确认)" for c in cats], "未达标项数", "核查结论文件", "结论", "说明"]
    body = []
    for r in ranked:
        if r["ok"]:
            failing = sum(1 for s in r["statuses"].values() if s in FAILING)
            body.append([r["rank"], r["unit"], r.get("unit_type", ""), r["key"], r["score"], r.get("estimate"), r.get("high"),
                         *[r["categories"].get(c.no, 0.0) for c in cats], failing, "、".join(r.get("review_files") or []) or "无",
                         r["verdict"], ""])
        else:
            body.append(["", r["unit"], r.get("unit_type", ""), r["key"], "", "", "", *["" for _ in cats], "", "", "评分失败",
                         r["error"]])
    return header, body


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _num(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(path: Path, header: list[str], body: list[list]) -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in body:
        writer.writerow([csv_cell(v) for v in row])
    write_atomic(path, ("\ufeff" + buf.getvalue()).encode("utf-8"))  # BOM: Excel opens Chinese CSV correctly


def _cell_text(v) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _num(v)
    return "" if v is None else str(v)


def write_xlsx(path: Path, sheets: list[tuple[str, list[str], list[list]]]) -> None:

    write_atomic(path, writer=lambda tmp: _xlsx(tmp, sheets))


def _xlsx(tmp: Path, sheets: list[tuple[str, list[str], list[list]]]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"created": XLSX_EPOCH, "title": "法治政府建设示范创建批量评估"})
    bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "border": 1, "bg_color": "#D9E1F2"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top", "border": 1})
    for name, header, body in sheets:
        ws = wb.add_worksheet(name)
        widths = [min(36.0, max(8.0, min(display_width(str(h)), 14) + 2,
                                *(display_width(_cell_text(r[c])) + 2 for r in body))) for c, h in enumerate(header)]
        for col, h in enumerate(header):
            ws.write_string(0, col, str(h), bold)
            ws.set_column(col, col, widths[col])
        ws.set_row(0, row_height(zip(header, widths)))
        for r, row in enumerate(body, start=1):
            for col, v in enumerate(row):
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    ws.write_number(r, col, v, wrap)
                elif v is None or v == "":
                    ws.write_blank(r, col, None, wrap)
                else:
                    ws.write_string(r, col, str(v), wrap)
            ws.set_row(r, row_height((_cell_text(v), w) for v, w in zip(row, widths)))
        ws.freeze_panes(1, 0)
        ws.repeat_rows(0)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_footer("&C第 &P 页,共 &N 页")
    wb.close()


def write_html(path: Path, title: str, sections: list[tuple[str, list[str], list[list]]], intro: list[str],
               notes: list[str] | None = None) -> None:
    """A ranking page from ``templates/ranking.html.j2`` with the reports' stylesheet (one table per section;
    numbers right-aligned with at most two decimals, rows that failed to score highlighted)."""
    from engine.output.render import environment

    def cell(v) -> dict:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return {"text": num(v), "number": True}
        return {"text": "" if v is None else str(v), "number": False}

    data = []
    for k, (heading, header, body) in enumerate(sections):
        rows = [{"cells": [cell(v) for v in row], "error": bool(row) and "评分失败" in row} for row in body]
        numeric = [bool(body) and all(isinstance(r[i], (int, float)) or r[i] in (None, "") for r in body)
                   for i in range(len(header))]
        data.append({"heading": heading, "header": [str(h) for h in header], "rows": rows, "numeric": numeric,
                     "note": (notes or [])[k] if notes and k < len(notes) else ""})
    page = environment().get_template("ranking.html.j2").render(title=title, intro=intro, sections=data,
                                                               footer="scorecard 生成")
    write_atomic(path, page)


def summary_table(summary: list[dict], top: int | None = None) -> tuple[list[str], list[list]]:
    header = ["指标", "类别", "指标名称", "分值", "未达标单位数", "未达标占比", "未通过", "部分通过", "错误", "缺少证据"]
    items = [s for s in summary if s["failing"] or s["missing_evidence"]]
    body = [[s["no"], s["category"], s["title"], s["points"], s["failing"], f"{s['share'] * 100:.1f}%", s["fail"], s["partial"],
             s["error"], s["missing_evidence"]] for s in items[:top]]
    return header, body


def write_outputs(rows: list[dict], catalog, out_dir: Path, rank_by: str = "confirmed") -> list[Path]:
    ranked = ranking(rows, rank_by)
    header, body = table(ranked, catalog)
    summary = failing_summary(rows, catalog)
    s_header, s_body = summary_table(summary)
    n_ok = sum(1 for r in rows if r["ok"])
    intro = [f"共 {len(rows)} 个单位:评分 {n_ok} 个,失败 {len(rows) - n_ok} 个。",
             f"规则版本:{catalog.edition.id}({catalog.digest[:12]})。排序:{FIGURES[rank_by][1]}从高到低,同分按单位名称。",
             "已确认得分:待人工核查的核查项按 0 分计;预估得分:待核查项按自动检查得分率估算(非正式结论);"
             "得分区间上限:待核查项全部判为通过。"]
    incomplete = [r["unit"] for r in rows if r["ok"] and not r.get("complete", True)]
    if incomplete:
        intro.append("评估未完成(有检查出错,得分不完整):" + "、".join(incomplete) + "。")
    files = [out_dir / "ranking.csv", out_dir / "ranking.xlsx", out_dir / "ranking.html", out_dir / "failing_indicators.csv",
             out_dir / "summary.json"]
    write_csv(files[0], header, body)
    groups: dict[str, list[list]] = {}
    for r, row in zip(ranked, body):
        groups.setdefault(r.get("unit_type") or "" if r["ok"] else "评分失败", []).append(row)
    sections = [(f"{t}排名(共 {len(rows_)} 个单位)" if t != "评分失败" else f"评分失败(共 {len(rows_)} 个)", header, rows_)
                for t, rows_ in groups.items()]
    notes = ["各单位类型分别排名:县、区、镇、街道、部门之间不作比较。" if t != "评分失败" else "" for t in groups]
    write_xlsx(files[1], [("排名", header, body), *[(f"排名-{t}"[:31], header, rows_) for t, rows_ in groups.items()
                                                     if t and t != "评分失败" and len(groups) > 1],
                          ("未达标指标", s_header, s_body)])
    write_html(files[2], "法治政府建设示范创建批量评估排名", [*sections, ("各指标未达标情况", s_header, s_body)], intro,
               notes=[*notes, ""])
    write_csv(files[3], s_header, s_body)
    data = {
        "units": len(rows), "scored": n_ok, "errors": len(rows) - n_ok, "rules_edition": catalog.edition.id,
        "rules_digest": catalog.digest, "ranked_by": FIGURES[rank_by][1],
        "incomplete": sorted(r["key"] for r in rows if r["ok"] and not r.get("complete", True)),
        "ranking": [{k: r.get(k) for k in ("rank", "unit", "unit_type", "key", "package", "score", "estimate", "high", "complete",
                                           "review_files", "verdict", "error")}
                    | {"categories": {str(k): v for k, v in sorted(r["categories"].items())},
                       "failing": sorted(no for no, s in r["statuses"].items() if s in FAILING)} for r in ranked],
        "failing_indicators": [s for s in summary if s["failing"] or s["missing_evidence"]],
    }
    write_atomic(files[4], json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return files


def run_batch(paths: list[Path], out_dir: Path, rules_dir: Path = DEFAULT_RULES, backend: str = "auto", jobs: int = 1,
              timeout: float | None = None, max_tasks_per_worker: int = 0,
              on_start: Callable[[int], None] | None = None, on_done: Callable[[dict], None] | None = None,
              profile: str = "base", review_dir: Path | None = None, waivers_dir: Path | None = None, as_of=None,
              rank_by: str = "confirmed") -> BatchResult:
    """Discover packages, score them in parallel (with each unit's verdicts and waivers from ``review_dir`` /
    ``waivers_dir``, files named after the package directory or the unit name), write per-unit reports, the ranking
    (by ``rank_by``) and the summary."""
    from engine.evaluate.pipeline import load_rules

    # validate the rules once, up front: a rules error is a user error, not N error rows
    rules = load_rules(rules_dir, profile=profile)
    for folder in (review_dir, waivers_dir):
        if folder is not None and not Path(folder).is_dir():
            raise InputError(Problem(str(folder), "找不到目录", expected="各单位核查结论(或豁免)文件所在的目录", code="usage"))
    options = {"profile": profile, "review_dir": review_dir, "waivers_dir": waivers_dir, "as_of": as_of}
    packages = discover(paths)
    keys = unit_keys(packages)
    out_dir = Path(out_dir)
    for package in packages:  # evidence is read-only: no report, ranking or unit folder inside a package
        protect(root=package)
    check_output(out_dir)
    check_output(out_dir / "units")
    try:
        (out_dir / "units").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_problem(out_dir, exc) from None
    if on_start:
        on_start(len(packages))
    # what a worker imports besides the rules, loaded here once: a forked worker starts with it (the parent renders
    # the ranking page with the same environment); never the rule backend, nor pyarrow (it starts threads)
    from engine.output.render import environment
    from engine.review import finalize  # noqa: F401

    environment().get_template("report.md.j2")
    rows = run_pool(list(zip(keys, packages)), out_dir, Path(rules_dir), backend, jobs, timeout, max_tasks_per_worker, on_done,
                    options)
    files = write_outputs(rows, rules.catalog, out_dir, rank_by)
    return BatchResult(rows=rows, out_dir=out_dir, files=files)
