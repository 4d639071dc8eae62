"""``scorecard score``: score one evidence package and write the report."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from engine.cli.options import (
    EXIT_BELOW,
    EXIT_CODES_HELP,
    EXIT_INCOMPLETE,
    backend_option,
    calendar_option,
    incomplete_note,
    output_targets,
    rules_option,
    scored,
    verdict_options,
    write_output,
)
from engine.cli.store import store_options, store_score
from engine.errors import InputError, Problem
from engine.output.reports import render_report

REPORT_FORMATS = ("json", "md", "html", "pdf")


@click.command("score", epilog=EXIT_CODES_HELP)
@click.argument("package", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(REPORT_FORMATS)), default=None,
              help="输出格式:json、md、html、pdf(默认按 -o 的扩展名;无 -o 时为 json)")
@click.option("-o", "--output", "outputs", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
              help="输出文件,格式按扩展名(.json .md .html .pdf);可重复,一次写出多种格式;不给时写到标准输出")
@click.option("--fail-under", type=float, help="已确认得分低于该值时退出码为 1")
@click.option("--template", "template_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="自定义模板目录(沙箱环境;缺少的模板用内置模板)")
@click.option("--date", "report_date", type=click.DateTime(["%Y-%m-%d"]), help="报告日期 YYYY-MM-DD(默认今天)")
@rules_option
@backend_option
@calendar_option
@verdict_options
@store_options
def score_cmd(package: Path, fmt: str | None, outputs: tuple[Path, ...], fail_under: float | None, template_dir: Path | None,
              report_date, rules_dir: Path, backend: str, profile: str, review_files: tuple[Path, ...],
              waiver_files: tuple[Path, ...], as_of, **store) -> None:
    """对证据包评分,输出评估结果(已确认得分、预估得分、得分区间)。--store 同时存入结果库。"""
    targets = output_targets(outputs, fmt, REPORT_FORMATS)
    if fmt == "pdf" and not outputs:
        raise InputError(Problem("--format pdf", "PDF 不能写到标准输出", expected="用 -o 指定 .pdf 文件", code="usage"))
    if store.pop("to_store"):
        _aid, result = store_score(package, rules_dir, backend, profile, review_files, waiver_files, as_of, **store)
    else:
        _rules, _pkg, result = scored(package, rules_dir, backend, profile, review_files, waiver_files, as_of)
    day = report_date.date() if report_date else dt.date.today()
    if not targets:
        write_output(render_report(result, fmt or "json", template_dir, day), None)
    for out, f in targets:
        if f == "pdf":
            from engine.files import write_atomic
            from engine.output.pdf import html_to_pdf

            write_atomic(out, html_to_pdf(render_report(result, "html", template_dir, day), str(out)))
            click.echo(f"已写入 {out}", err=True)
        else:
            write_output(render_report(result, f, template_dir, day), out)
    s = result.summary
    click.echo(f"{result.unit.name}:已确认得分 {s.score:g}/{s.total_points:g},预估得分 {s.estimate.score:g},"
               f"得分区间 {s.range.low:g}~{s.range.high:g};{s.verdict}", err=True)
    if not s.complete:
        incomplete_note(result)
        sys.exit(EXIT_INCOMPLETE)
    if fail_under is not None and s.score < fail_under:
        sys.exit(EXIT_BELOW)
