"""Shared pieces of every command: exit codes, the error-catching group, common options, output writing."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from engine.errors import InputError, Problem

# Exit codes (README「退出码」and every command's --help):
# 0 done; 1 score below --fail-under; 2 bad input (located messages; batch: some unit could not be scored);
# 3 evaluation incomplete: some check ended in error (e.g. a working-day deadline in a year no calendar covers).
EXIT_OK, EXIT_BELOW, EXIT_INPUT, EXIT_INCOMPLETE = 0, 1, 2, 3
EXIT_CODES_HELP = ("退出码:0 完成;1 总分低于 --fail-under;2 输入有误(批量评分:有单位评分失败);"
                   "3 评估未完成(有检查出错,得分不完整)。")


def fail_input(problems: list[Problem]) -> None:
    for p in problems:
        click.echo(p.format(), err=True)
    n = sum(p.count for p in problems if p.severity == "error")  # a summary line "另有 K 条同类问题" counts for K
    click.echo(f"共 {n} 个错误,{sum(p.count for p in problems) - n} 个警告。", err=True)
    sys.exit(EXIT_INPUT)


class ScorecardGroup(click.Group):
    """Turn InputError into a located message and exit code 2, never a traceback."""

    def invoke(self, ctx):
        from engine.files import reset_inputs

        reset_inputs()  # inputs read by this command (outputs may not go into them)
        try:
            return super().invoke(ctx)
        except InputError as exc:
            fail_input(exc.problems)
        except RecursionError:
            fail_input([Problem("输入", "输入的嵌套层数过深,无法处理", expected="正常结构的文件", code="depth")])
        except OSError as exc:  # a file system failure the commands did not locate: still a message, not a traceback
            where = exc.filename if isinstance(getattr(exc, "filename", None), str) else "文件系统"
            fail_input([Problem(str(where), f"无法读写:{exc.strerror or type(exc).__name__}", code="io")])


def _default_rules() -> Path:
    from engine.rules.catalog import DEFAULT_RULES  # the rules (and pydantic) only when a command runs

    return DEFAULT_RULES


rules_option = click.option("--rules", "rules_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                            default=_default_rules, show_default=False, help="规则目录(默认 indicators/)")
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


review_option = click.option("--review", "review_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
                             help="人工核查结论文件(YAML 或核查工作表 .xlsx,可多次指定)")
waivers_option = click.option("--waivers", "waiver_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
                              help="豁免文件(YAML,可多次指定)")
as_of_option = click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
                            help="评估基准日 YYYY-MM-DD,用于判断豁免是否有效(默认 unit.yaml 的 inspection_date,否则今天)")


def verdict_options(func):
    """--profile, --review, --waivers, --as-of: what every command that scores a package takes."""
    for option in (as_of_option, waivers_option, review_option, profile_option):
        func = option(func)
    return func


def scored(package: Path, rules_dir: Path, backend: str, profile: str, review_files=(), waiver_files=(), as_of=None,
           echo_warnings: bool = True):
    """Load the rules (tailored by ``profile``) and the package, score it, merge verdicts and waivers.

    Returns (rules, package, result). The one path every scoring command takes, so none can forget the verdicts."""
    from engine.evaluate.backends import get_backend
    from engine.evaluate.pipeline import load_rules, score
    from engine.review import finalize
    from evidence.package import load_package

    rules = load_rules(rules_dir, profile=profile)
    pkg = load_package(package, rules.ledgers)
    if echo_warnings:
        for w in pkg.warnings:
            click.echo(w.format(), err=True)
    result = score(pkg, rules, get_backend(backend))
    result = finalize(result, rules.catalog, pkg, review_files, waiver_files, as_of.date() if as_of else None)
    return rules, pkg, result


def incomplete_note(result) -> None:
    """Say on stderr which indicators errored, when the evaluation is incomplete."""
    if not result.summary.complete:
        click.echo(f"评估未完成:指标 {'、'.join(map(str, result.summary.error_indicators))} 的检查出错,得分不完整"
                   f"(退出码 {EXIT_INCOMPLETE})。", err=True)


def write_output(text: str, output: Path | None) -> None:
    """Standard output, or ``output`` written atomically; never into an input package or over an input file."""
    from engine.files import write_atomic

    if output is None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError as exc:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - nothing more can reach the broken stdout at exit
            raise InputError(Problem("标准输出", f"无法写入标准输出:{exc.strerror or type(exc).__name__}",
                                     expected="用 -o 写入文件", code="output")) from None
    else:
        write_atomic(output, text)
        click.echo(f"已写入 {output}", err=True)


SUFFIX_FORMATS = {"htm": "html", "markdown": "md", "yml": "yaml"}


def output_targets(outputs, fmt: str | None, formats) -> list[tuple[Path, str]]:
    """(path, format) for each ``-o``: ``--format`` when given, else the file's extension (.html -> html)."""
    targets = []
    for out in outputs:
        suffix = out.suffix.lstrip(".").lower()
        f = fmt or SUFFIX_FORMATS.get(suffix, suffix)
        if f not in formats:
            raise InputError(Problem(str(out), "无法从扩展名判断输出格式,请用 --format 指定", value=out.suffix or "(无扩展名)",
                                     expected="、".join(formats), code="usage"))
        targets.append((out, f))
    return targets
