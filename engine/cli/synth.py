"""``scorecard synth``: write a synthetic evidence package of any size (training, demos, load tests).

The package is generated from the rules themselves (``engine/synth.py``): every check gets records,
deterministic for a seed, with a chosen share of records that break their threshold.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click

from engine.cli.options import fail_input, profile_option, rules_option
from engine.errors import CalendarError, Problem
from evidence.models import UNIT_TYPES


def _sizes(ctx, param, values: tuple[str, ...]) -> dict[str, int]:
    from evidence.schema import load_ledger_catalog

    catalog = load_ledger_catalog()
    out: dict[str, int] = {}
    for text in values:
        name, sep, number = text.partition("=")
        ledger = catalog.ledger_for_name(name.strip()) if sep else None
        if ledger is None or not number.strip().isdigit():
            known = "、".join(f"{n}({d.title})" for n, d in catalog.ledgers.items())
            raise click.BadParameter(f"「{text}」应为 台账=行数,如 enforcement_cases=20000 或 执法决定台账=20000;台账:{known}")
        out[ledger] = int(number)
    return out


@click.command("synth")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=1, show_default=True, help="随机种子:同一种子、规则与参数生成逐字节相同的证据包")
@click.option("--size", "sizes", multiple=True, callback=_sizes, metavar="台账=行数",
              help="某台账的记录数(可重复),如 --size enforcement_cases=20000;未指定的台账每项检查约 6 条")
@click.option("--violations", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              help="不达标记录所占比例(0 为全部达标)")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True, help="台账文件格式")
@click.option("--unit-name", default="示例县人民政府", show_default=True)
@click.option("--unit-type", type=click.Choice(list(UNIT_TYPES)), default="县", show_default=True)
@click.option("--period", default="2021-01-01:2022-12-31", show_default=True, help="创建周期 开始:截止")
@rules_option
@profile_option
def synth_cmd(out_dir: Path, seed: int, sizes: dict[str, int], violations: float, fmt: str, unit_name: str, unit_type: str,
              period: str, rules_dir: Path, profile: str) -> None:
    """生成合成证据包(演示、培训、压力测试用):按规则为每项检查生成记录,可控制规模与不达标比例。

    OUT_DIR 须为不存在或空的目录(不会覆盖任何已有文件)。
    """
    from engine import synth
    from engine.evaluate.pipeline import load_rules

    start, sep, end = period.partition(":")
    try:
        start_day, end_day = dt.date.fromisoformat(start.strip()), dt.date.fromisoformat(end.strip())
    except ValueError:
        raise click.BadParameter(f"「{period}」应为 开始:截止,如 2021-01-01:2022-12-31", param_hint="--period") from None
    if not sep or end_day < start_day:
        raise click.BadParameter(f"「{period}」应为 开始:截止,且截止不早于开始", param_hint="--period")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        fail_input([Problem(str(out_dir), "输出目录已存在且不为空,为免覆盖证据,拒绝写入", expected="不存在或空的目录",
                            code="output_exists")])
    rules = load_rules(rules_dir, profile=profile)
    unit = {"name": unit_name, "type": unit_type, "region": "", "period": {"start": start_day.isoformat(), "end": end_day.isoformat()}}
    began = time.perf_counter()
    try:
        synth.generate(rules, out_dir, unit=unit, sizes=sizes, seed=seed, violation_share=violations, fmt=fmt)
    except CalendarError as exc:
        fail_input([Problem("--period", str(exc), value=period, code="calendar")])
    rows = sum(max(0, len(p.read_bytes().splitlines()) - 1) for p in (out_dir / "ledgers").glob("*.csv"))
    files = len(list((out_dir / "ledgers").iterdir()))
    counted = f",共 {rows:,} 行" if fmt == "csv" else ""
    click.echo(f"已生成 {out_dir}:{files} 个台账文件{counted},用时 {time.perf_counter() - began:.1f} 秒。", err=True)
