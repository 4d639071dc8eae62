"""CLI of the results store: ``db init|upgrade|backup``, ``history``, ``ranking``, ``export``, ``reproduce``,
``review import|export``, ``rectify-item``; plus the ``--store`` options that ``score``, ``batch`` and
``rectify`` take."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from engine.cli.options import EXIT_BELOW, write_output
from engine.store.vocabulary import ROUND_KINDS
from evidence.models import UNIT_TYPES

db_option = click.option("--db", "db", envvar="SCORECARD_DB", default=None, metavar="路径或URL",
                         help="结果库:SQLite 文件路径(默认 ./scorecard.db)或 postgresql+psycopg://… 地址;也可用环境变量 SCORECARD_DB")
archive_option = click.option("--archive", "archive", envvar="SCORECARD_ARCHIVE", default=None,
                              type=click.Path(file_okay=False), metavar="目录",
                              help="佐证归档目录(默认:SQLite 结果库旁的 <库名>.archive/;PostgreSQL 必须指定);也可用环境变量 SCORECARD_ARCHIVE")
round_option = click.option("--round", "round_kind", type=click.Choice(ROUND_KINDS), default=None,
                            help="评估轮次:自评、评估、复核(入库时默认自评)")


def store_options(f):
    """Options added to ``score``/``batch`` for storing rounds."""
    for opt in reversed((
        click.option("--store", "to_store", is_flag=True, help="把本次评估存入结果库(连同证据文件归档)"),
        round_option, db_option, archive_option,
        click.option("--unit", "unit_uid", default=None, metavar="编号",
                     help="单位在结果库中的编号(默认:unit.yaml 的 地区/名称)"),
        click.option("--parent", "parent_uid", default=None, metavar="编号", help="上级单位编号(登记新单位时)"),
        click.option("--register", is_flag=True, help="登记新单位(评估、复核轮次默认要求单位已在库中)"),
        click.option("--assessor", default="", help="评估人员或评估组"),
    )):
        f = opt(f)
    return f


def store_score(package: Path, rules_dir: Path, backend: str, profile: str, review_files, waiver_files, as_of, *, db,
                archive, round_kind, unit_uid, parent_uid, register, assessor):
    """``score --store``: score the package, store the round (verdicts into the log), return (id, current result)."""
    from engine.evaluate.backends import get_backend
    from engine.evaluate.pipeline import load_rules, score
    from evidence.package import load_package

    rules = load_rules(rules_dir, profile=profile)
    pkg = load_package(package, rules.ledgers)
    for w in pkg.warnings:
        click.echo(w.format(), err=True)
    automated = score(pkg, rules, get_backend(backend))
    return store_scored(package, automated, rules, rules_dir, profile, db=db, archive=archive, kind=round_kind,
                        uid=unit_uid, parent=parent_uid, register=register, assessor=assessor,
                        review_files=review_files, waiver_files=waiver_files, as_of=as_of.date() if as_of else None)


def store_scored(package: Path, scored, rules, rules_dir: Path, profile: str, *, db, archive, kind, uid, parent,
                 register, assessor, review_files, waiver_files, as_of):
    """Store one scored package as a round; returns (assessment id, the round's current result)."""
    from engine.review.finalize import load_verdicts
    from engine.rules.profiles import resolve_profile
    from engine.store.db import archive_for, open_store, resolve_url
    from engine.store.record import RoundInput, check_location, record_round

    verdicts = load_verdicts(list(review_files))[0] if review_files else []
    url = resolve_url(db)
    check_location(url, archive_for(url, archive), Path(package))  # before an SQLite file could be created
    with open_store(db, archive, create=True) as store:
        rin = RoundInput(package=Path(package), scored=scored, rules_dir=Path(rules_dir),
                         profile_file=resolve_profile(profile) if profile else None, kind=kind or "自评",
                         assessor=assessor, uid=uid, parent=parent, register=register, verdicts=verdicts,
                         waiver_files=tuple(Path(p) for p in waiver_files), as_of=as_of)
        aid, result = record_round(store, rin, rules.catalog)
    click.echo(f"已存入结果库 {store.shown}:评估编号 {aid}({rin.kind})", err=True)
    return aid, result


def store_batch(rows: list[dict], out_dir: Path, rules_dir: Path, profile: str = "base", *, db, archive, kind, register,
                assessor) -> list[str]:
    """``batch --store``: each scored unit stored as a round, one transaction per unit; returns error lines."""
    from engine.errors import InputError
    from engine.evaluate.pipeline import load_rules
    from engine.results import ScoreResult
    from engine.rules.profiles import resolve_profile
    from engine.store.db import open_store
    from engine.store.record import RoundInput, record_round

    rules = load_rules(rules_dir, profile=profile)
    store = open_store(db, archive, create=True)
    errors: list[str] = []
    stored = 0
    try:
        for row in rows:
            if not row["ok"]:
                continue
            scored = ScoreResult.model_validate_json((out_dir / "units" / f"{row['key']}.json").read_text(encoding="utf-8"))
            rin = RoundInput(package=Path(row["package"]), scored=scored, rules_dir=Path(rules_dir),
                             profile_file=resolve_profile(profile), kind=kind or "评估", assessor=assessor, register=register)
            try:
                record_round(store, rin, rules.catalog)
                stored += 1
            except InputError as exc:
                errors.append(f"{row['key']}:" + exc.problems[0].format())
    finally:
        store.dispose()
    click.echo(f"已存入结果库 {store.shown}:{stored} 个单位({kind or '评估'}),未入库 {len(errors)} 个", err=True)
    for line in errors:
        click.echo(f"  未入库 {line}", err=True)
    return errors


def _open(db, archive=None):
    from engine.store.db import open_store

    return open_store(db, archive)


# ------------------------------------------------------------------ db


@click.group("db")
def db_group() -> None:
    """结果库管理:初始化、升级结构、备份。"""


@db_group.command("init")
@db_option
def db_init(db) -> None:
    """新建结果库(空数据库中建表;已有结果库则升级到最新结构)。"""
    from engine.store.db import init_db, shown

    url, head = init_db(db)
    click.echo(f"结果库已就绪:{shown(url)}(结构版本 {head})", err=True)


@db_group.command("upgrade")
@db_option
def db_upgrade(db) -> None:
    """把结果库升级到本程序的结构版本(升级前请先备份)。"""
    from engine.store.db import init_db, shown

    url, head = init_db(db)
    click.echo(f"结果库已升级:{shown(url)}(结构版本 {head})", err=True)


@db_group.command("backup")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@archive_option
def db_backup(output: Path, db, archive) -> None:
    """备份结果库到 OUTPUT(SQLite:一致的副本;PostgreSQL:pg_dump),佐证归档一并复制到 <OUTPUT>.archive/。"""
    from engine.store.db import backup

    for path in backup(db, output, archive):
        click.echo(f"已写入 {path}", err=True)


# ------------------------------------------------------------------ history / ranking


def _num(x) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else f"{x:.2f}")


