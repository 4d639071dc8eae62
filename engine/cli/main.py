"""``scorecard`` command line: the main group and its commands, one module per command family.

Exit codes: 0 ok, 1 below --fail-under, 2 invalid input.
"""

from __future__ import annotations

import click

from engine.cli import batch, indicators, intake, rectify, review, score, store, synth, web
from engine.cli.options import ScorecardGroup
from engine.cli.zh import add_examples, install

install()  # click's frame and errors in Chinese


def _no_cache(ctx, param, value):
    if value:
        from engine.rules import cache

        cache.disable()


@click.group(cls=ScorecardGroup)
@click.version_option(package_name="fazhi-scorecard")
@click.option("--no-cache", is_flag=True, expose_value=False, callback=_no_cache,
              help="不使用编译规则缓存(也可设环境变量 SCORECARD_NO_CACHE=1)")
def main() -> None:
    """法治政府建设示范创建评估工具:按 87 项指标核查证据包、计分、出具报告。"""


for command in (indicators.indicators, indicators.format_doc, indicators.codes, intake.init_cmd, intake.validate,
                score.score_cmd, rectify.rectify_cmd, review.review_sheet, review.diff_cmd, review.profiles_cmd,
                batch.batch_cmd, synth.synth_cmd):
    main.add_command(command)
for command in (*store.COMMANDS, *web.COMMANDS):
    main.add_command(command)
add_examples(main)
