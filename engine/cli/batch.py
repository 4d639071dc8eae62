"""``scorecard batch``: score many evidence packages in parallel, rank them, summarise failing indicators."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from engine.batch import FIGURES, run_batch, summary_table
from engine.cli.options import (
    EXIT_CODES_HELP,
    EXIT_INCOMPLETE,
    EXIT_INPUT,
    as_of_option,
    backend_option,
    profile_option,
    rules_option,
)
from engine.cli.store import archive_option, db_option, round_option, store_batch
from engine.errors import visible

DEFAULT_TIMEOUT = 600.0  # seconds per unit: a package that hangs (a pipe, a huge file) becomes an error row

@click.command("batch", epilog=EXIT_CODES_HELP)
@click.argument("dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出目录:units/ 下为各单位报告,另有 ranking.csv|xlsx|html、failing_indicators.csv、summary.json")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="CPU 核数",
              help="并行评分的工作进程数")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT, show_default=True,
              help="单个单位评分的时限(秒),超时记为失败")
@click.option("--max-tasks-per-worker", type=click.IntRange(min=0), default=0,
              help="每个工作进程评完多少个单位后更换新进程(0 为不更换)")
@click.option("--progress/--no-progress", default=None, help="显示进度条(默认:终端中显示)")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True, help="结束时列出未达标最多的指标数")
@click.option("--review", "review_dir", type=click.Path(file_okay=False, path_type=Path),
              help="各单位核查结论所在目录:文件名为证据包目录名或单位名称,扩展名 .yaml/.yml/.xlsx")
@click.option("--waivers", "waivers_dir", type=click.Path(file_okay=False, path_type=Path),
              help="各单位豁免文件所在目录(命名规则同 --review)")
@click.option("--rank-by", type=click.Choice(list(FIGURES)), default="confirmed", show_default=True,
              help="排名依据:confirmed 已确认得分;estimate 预估得分;high 得分区间上限")
@rules_option
@backend_option
@profile_option
@as_of_option
@click.option("--store", "to_store", is_flag=True, help="把各单位的评估存入结果库(轮次默认为评估)")
@round_option
@db_option
@archive_option
@click.option("--register", is_flag=True, help="--store:登记库中还没有的单位")
@click.option("--assessor", default="", help="--store:评估人员或评估组")
def batch_cmd(dirs: tuple[Path, ...], out_dir: Path, jobs: int, timeout: float | None, max_tasks_per_worker: int,
              progress: bool | None, top: int, review_dir: Path | None, waivers_dir: Path | None, rank_by: str,
              rules_dir: Path, backend: str, profile: str, as_of, to_store: bool, round_kind, db, archive,
              register: bool, assessor: str) -> None:
    """批量评分:DIR 为证据包目录,或包含多个证据包子目录的上级目录。

    各单位在独立工作进程中评分;某个证据包有误或评分进程崩溃时,该单位记为失败行,不影响其他单位。
    排名依据默认为已确认得分(待核查项按 0 分计),排名表同时列出预估得分和得分区间上限。
    有单位评分失败时退出码为 2;全部评分但有单位评估未完成(检查出错)时退出码为 3。
    --store 把各单位存入结果库(核查结论请在入库后用 scorecard review import 追加)。
    """
    if to_store and (review_dir is not None or waivers_dir is not None):
        raise click.UsageError("--store 不与 --review/--waivers 同用:入库后用 scorecard review import 追加核查结论")
    bar = None  # --no-progress: no bar, and rich only imported to print a failed unit's line
    if progress is not False:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        show = console.is_terminal if progress is None else progress
        bar = Progress(TextColumn("[bold]评分中"), BarColumn(), MofNCompleteColumn(), TextColumn("已用"),
                       TimeElapsedColumn(), TextColumn("剩余"), TimeRemainingColumn(), TextColumn("{task.fields[failed]}"),
                       console=console, disable=not show)
    state = {"task": None, "failed": 0, "console": bar.console if bar is not None else None}

    def on_start(n: int) -> None:
        if bar is not None:
            state["task"] = bar.add_task("batch", total=n, failed="")

    def on_done(row: dict) -> None:
        if not row["ok"]:
            from rich.text import Text

            if state["console"] is None:
                from rich.console import Console

                state["console"] = Console(stderr=True)
            state["failed"] += 1
            # evidence text is never rich markup: "[/red]" in a cell must not end the batch; controls are escaped
            line = Text("失败 ", style="red")
            line.append(f"{visible(row['key'])}:{visible(row['error'])}")
            state["console"].print(line, highlight=False)
        if bar is not None:
            bar.update(state["task"], advance=1, failed=f"失败 {state['failed']}" if state["failed"] else "")

    with bar if bar is not None else contextlib.nullcontext():
        result = run_batch(list(dirs), out_dir, rules_dir, backend, jobs, timeout, max_tasks_per_worker, on_start, on_done,
                           profile=profile, review_dir=review_dir, waivers_dir=waivers_dir,
                           as_of=as_of.date() if as_of else None, rank_by=rank_by)
    rows = result.rows
    n_err = len(result.errors)
    if top:
        from engine.batch import failing_summary
        from engine.evaluate.pipeline import load_rules

        catalog = load_rules(rules_dir, profile=profile).catalog
        header, body = summary_table(failing_summary(rows, catalog), top)
        if body:
            click.echo(f"未达标单位最多的指标(前 {len(body)} 项):", err=True)
            for row in body:
                click.echo(f"  {row[0]:>2}. {row[2]}:{row[4]} 个单位未达标({row[5]}),缺少证据 {row[9]} 个", err=True)
    if review_dir is not None:
        used = {name for r in rows for name in r.get("review_files") or []}
        unused = sorted(p.name for p in review_dir.iterdir() if p.is_file() and p.name not in used
                        and p.suffix.lower() in (".yaml", ".yml", ".xlsx"))
        with_verdicts = sum(1 for r in rows if r.get("review_files"))
        click.echo(f"核查结论:{with_verdicts} 个单位已并入核查结论" + (f";未匹配任何单位的文件:{'、'.join(unused)}" if unused
                                                                      else ""), err=True)
    incomplete = [r["key"] for r in rows if r["ok"] and not r.get("complete", True)]
    click.echo(f"共 {len(rows)} 个单位:评分 {len(rows) - n_err} 个,失败 {n_err} 个"
               + (f",评估未完成 {len(incomplete)} 个({'、'.join(incomplete)})" if incomplete else "")
               + f"。排名依据:{FIGURES[rank_by][1]}。结果已写入 {out_dir}", err=True)
    if to_store:
        n_err += len(store_batch(rows, out_dir, rules_dir, profile, db=db, archive=archive, kind=round_kind,
                                 register=register, assessor=assessor))
    if n_err:
        sys.exit(EXIT_INPUT)
    if incomplete:
        sys.exit(EXIT_INCOMPLETE)
