"""CLI: ``review-sheet`` (人工核查工作表), ``diff`` (两次评估对比 / 整改核销), ``profiles`` (剪裁方案)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.cli.options import backend_option, profile_option, rules_option, write_output
from engine.evaluate.backends import get_backend
from engine.evaluate.pipeline import load_rules, score
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
from evidence.package import load_package


@click.command("review-sheet")
@click.argument("package", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出的核查工作表(.xlsx)")
@rules_option
@backend_option
@profile_option
@click.option("--review", "review_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="已有的核查结论(已核查的指标不再列出)")
@click.option("--waivers", "waiver_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]))
def review_sheet(package: Path, output: Path, rules_dir: Path, backend: str, profile: str, review_files, waiver_files,
                 as_of) -> None:
    """生成人工核查工作表:列出全部待人工核查指标及已收集的证据,供评估人员填写后用 --review 导入。"""
    from engine.review.sheet import (
        write_sheet,  # openpyxl is imported only by the commands that write workbooks
    )

    rules = load_rules(rules_dir, profile=profile)
    pkg = load_package(package, rules.ledgers)
    result = score(pkg, rules, get_backend(backend))
    result = finalize(result, rules.catalog, pkg, review_files, waiver_files, as_of.date() if as_of else None)
    n = write_sheet(result, output)
    click.echo(f"已写入 {output}:待人工核查 {n} 项。", err=True)


@click.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "md", "json"]), default="table")
@click.option("--rectification", is_flag=True, help="按 NEW 核销 OLD 的整改清单(整改完成/未完成)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
def diff_cmd(old: Path, new: Path, fmt: str, rectification: bool, output: Path | None) -> None:
    """对比两次评估结果(JSON):新通过、新未通过、得分与证据变化、分类汇总。"""
    a, b = load_result(old), load_result(new)
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