@click.command("history")
@click.argument("unit")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@db_option
def history_cmd(unit: str, fmt: str, db) -> None:
    """列出一个单位历次评估(自评、评估、复核)的得分与结论。UNIT 为单位编号(地区/名称)或名称。"""
    from engine.store.queries import history

    with _open(db) as store:
        with store.session() as session:
            u, rows = history(session, unit)
    if fmt == "json":
        click.echo(json.dumps({"unit": {"uid": u.uid, "name": u.name, "type": u.type, "region": u.region},
                               "rounds": rows}, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"{u.name}({u.type},{u.region or '未填地区'};编号 {u.uid}):共 {len(rows)} 次评估")
    click.echo("编号  轮次  创建周期                 评估时间          已确认得分  预估得分  得分区间        "
               "未达标  缺少证据  待核查  结论")
    for r in rows:
        span = f"{_num(r['range'][0])}~{_num(r['range'][1])}"
        click.echo(f"{r['id']:>4}  {r['kind']}  {r['period']:<23}  {r['scored_at']}  {_num(r['score']):>10}  "
                   f"{_num(r['estimate']):>8}  {span:<14}  {r['failing']:>6}  {r['missing_evidence']:>8}  "
                   f"{r['needs_review']:>6}  {r['verdict']}")


RANK_HEADER = ["排名", "单位", "类型", "地区", "单位编号", "评估编号", "轮次", "已确认得分", "预估得分", "得分区间上限", "结论",
               "未达标指标数", "缺少证据指标数"]


def ranking_rows(rows: list[dict]) -> tuple[list[str], list[list]]:
    cats = sorted({int(k) for r in rows for k in (r["categories"] or {})})
    names = {}
    for r in rows:
        for k, v in (r["categories"] or {}).items():
            names.setdefault(int(k), v["name"])
    header = RANK_HEADER + [f"{c}. {names[c]}" for c in cats]
    body = [[r["rank"], r["unit"], r["type"], r["region"], r["uid"], r["assessment"], r["kind"], r["score"], r["estimate"],
             r["high"], r["verdict"], r["failing"], r["missing_evidence"]] + [(r["categories"] or {}).get(str(c), {}).get("earned") for c in cats]
            for r in rows]
    return header, body


@click.command("ranking")
@click.option("--round", "round_kind", type=click.Choice(ROUND_KINDS), default=None, help="只看该轮次(默认各单位最近一次评估)")
@click.option("--type", "unit_type", type=click.Choice(list(UNIT_TYPES)), default=None, help="单位类型")
@click.option("--region", default=None, help="地区(前缀匹配,如 示例省示例市)")
@click.option("--rank-by", type=click.Choice(["confirmed", "estimate", "high"]), default="confirmed", show_default=True,
              help="排名依据:confirmed 已确认得分;estimate 预估得分;high 得分区间上限")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "xlsx", "html"]), default=None,
              help="输出格式(默认按 -o 的扩展名,否则为表格)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="输出文件")
