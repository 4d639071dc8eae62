"""``scorecard init`` (scaffold a package with Chinese templates) and ``validate`` (check a package before scoring)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from engine.cli.options import EXIT_INPUT, EXIT_OK, calendar_option, rules_option, verdict_options
from engine.errors import InputError, Problem, cap_repeats
from engine.evaluate.pipeline import load_rules
from evidence.models import UNIT_TYPES
from evidence.templates import scaffold


def _date(ctx, param, value: str) -> dt.date:
    from evidence.values import parse_date

    try:
        day = parse_date(value)
    except ValueError as exc:
        raise InputError(Problem("--" + param.name.replace("_", "-"), f"日期无效:{exc}", value=value,
                                 expected="YYYY-MM-DD", code="bad_option")) from None
    if day is None:
        raise InputError(Problem("--" + param.name.replace("_", "-"), "缺少日期", expected="YYYY-MM-DD", code="bad_option"))
    return day


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--type", "unit_type", type=click.Choice(list(UNIT_TYPES)), required=True, help="单位类型")
@click.option("--name", required=True, help="单位名称")
@click.option("--period-start", required=True, callback=_date, help="创建周期开始日期 YYYY-MM-DD")
@click.option("--period-end", required=True, callback=_date, help="创建周期截止日期 YYYY-MM-DD")
@click.option("--region", default="", help="所在地区(可选)")
@rules_option
def init_cmd(directory: Path, unit_type: str, name: str, period_start: dt.date, period_end: dt.date, region: str,
             rules_dir: Path) -> None:
    """生成空白证据包:unit.yaml、每本台账一个 Excel 模板(中文表头、填写说明、下拉选项)和中文 README。"""
    rules = load_rules(rules_dir)
    written = scaffold(directory, name.strip(), unit_type, period_start, period_end, rules.ledgers, rules, region=region)
    click.echo(f"已生成证据包 {directory}({len(written)} 个文件)。填写 ledgers/ 下的台账后运行:scorecard validate {directory}")


@click.command()
@click.argument("package", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@rules_option
@calendar_option
@verdict_options
def validate(package: Path, fmt: str, rules_dir: Path, profile: str, review_files, waiver_files, as_of) -> None:
    """核查证据包格式(评分前),列出全部问题;给出 --review / --waivers 时一并核查这些文件
    (格式、指标与检查项是否在 --profile 剪裁后的规则中)。有错误时退出码为 2。"""
    from engine.evaluate.validate import validate_package

    rules = load_rules(rules_dir, profile=profile)
    _, problems = validate_package(package, rules)
    problems.extend(_verdict_problems(rules.catalog, review_files, waiver_files))
    problems = cap_repeats(problems)
    errors = [p for p in problems if p.severity == "error"]
    n_errors = sum(p.count for p in errors)  # a summary line "另有 K 条同类问题" counts for K
    n_warnings = sum(p.count for p in problems) - n_errors
    if fmt == "json":
        click.echo(json.dumps({"ok": not errors, "errors": n_errors, "warnings": n_warnings,
                               "problems": [p.to_dict() for p in problems]}, ensure_ascii=False, indent=2))
    else:
        for p in problems:
            click.echo(p.format())
        click.echo(f"共 {n_errors} 个错误,{n_warnings} 个警告。" if problems else "证据包格式正确。")
    sys.exit(EXIT_INPUT if errors else EXIT_OK)


def _verdict_problems(catalog, review_files, waiver_files) -> list[Problem]:
    """Problems in verdict and waiver files: unreadable, malformed, or about indicators/checks not in the rules."""
    from engine.review.finalize import load_verdicts
    from engine.review.waivers import load_waivers

    problems: list[Problem] = []
    if review_files:
        try:
            verdicts, _ = load_verdicts(list(review_files))
        except InputError as exc:
            problems.extend(exc.problems)
            verdicts = []
        for lv in verdicts:
            ind = catalog.get(lv.verdict.indicator)
            if ind is None:
                problems.append(lv.problem(f"核查结论针对的指标 {lv.verdict.indicator} 不在所用规则(剪裁方案)中",
                                           "indicator", str(lv.verdict.indicator)))
            elif lv.verdict.check and not any(c.id == lv.verdict.check for c in ind.checks):
                problems.append(lv.problem(f"指标 {ind.no} 没有检查项 {lv.verdict.check}", "check", lv.verdict.check))
    if waiver_files:
        try:
            entries, _ = load_waivers(list(waiver_files))
        except InputError as exc:
            problems.extend(exc.problems)
            entries = []
        for w, file, row in entries:
            if catalog.get(w.indicator) is None:
                problems.append(Problem(file, f"豁免针对的指标 {w.indicator} 不在所用规则(剪裁方案)中", row=row,
                                        column="indicator", value=str(w.indicator), code="waiver"))
    return problems
