"""``scorecard rectify``: the 整改清单 (rectification list) as XLSX, DOCX, Markdown or HTML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from engine.cli.options import backend_option, calendar_option, rules_option
from engine.errors import InputError, Problem
from engine.evaluate.backends import get_backend
from engine.evaluate.pipeline import load_rules, score
from engine.output.rectify import GROUP_CHOICES, build
from engine.output.reports import template_errors
from engine.output.writers import FORMATS, write
from evidence.package import load_package


@click.command("rectify")
@click.argument("package", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default=None,
              help="输出格式(默认按输出文件扩展名)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="输出文件")
@click.option("--group-by", type=click.Choice(list(GROUP_CHOICES)), default="none", help="按牵头单位分组")
@click.option("--deadline", type=click.DateTime(["%Y-%m-%d"]), help="整改时限 YYYY-MM-DD")
@click.option("--days", type=click.IntRange(min=0), help="整改时限:自清单日期起 N 日内")
@click.option("--date", "list_date", type=click.DateTime(["%Y-%m-%d"]), help="清单日期 YYYY-MM-DD(默认今天)")
@click.option("--template", "template_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="自定义模板目录(md/html;沙箱环境)")
@rules_option
@backend_option
@calendar_option
def rectify_cmd(package: Path, fmt: str | None, output: Path, group_by: str, deadline, days: int | None, list_date,
                template_dir: Path | None, rules_dir: Path, backend: str) -> None:
    """生成整改清单:每个未通过、部分通过的指标一行,缺少证据的指标列为「补充材料」。

    整改时限:--deadline;或清单日期加 --days 天;默认为 unit.yaml 的 inspection_date,未设定时为清单日期后 30 天。
    """
    if deadline is not None and days is not None:
        raise InputError(Problem("命令行", "--deadline 与 --days 只能指定一个", code="usage"))
    fmt = fmt or output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise InputError(Problem(str(output), "无法从扩展名判断输出格式,请用 --format 指定",
                                 value=output.suffix, expected="、".join(FORMATS), code="usage"))
    rules = load_rules(rules_dir)
    pkg = load_package(package, rules.ledgers)
    for w in pkg.warnings:
        click.echo(w.format(), err=True)
    result = score(pkg, rules, get_backend(backend))
    issued = list_date.date() if list_date else dt.date.today()
    rlist = build(result, issued, deadline.date() if deadline else None, days, group_by)
    with template_errors(f"rectify.{fmt}.j2", template_dir):
        write(rlist, fmt, output, template_dir)
    click.echo(f"已写入 {output}:{result.unit.name} 整改事项 {len(rlist.rows)} 项", err=True)