@db_option
def ranking_cmd(round_kind, unit_type, region, rank_by, fmt, output: Path | None, db) -> None:
    """结果库中各单位的横向排名:各单位类型分别排名(按所选得分从高到低,同分按名称),可按轮次、单位类型、地区筛选。"""
    from engine.batch import write_csv, write_html, write_xlsx
    from engine.store.queries import ranking

    with _open(db) as store:
        with store.session() as session:
            rows = ranking(session, round_kind, unit_type, region, rank_by)
    header, body = ranking_rows(rows)
    fmt = fmt or (output.suffix.lstrip(".").lower() if output else "table")
    if fmt not in ("table", "csv", "xlsx", "html"):
        fmt = "table"
    if fmt in ("xlsx", "html") and output is None:
        raise click.UsageError(f"{fmt} 格式需要用 -o 指定输出文件")
    from engine.store.queries import RANK_BY

    title = "法治政府建设示范创建横向排名" + (f"({round_kind})" if round_kind else "") + f",排名依据:{RANK_BY[rank_by]}"
    if fmt == "table":
        lines = [f"{title}:共 {len(rows)} 个单位(各单位类型分别排名)"]
        for n, r in enumerate(rows):
            if n == 0 or rows[n - 1]["type"] != r["type"]:
                lines.append(f"【{r['type']}】")
            lines.append(f"{r['rank']:>4}  {_num(r['score']):>6}  预估 {_num(r['estimate']):>6}  {r['unit']}({r['type']},{r['region']})  "
                         f"{r['kind']} 编号 {r['assessment']}  未达标 {r['failing']} 项  {r['verdict']}")
        write_output("\n".join(lines) + "\n", output)
        return
    groups: dict[str, list[list]] = {}
    for r, row in zip(rows, body):
        groups.setdefault(r["type"], []).append(row)
    if fmt == "csv":
        write_csv(output, header, body)
    elif fmt == "xlsx":
        write_xlsx(output, [("排名", header, body),
                            *[(f"排名-{t}"[:31], header, part) for t, part in groups.items() if len(groups) > 1]])
    else:
        intro = [f"共 {len(rows)} 个单位。各单位类型分别排名:县、区、镇、街道、部门之间不作比较。",
                 "已确认得分:待人工核查的核查项按 0 分计;预估得分:按自动检查得分率估算(非正式结论);得分区间上限:待核查项全部判为通过。"]
        write_html(output, title, [(f"{t}排名(共 {len(part)} 个单位)", header, part) for t, part in groups.items()], intro)
    click.echo(f"已写入 {output}:{len(rows)} 个单位", err=True)


# ------------------------------------------------------------------ export / reproduce


