"""``scorecard rectify``: the 整改清单 (rectification list) as XLSX, DOCX, Markdown or HTML."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import click

from engine.cli.options import backend_option, calendar_option, rules_option, scored, verdict_options
from engine.cli.store import db_option, rectify_from_store
from engine.errors import InputError, Problem
from engine.output.rectify import GROUP_CHOICES, build, split
from engine.output.reports import template_errors
from engine.output.writers import FORMATS, write


@click.command("rectify")
@click.argument("package", type=click.Path(path_type=Path), required=False)
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "csv"]), default=None,
              help="输出格式(默认按输出文件扩展名)")
@click.option("-o", "--output", "outputs", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
              help="输出文件,格式按扩展名(.xlsx .docx .md .html);可重复,一次写出多种格式")
@click.option("--group-by", type=click.Choice(list(GROUP_CHOICES)), default="none",
              help="lead-unit:按牵头单位分组,共同牵头的每个单位各列一行")
@click.option("--split", "split_dir", type=click.Path(file_okay=False, path_type=Path),
              help="按牵头单位拆分:每个牵头单位(含共同牵头单位)一个文件,写入该目录")
@click.option("--deadline", type=click.DateTime(["%Y-%m-%d"]), help="整改时限 YYYY-MM-DD")
@click.option("--days", type=click.IntRange(min=0), help="整改时限:自清单日期起 N 日内")
@click.option("--date", "list_date", type=click.DateTime(["%Y-%m-%d"]), help="清单日期 YYYY-MM-DD(默认今天)")
@click.option("--template", "template_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="自定义模板目录(md/html;沙箱环境)")
@rules_option
@backend_option
@calendar_option
@verdict_options
@click.option("--from-store", is_flag=True, help="列出结果库中跟踪的整改事项(不需要 PACKAGE)")
@click.option("--unit", "unit_uid", help="--from-store:只列该单位(编号或名称)")
@click.option("--lead-unit", help="--from-store:只列该牵头单位(含配合单位)的事项")
@click.option("--open-only", is_flag=True, help="--from-store:只列未完成的事项(待整改、整改中、逾期)")
@click.option("--import", "import_file", type=click.Path(dir_okay=False, path_type=Path),
              help="--from-store:读回单位填好的整改台账(.xlsx),更新责任人、时限、状态、进展与佐证")
@click.option("--by", "author", default="", help="--from-store --import:操作人")
@db_option
def rectify_cmd(package: Path | None, fmt: str | None, outputs: tuple[Path, ...], group_by: str, split_dir: Path | None,
                deadline, days: int | None, list_date, template_dir: Path | None, rules_dir: Path, backend: str,
                profile: str, review_files, waiver_files, as_of, from_store: bool, unit_uid, lead_unit, open_only: bool,
                import_file: Path | None, author: str, db) -> None:
    """生成整改清单:每个未通过、部分通过的指标一行(含核查人员判为未通过的事项及其理由),缺少证据的指标列为「补充材料」。

    --from-store:列出结果库中跟踪的整改事项(每个指标、每个牵头或配合单位一项,含责任人、时限、状态、进展),
    可用 --unit、--lead-unit、--open-only 筛选,--split 按牵头单位拆分(格式 csv、xlsx、html、md)。

    整改时限:--deadline;或清单日期加 --days 天;默认为 unit.yaml 的 inspection_date,未设定时为清单日期后 30 天。
    XLSX 为整改台账:状态下拉(待整改/整改中/已整改/已销号/逾期),责任人、进展情况、完成日期、佐证材料由单位填写。

    \b
    示例:
      scorecard rectify examples/weak-town -o 整改清单.xlsx
      scorecard rectify examples/weak-town -o 整改清单.xlsx -o 整改清单.docx --days 30
      scorecard rectify examples/weak-town --split 整改通知/ --format docx
    """
    if from_store:
        return rectify_from_store(db, unit_uid, lead_unit, split_dir, outputs[0] if outputs else None, fmt, open_only,
                                  import_file, author)
    if package is None:
        raise click.UsageError("需要证据包 PACKAGE(或用 --from-store 列出结果库中的整改事项)")
    if fmt == "csv":
        raise click.UsageError("csv 格式仅用于 --from-store")
    if deadline is not None and days is not None:
        raise InputError(Problem("命令行", "--deadline 与 --days 只能指定一个", code="usage"))
    if not outputs and split_dir is None:
        raise InputError(Problem("命令行", "请用 -o 指定输出文件,或用 --split 指定输出目录", code="usage"))
    targets = [(out, fmt or out.suffix.lstrip(".").lower()) for out in outputs]
    for out, f in targets:
        if f not in FORMATS:
            raise InputError(Problem(str(out), "无法从扩展名判断输出格式,请用 --format 指定",
                                     value=out.suffix, expected="、".join(FORMATS), code="usage"))
    _rules, _pkg, result = scored(package, rules_dir, backend, profile, review_files, waiver_files, as_of)
    issued = list_date.date() if list_date else dt.date.today()
    due = deadline.date() if deadline else None
    rlist = build(result, issued, due, days, group_by)
    for out, f in targets:
        with template_errors(f"rectify.{f}.j2", template_dir):
            write(rlist, f, out, template_dir)
        click.echo(f"已写入 {out}:{result.unit.name} 整改事项 {len(rlist.rows)} 项", err=True)
    pending = sum(1 for i in result.indicators if i.pending_review)
    if pending:
        click.echo(f"另有 {pending} 项待人工核查,核查结论作出前不在清单中(用 --review 导入核查结论)", err=True)
    if split_dir is not None:
        f = fmt or "xlsx"
        parts = split(build(result, issued, due, days, "lead-unit"))
        for unit, part in parts.items():
            out = split_dir / f"整改清单-{safe_name(unit)}.{f}"
            with template_errors(f"rectify.{f}.j2", template_dir):
                write(part, f, out, template_dir)
        click.echo(f"已按牵头单位拆分写入 {split_dir}:{len(parts)} 个单位,"
                   f"{sum(len(p.rows) for p in parts.values())} 项", err=True)


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(name: str) -> str:
    """A unit name as a file name: path separators and characters Windows forbids become _."""
    return _UNSAFE.sub("_", name).strip(" .") or "未指定"
