"""``scorecard indicators list|show``, ``format-doc`` and ``codes``: read the rules."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.cli.options import profile_option, rules_option
from engine.errors import InputError, Problem
from engine.evaluate.pipeline import load_rules


@click.group()
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


@click.command("format-doc")
@rules_option
def format_doc(rules_dir: Path) -> None:
    """输出证据包格式说明(evidence/FORMAT.md 的内容)。"""
    from engine.output.formatdoc import render_format_doc

    click.echo(render_format_doc(load_rules(rules_dir)), nl=False)


@click.command("codes")
@rules_option
def codes(rules_dir: Path) -> None:
    """列出规则使用的全部代码(材料类型、活动类型、负面事项类型、情况说明事项代码、指标代码)。"""
    from engine.output.formatdoc import codes_section

    click.echo(codes_section(load_rules(rules_dir)))