@click.command("export")
@click.argument("assessment")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="输出的 zip 文件")
@db_option
def export_cmd(assessment: str, output: Path, db) -> None:
    """导出一次评估:结果 JSON、评估报告(Markdown、HTML)、证据清单与归档文件摘要、核查结论记录,打包为 zip。"""
    from engine.store.queries import export

    with _open(db) as store:
        with store.session() as session:
            export(session, assessment, output)
    click.echo(f"已写入 {output}", err=True)


@click.command("reproduce")
@click.argument("assessment")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="重新评分得到的 JSON(默认不输出)")
@click.option("--backend", type=click.Choice(["auto", "durable", "python"]), default="auto", help="规则引擎后端")
@db_option
@archive_option
def reproduce_cmd(assessment: str, output: Path | None, backend: str, db, archive) -> None:
    """用归档的证据文件、规则与核查结论重新评分,核对与入库结果是否逐字节一致(一致退出码 0,不一致 1)。"""
    from engine.store.record import reproduce

    with _open(db, archive) as store:
        stored, again = reproduce(store, assessment, backend)
    if output is not None:
        write_output(again, output)
    if stored == again:
        click.echo(f"评估 {assessment}:重新评分结果与入库结果逐字节一致({len(again.encode())} 字节)。", err=True)
        return
    import difflib

    diff = list(difflib.unified_diff(stored.splitlines(), again.splitlines(), "入库结果", "重新评分", lineterm="", n=1))
    click.echo(f"评估 {assessment}:重新评分结果与入库结果不一致:", err=True)
    for line in diff[:40]:
        click.echo(line, err=True)
    sys.exit(EXIT_BELOW)


# ------------------------------------------------------------------ review import / export


@click.group("review")
def review_group() -> None:
    """人工核查结论与结果库:导入(追加到核查记录,最新的结论生效)、导出。"""


@review_group.command("import")
@click.argument("assessment")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@db_option
@archive_option
def review_import(assessment: str, files: tuple[Path, ...], db, archive) -> None:
    """把核查结论文件(YAML 或核查工作表 .xlsx)追加到评估 ASSESSMENT 的核查记录,并重新计分。"""
    from engine.review.finalize import load_verdicts
    from engine.store.record import record_verdicts

    verdicts, _ = load_verdicts(list(files))
    with _open(db, archive) as store:
        result = record_verdicts(store, assessment, verdicts)
    s = result.summary
    click.echo(f"评估 {assessment}:已记录 {len(verdicts)} 条核查结论;总分 {s.score:g}/{s.total_points:g},{s.verdict}", err=True)


@review_group.command("export")
@click.argument("assessment")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="输出文件:.xlsx 为核查工作表(待人工核查指标),.yaml 为当前生效的核查结论")
@db_option
def review_export(assessment: str, output: Path, db) -> None:
    """导出评估 ASSESSMENT 的核查工作表(.xlsx)或当前生效的核查结论(.yaml)。"""
    from sqlalchemy import select

    from engine.results import ScoreResult
    from engine.store.models import VerdictLog
    from engine.store.record import _located, get_assessment

    with _open(db) as store:
        with store.session() as session:
            a = get_assessment(session, assessment)
            result = ScoreResult.model_validate_json(a.current_json)
            log = session.scalars(select(VerdictLog).where(VerdictLog.assessment_id == a.id).order_by(VerdictLog.id)).all()
            located = _located(list(log))
    if output.suffix.lower() == ".xlsx":
        from engine.review.sheet import write_sheet

        n = write_sheet(result, output)
        click.echo(f"已写入 {output}:待人工核查 {n} 项。", err=True)
        return
    import yaml

    data = {"verdicts": [{k: v for k, v in lv.verdict.model_dump(mode="json").items() if v not in (None, [])}
                         for lv in located]}
    write_output(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), output)


# ------------------------------------------------------------------ rectification items


