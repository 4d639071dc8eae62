"""CLI: ``review-sheet`` (人工核查工作表), ``diff`` (两次评估对比 / 整改核销), ``profiles`` (剪裁方案)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.cli.options import backend_option, rules_option, scored, verdict_options, write_output
from engine.evaluate.pipeline import load_rules
from engine.output.diff import (
    diff_results,
    load_result,
    rectification_status,
    render_diff,
    render_rectification,
)
from engine.review import finalize
from engine.rules.catalog import load_catalog
from engine.rules.profiles import PROFILES_DIR, apply_profile, load_profile


@click.command("review-sheet")
@click.argument("package", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出的核查工作表(.xlsx)")
@rules_option
@backend_option
@verdict_options
def review_sheet(package: Path, output: Path, rules_dir: Path, backend: str, profile: str, review_files, waiver_files,
                 as_of) -> None:
    """生成人工核查工作表:每个尚无核查结论的核查项一行(自动检查未通过的指标也列出),附已收集的证据,
    供评估人员填写后用 --review 导入(已有 --review 结论的核查项不再列出)。"""
    from engine.review.sheet import (
        write_sheet,  # openpyxl is imported only by the commands that write workbooks
    )

    _rules, _pkg, result = scored(package, rules_dir, backend, profile, review_files, waiver_files, as_of,
                                  echo_warnings=False)
    n = write_sheet(result, output)
    click.echo(f"已写入 {output}:待人工核查 {n} 项。", err=True)


@click.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "md", "json"]), default="table")
@click.option("--rectification", is_flag=True, help="按 NEW 核销 OLD 的整改清单(整改完成/未完成)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@rules_option
@verdict_options
def diff_cmd(old: Path, new: Path, fmt: str, rectification: bool, output: Path | None, rules_dir: Path, profile: str,
             review_files, waiver_files, as_of) -> None:
    """对比两次评估结果(JSON):新通过、新未通过、得分与证据变化、分类汇总。

    --review / --waivers 给出时,两次结果都先并入这些核查结论和豁免(按 --profile 剪裁后的规则重新计分),
    再作对比;已含核查结论的结果无需再给。"""
    a, b = load_result(old), load_result(new)
    if review_files or waiver_files:
        catalog = load_rules(rules_dir, profile=profile).catalog
        day = as_of.date() if as_of else None
        a = finalize(a, catalog, None, review_files, waiver_files, day)
        b = finalize(b, catalog, None, review_files, waiver_files, day)
    if rectification:
        text = render_rectification(rectification_status(a, b), fmt)
    else:
        text = render_diff(diff_results(a, b), fmt)
    write_output(text, output)


@click.command("profiles")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@rules_option
def profiles_cmd(fmt: str, rules_dir: Path) -> None:
    """列出 profiles/ 下的剪裁方案及其摘要、剪裁内容。"""
    catalog = load_catalog(rules_dir)
    out = []
    for path in sorted(PROFILES_DIR.glob("*.yaml")):
        loaded = load_profile(path)
        entry = {"id": loaded.profile.id, "title": loaded.profile.title, "file": loaded.file, "digest": loaded.digest}
        if loaded.profile.base in (None, catalog.edition.id):
            tailored = apply_profile(catalog, loaded)
            entry.update(indicators=len(tailored.indicators), max_points=tailored.max_points, changes=tailored.changes)
        out.append(entry)
    if fmt == "json":
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for e in out:
        click.echo(f"{e['id']}  {e['title']}  ({e['file']}, 摘要 {e['digest'][:12]})")
        if "indicators" in e:
            click.echo(f"  {e['indicators']} 项,分值合计 {e['max_points']:g}")
            for line in e["changes"]:
                click.echo(f"  - {line}")
