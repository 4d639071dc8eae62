"""``scorecard score``: score one evidence package and write the report."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from engine.cli.options import (
    EXIT_BELOW,
    backend_option,
    calendar_option,
    profile_option,
    rules_option,
    write_output,
)
from engine.evaluate.backends import get_backend
from engine.evaluate.pipeline import load_rules, score
from engine.output.reports import render_report
from engine.review import finalize
from evidence.package import load_package


@click.command("score")
@click.argument("package", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "md", "html"]), default="json")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="输出文件(默认标准输出)")
@click.option("--fail-under", type=float, help="总分低于该值时退出码为 1")
@click.option("--template", "template_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="自定义模板目录(沙箱环境;缺少的模板用内置模板)")
@click.option("--date", "report_date", type=click.DateTime(["%Y-%m-%d"]), help="报告日期 YYYY-MM-DD(默认今天)")
@rules_option
@backend_option
@calendar_option
@profile_option
@click.option("--review", "review_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="人工核查结论文件(YAML 或核查工作表 .xlsx,可多次指定)")
@click.option("--waivers", "waiver_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="豁免文件(YAML,可多次指定)")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="评估基准日 YYYY-MM-DD,用于判断豁免是否有效(默认 unit.yaml 的 inspection_date,否则今天)")
def score_cmd(package: Path, fmt: str, output: Path | None, fail_under: float | None, template_dir: Path | None,
              report_date, rules_dir: Path, backend: str, profile: str, review_files: tuple[Path, ...],
              waiver_files: tuple[Path, ...], as_of) -> None:
    """对证据包评分,输出评估结果。"""
    rules = load_rules(rules_dir, profile=profile)
    pkg = load_package(package, rules.ledgers)
    for w in pkg.warnings:
        click.echo(w.format(), err=True)
    result = score(pkg, rules, get_backend(backend))
    result = finalize(result, rules.catalog, pkg, review_files, waiver_files, as_of.date() if as_of else None)
    text = render_report(result, fmt, template_dir, report_date.date() if report_date else dt.date.today())
    write_output(text, output)
    s = result.summary
    click.echo(f"{result.unit.name}:总分 {s.score:g}/{s.total_points:g},{s.verdict}", err=True)
    if fail_under is not None and s.score < fail_under:
        sys.exit(EXIT_BELOW)