@click.command("rectify-item")
@click.argument("item", type=int)
@click.option("--status", type=click.Choice(["待整改", "整改中", "已整改", "已销号"]), help="新的状态(逾期按整改时限自动判断)")
@click.option("--responsible", help="责任人")
@click.option("--deadline", type=click.DateTime(["%Y-%m-%d"]), help="整改时限 YYYY-MM-DD")
@click.option("--note", help="整改进展说明")
@click.option("--evidence", help="整改佐证(说明或归档文件摘要)")
@click.option("--by", "author", default="", help="操作人")
@db_option
def rectify_item_cmd(item: int, status, responsible, deadline, note, evidence, author, db) -> None:
    """更新一项整改事项:责任人、整改时限、进展、佐证、状态(已整改的事项由评估人员销号)。"""
    from engine.store.tracking import effective_status, update_item

    with _open(db) as store:
        with store.transaction() as session:
            it = update_item(session, item, author=author, status=status, responsible=responsible,
                             deadline=deadline.date() if deadline else None, note=note, evidence=evidence)
            shown = effective_status(it)
    click.echo(f"整改事项 {item}:{shown}", err=True)


ITEM_HEADER = ["编号", "单位", "指标", "牵头单位", "配合", "类型", "问题描述", "整改措施", "责任人", "整改时限", "状态", "整改佐证", "进展"]


def item_cells(r: dict) -> list:
    return [r["id"], r["unit"], r["indicator"], r["lead_unit"], "配合" if r["co_lead"] else "牵头", r["kind"], r["problem"],
            r["measures"], r["responsible"], r["deadline"].isoformat(), r["status"], r["closing_evidence"],
            "\n".join(r["notes"])]


def progress_text(item: dict) -> str:
    return "\n".join(item["notes"])


def items_as_list(items: list[dict], title: str, lead_unit: str | None = None):
    """Store items as a 整改清单 (``engine.output.rectify``), so the 整改清单 writers (tracking workbook, DOCX,
    Markdown, HTML) serve the store too; 序号 is the item's number in the store (used when the workbook is read back)."""
    from engine.output.rectify import RectifyList, Row, Tracking, _groups

    units = sorted({r["unit"] for r in items})
    rows = []
    for r in items:
        problem = r["problem"] if len(units) == 1 else f"【{r['unit']}】{r['problem']}"
        rows.append(Row(no=r["id"], indicator_no=r["indicator_no"], indicator=r["indicator"], indicator_status="",
                        kind=r["kind"], problem=problem, measures=r["measures"], lead_units=(r["lead_unit"],),
                        deadline=r["deadline"], state=r["status"], lead_unit=r["lead_unit"],
                        tracking=Tracking(owner=r["responsible"], progress=progress_text(r), evidence=r["closing_evidence"])))
    return RectifyList(title=title, unit_name="、".join(units) or "(无)", unit_type="", period="", issued=dt.date.today(),
                       deadline_rule="结果库中各事项的整改时限", rows=rows, groups=_groups(rows), grouped=True,
                       lead_unit=lead_unit)


def rectify_from_store(db, unit: str | None, lead_unit: str | None, split: Path | None, output: Path | None,
                       fmt: str | None, open_only: bool, import_file: Path | None = None, author: str = "") -> None:
    """``rectify --from-store``: the tracked items, by lead unit, as the tracking workbook (XLSX), DOCX, Markdown,
    HTML or CSV; ``--import`` reads a filled-in tracking workbook back into the store."""
    from engine.batch import write_csv
    from engine.output.writers import write
    from engine.store.record import get_unit
    from engine.store.tracking import list_items

    if import_file is not None:
        return import_tracking(db, import_file, author)
    with _open(db) as store:
        with store.session() as session:
            u = get_unit(session, unit) if unit else None
            items = list_items(session, u, lead_unit, open_only)
    groups: dict[str, list[dict]] = {}
    for r in items:
        groups.setdefault(r["lead_unit"], []).append(r)

    def emit(path: Path | None, rows: list[dict], title: str, lead: str | None) -> None:
        kind = fmt or (path.suffix.lstrip(".").lower() if path else "table")
        if kind == "csv":
            write_csv(path, ITEM_HEADER, [item_cells(r) for r in rows])
        elif kind in ("xlsx", "docx", "md", "html") and path is not None:
            write(items_as_list(rows, title, lead), kind, path)
        else:
            lines = [f"# {title}", "", f"共 {len(rows)} 项。", ""]
            for r in rows:
                lines.append(f"- [{r['id']}] {r['unit']} | {r['indicator']} | {r['lead_unit']}{'(配合)' if r['co_lead'] else ''}"
                             f" | 时限 {r['deadline']} | {r['status']}" + (f" | 责任人 {r['responsible']}" if r['responsible'] else ""))
            write_output("\n".join(lines) + "\n", path)
            return
        click.echo(f"已写入 {path}:{len(rows)} 项", err=True)

    if split is not None:
        ext = fmt if fmt in ("csv", "xlsx", "docx", "html", "md") else "xlsx"
        from engine.batch import unit_keys

        keys = unit_keys([Path(name) for name in groups])
        for key, (name, rows) in zip(keys, groups.items()):
            emit(split / f"整改事项-{key}.{ext}", rows, f"整改事项({name})", name)
        click.echo(f"已按牵头单位拆分为 {len(groups)} 个文件,写入 {split}", err=True)
        return
    if output is not None and (fmt or output.suffix.lstrip(".").lower()) not in ("csv", "xlsx", "docx", "html", "md"):
        raise click.UsageError("无法从扩展名判断输出格式,请用 --format 指定(xlsx、docx、md、html、csv)")
    emit(output, items, "整改事项跟踪" + (f"({lead_unit})" if lead_unit else ""), lead_unit)


