"""``scorecard`` command line. Exit codes: 0 ok, 1 below --fail-under, 2 invalid input."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from evidence.package import load_package

from .backends import get_backend
from .catalog import DEFAULT_RULES
from .errors import InputError, Problem
from .evaluate import load_rules, score
from .reports import render_report
from .review import finalize

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
    from . import workdays

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


@click.group(cls=ScorecardGroup)
@click.version_option(package_name="fazhi-scorecard")
def main() -> None:
    """法治政府建设示范创建评估工具:按 87 项指标核查证据包、计分、出具报告。"""


@main.group()
def indicators() -> None:
    """查看指标规则。"""


@indicators.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@rules_option
@profile_option
def indicators_list(fmt: str, rules_dir: Path, profile: str) -> None:
    """列出全部指标(按剪裁方案剪裁后)。"""
    rules = load_rules(rules_dir, profile=profile)
    cat = rules.catalog
    if fmt == "json":
        data = {
            "edition": cat.edition.id,
            "profile": cat.profile.id, "profile_digest": cat.profile_digest, "profile_changes": cat.changes,
            "max_points": cat.max_points, "formula": cat.edition.formula,
            "name": cat.edition.name,
            "total_points": cat.edition.total_points,
            "categories": [c.model_dump() for c in cat.edition.categories],
            "indicators": [
                {"no": i.no, "category": i.category, "category_name": cat.category_name(i.category), "title": i.title,
                 "text": i.text, "lead_units": i.lead_units, "points": i.points, "scoring": i.scoring.method,
                 "checks": [{"id": c.id, "kind": c.kind, "title": c.title} for c in i.checks]}
                for i in cat.indicators
            ],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"剪裁方案:{cat.profile.id}「{cat.profile.title}」 摘要 {cat.profile_digest[:12]}")
    for line in cat.changes:
        click.echo(f"  - {line}")
    for c in cat.edition.categories:
        click.echo(f"\n{c.no}. {c.name}({c.count}项)")
        for i in (x for x in cat.indicators if x.category == c.no):
            kinds = ",".join(ch.kind for ch in i.checks)
            scope = "" if len(i.applicability.unit_types) == 4 else f"  适用:{'、'.join(i.applicability.unit_types)}"
            click.echo(f"  {i.no:>2}  {i.points:g}分  {i.title}  [{'、'.join(i.lead_units)}]  ({kinds}){scope}")
    click.echo(f"\n共 {len(cat.indicators)} 项,满分 {cat.max_points:g} 分。")


@indicators.command("show")
@click.argument("no", type=int)
@rules_option
@profile_option
def indicators_show(no: int, rules_dir: Path, profile: str) -> None:
    """显示一项指标的原文、检查项与计分规则。"""
    rules = load_rules(rules_dir, profile=profile)
    ind = rules.catalog.get(no)
    if ind is None:
        raise InputError(Problem("indicators", f"没有序号为 {no} 的指标", expected=f"1–{len(rules.catalog.indicators)}"))
    click.echo(f"{ind.no}. {ind.title}(类别 {ind.category}:{rules.catalog.category_name(ind.category)},{ind.points:g} 分)")
    click.echo(f"原文:{ind.text}")
    click.echo(f"牵头单位:{'、'.join(ind.lead_units)}")
    click.echo(f"计分:{ind.scoring.model_dump_json(exclude_none=True)}")
    click.echo("检查项:")
    for c in ind.checks:
        click.echo(f"  - {c.id} [{c.kind}] {c.title}")
        click.echo("    " + c.model_dump_json(exclude={"id", "kind", "title"}, exclude_none=True, exclude_defaults=True))
    click.echo(f"整改措施:{ind.remediation}")


@main.command()
@click.argument("package", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@rules_option
@calendar_option
def validate(package: Path, fmt: str, rules_dir: Path) -> None:
    """核查证据包格式(评分前),列出全部问题。有错误时退出码为 2。"""
    from .intake import validate_package

    rules = load_rules(rules_dir)
    _, problems = validate_package(package, rules)
    errors = [p for p in problems if p.severity == "error"]
    if fmt == "json":
        click.echo(json.dumps({"ok": not errors, "errors": len(errors), "warnings": len(problems) - len(errors),
                               "problems": [p.to_dict() for p in problems]}, ensure_ascii=False, indent=2))
    else:
        for p in problems:
            click.echo(p.format())
        click.echo(f"共 {len(errors)} 个错误,{len(problems) - len(errors)} 个警告。" if problems else "证据包格式正确。")
    sys.exit(EXIT_INPUT if errors else EXIT_OK)


@main.command("format-doc")
@rules_option
def format_doc(rules_dir: Path) -> None:
    """输出证据包格式说明(evidence/FORMAT.md 的内容)。"""
    from .formatdoc import render_format_doc

    click.echo(render_format_doc(load_rules(rules_dir)), nl=False)


@main.command("codes")
@rules_option
def codes(rules_dir: Path) -> None:
    """列出规则使用的全部代码(材料类型、活动类型、负面事项类型、情况说明事项代码、指标代码)。"""
    from .formatdoc import codes_section

    click.echo(codes_section(load_rules(rules_dir)))


@main.command("score")
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

# Commands defined in their own modules register themselves on ``main`` when imported (one line each).
from . import cli_batch  # noqa: E402,F401,I001
from . import cli_intake  # noqa: E402,F401
from . import cli_reports  # noqa: E402,F401
from . import cli_review  # noqa: E402,F401
from . import cli_synth  # noqa: E402,F401
