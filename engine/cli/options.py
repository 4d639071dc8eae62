"""Shared pieces of every command: exit codes, the error-catching group, common options, output writing."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.errors import InputError, Problem
from engine.rules.catalog import DEFAULT_RULES

EXIT_OK, EXIT_BELOW, EXIT_INPUT = 0, 1, 2


def fail_input(problems: list[Problem]) -> None:
    for p in problems:
        click.echo(p.format(), err=True)
    n = sum(1 for p in problems if p.severity == "error")
    click.echo(f"共 {n} 个错误,{len(problems) - n} 个警告。", err=True)
    sys.exit(EXIT_INPUT)


class ScorecardGroup(click.Group):
    """Turn InputError into a located message and exit code 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            fail_input(exc.problems)


rules_option = click.option("--rules", "rules_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                            default=DEFAULT_RULES, show_default=False, help="规则目录(默认 indicators/)")
profile_option = click.option("--profile", default="base", show_default=True,
                              help="剪裁方案:profiles/ 下的名称(base、township、provincial-example)或 YAML 文件路径")
backend_option = click.option("--backend", type=click.Choice(["auto", "durable", "python"]), default="auto",
                              help="规则引擎后端(默认 auto:可用时用 durable_rules)")


def _set_calendar(ctx, param, value):
    from engine.evaluate import workdays

    workdays.SHARED_DIRS[:] = [Path(v) for v in value or ()]
    return value


calendar_option = click.option("--calendar", "calendar_dirs", multiple=True, expose_value=False, callback=_set_calendar,
                               type=click.Path(exists=True, file_okay=False),
                               help="共享的节假日安排目录(<年份>.yaml);也可用环境变量 SCORECARD_CALENDAR_DIR")


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(f"已写入 {output}", err=True)