def import_tracking(db, path: Path, author: str) -> None:
    """A tracking workbook filled in by the unit, read back: 责任人, 整改时限, 状态, 进展情况, 佐证材料 per item
    (序号 = the item's number in the store). One transaction: any problem and nothing is recorded."""
    from engine.errors import InputError, Problem
    from engine.output.writers.xlsx import SHEET, read_tracking
    from engine.store.tracking import SETTABLE, effective_status, list_items, update_item

    tracked = read_tracking(path)
    store = _open(db)
    changed = 0
    try:
        with store.transaction() as session:
            current = {r["id"]: r for r in list_items(session)}
            problems = []
            for t in tracked:
                item = current.get(t.no)
                if item is None:
                    problems.append(Problem(str(path), f"结果库中没有编号为 {t.no} 的整改事项", sheet=SHEET, row=t.row,
                                            column="序号", value=str(t.no), expected="由 rectify --from-store 导出的整改清单"))
                    continue
                status = t.state if t.state in SETTABLE and t.state != item["status"] else None
                kwargs = dict(status=status,
                              responsible=t.owner if t.owner != item["responsible"] else None,
                              deadline=t.deadline if t.deadline not in (dt.date.min, item["deadline"]) else None,
                              note=t.progress if t.progress and t.progress != progress_text(item) else None,
                              evidence=t.evidence if t.evidence and t.evidence != item["closing_evidence"] else None)
                if t.done and status == "已整改":
                    kwargs["note"] = ((kwargs["note"] or "") + f"(完成日期 {t.done.isoformat()})").strip()
                if not any(v is not None for v in kwargs.values()):
                    continue
                try:
                    it = update_item(session, t.no, author=author or "整改清单导入", **kwargs)
                    effective_status(it)
                    changed += 1
                except InputError as exc:
                    problems.extend(Problem(str(path), p.message, sheet=SHEET, row=t.row, column="状态",
                                            value=t.state, expected=p.expected) for p in exc.problems)
            if problems:
                raise InputError(problems)
    finally:
        store.dispose()
    click.echo(f"已从 {path} 导入:更新整改事项 {changed} 项,共 {len(tracked)} 行", err=True)


@click.command("archive-file")
@click.argument("sha256")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="输出文件")
@db_option
@archive_option
def archive_file_cmd(sha256: str, output: Path, db, archive) -> None:
    """按 SHA-256 摘要从佐证归档取出一个文件(报告中列出的台账、附件摘要)。"""
    from engine.files import write_atomic
    from engine.store.archive import Archive
    from engine.store.record import store_problem

    with _open(db, archive) as store:
        if store.archive_dir is None:
            raise store_problem("PostgreSQL 结果库需要指定佐证归档目录", "--archive 目录,或环境变量 SCORECARD_ARCHIVE", "no_archive")
        data = Archive(store.archive_dir).get(sha256.strip().lower())
    write_atomic(output, data)
    click.echo(f"已写入 {output}({len(data)} 字节)", err=True)


COMMANDS = (archive_file_cmd, db_group, history_cmd, ranking_cmd, export_cmd, reproduce_cmd, review_group, rectify_item_cmd)


def today() -> dt.date:
    return dt.date.today()
