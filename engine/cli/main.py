"""``scorecard`` command line: the main group and its commands, one module per command family.

Commands are loaded when used: ``COMMANDS`` names each command's module, attribute and short help, so
``scorecard --help`` lists them all without importing any command module (nor pydantic, the rules, Jinja2,
openpyxl, SQLAlchemy...), and ``scorecard score`` imports only what scoring needs. ``tests/test_cli_startup.py``
keeps the table equal to the commands themselves and the start-up free of heavy imports.

Start-up of a command (``LazyGroup.main``) uses ``engine.process``: OpenBLAS held to one thread, the cyclic garbage
collector paused while the command's modules are imported and resumed (after ``gc.freeze()``) once they are, and,
when the run reads the process's own command line (``scorecard ...``, not a test's or another program's call with
its arguments), what is alive at exit frozen before the interpreter's last collection (the reasons and measurements
are there).

Exit codes: 0 ok, 1 below --fail-under, 2 invalid input.
"""

from __future__ import annotations

import importlib

import click

from engine import process
from engine.cli.options import ScorecardGroup
from engine.cli.zh import add_examples, install

install()  # click's frame and errors in Chinese
process.limit_blas()  # before numpy loads OpenBLAS; batch workers inherit it

# name -> (module under engine.cli, attribute, first paragraph of the command's help: the listing's short help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "archive-file": ("store", "archive_file_cmd", "按 SHA-256 摘要从佐证归档取出一个文件(报告中列出的台账、附件摘要)。"),
    "batch": ("batch", "batch_cmd", "批量评分:DIR 为证据包目录,或包含多个证据包子目录的上级目录。"),
    "codes": ("indicators", "codes", "列出规则使用的全部代码(材料类型、活动类型、负面事项类型、情况说明事项代码、指标代码)。"),
    "db": ("store", "db_group", "结果库管理:初始化、升级结构、备份。"),
    "diff": ("review", "diff_cmd", "对比两次评估结果(JSON):新通过、新未通过、得分与证据变化、分类汇总。"),
    "export": ("store", "export_cmd",
               "导出一次评估:结果 JSON、评估报告(Markdown、HTML)、证据清单与归档文件摘要、核查结论记录,打包为 zip。"),
    "format-doc": ("indicators", "format_doc", "输出证据包格式说明(evidence/FORMAT.md 的内容)。"),
    "history": ("store", "history_cmd", "列出一个单位历次评估(自评、评估、复核)的得分与结论。UNIT 为单位编号(地区/名称)或名称。"),
    "indicators": ("indicators", "indicators", "查看指标规则。"),
    "init": ("intake", "init_cmd", "生成空白证据包:unit.yaml、每本台账一个 Excel 模板(中文表头、填写说明、下拉选项)和中文 README。"),
    "profiles": ("review", "profiles_cmd", "列出 profiles/ 下的剪裁方案及其摘要、剪裁内容。"),
    "ranking": ("store", "ranking_cmd",
                "结果库中各单位的横向排名:各单位类型分别排名(按所选得分从高到低,同分按名称),可按轮次、单位类型、地区筛选。"),
    "ranking-access": ("web", "ranking_access_cmd", "设置单位用户能否在评估工作台查看本单位在某轮次排名中的名次(默认关);不给参数时列出各轮次的设置。"),
    "rectify": ("rectify", "rectify_cmd",
                "生成整改清单:每个未通过、部分通过的指标一行(含核查人员判为未通过的事项及其理由),缺少证据的指标列为「补充材料」。"),
    "rectify-item": ("store", "rectify_item_cmd", "更新一项整改事项:责任人、整改时限、进展、佐证、状态(已整改的事项由评估人员销号)。"),
    "reproduce": ("store", "reproduce_cmd",
                  "用归档的证据文件、规则与核查结论重新评分,核对与入库结果是否逐字节一致(一致退出码 0,不一致 1)。"),
    "review": ("store", "review_group", "人工核查结论与结果库:导入(追加到核查记录,最新的结论生效)、导出。"),
    "review-sheet": ("review", "review_sheet",
                     "生成人工核查工作表:每个尚无核查结论的核查项一行(自动检查未通过的指标也列出),附已收集的证据, "
                     "供评估人员填写后用 --review 导入(已有 --review 结论的核查项不再列出)。"),
    "score": ("score", "score_cmd", "对证据包评分,输出评估结果(已确认得分、预估得分、得分区间)。--store 同时存入结果库。"),
    "serve": ("web", "serve_cmd", "启动评估工作台网页(总览、核查队列、整改看板、排名、填报)。"),
    "synth": ("synth", "synth_cmd", "生成合成证据包(演示、培训、压力测试用):按规则为每项检查生成记录,可控制规模与不达标比例。"),
    "user": ("web", "user_group", "评估工作台账号:新建、改密码、停用、启用、列出。"),
    "validate": ("intake", "validate",
                 "核查证据包格式(评分前),列出全部问题;给出 --review / --waivers 时一并核查这些文件 "
                 "(格式、指标与检查项是否在 --profile 剪裁后的规则中)。有错误时退出码为 2。"),
}


def load_command(name: str) -> click.Command:
    """Import the command ``name`` from its module (with its Chinese example block)."""
    module, attribute, _ = COMMANDS[name]
    command = getattr(importlib.import_module(f"engine.cli.{module}"), attribute)
    add_examples(command, name)
    return command


class LazyGroup(ScorecardGroup):
    """The commands of ``COMMANDS``, each imported the first time it is invoked or asked for its help."""

    def main(self, args=None, *rest, **kwargs):
        process.pause_gc()
        if args is None:  # the process's own command line: this run is the process (not a test's or a server's call)
            process.freeze_at_exit()
        try:
            return super().main(args, *rest, **kwargs)
        finally:
            process.resume_gc()  # a run that loaded no command (--help, a usage error)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            self.commands[name] = load_command(name)
        process.resume_gc()
        return self.commands.get(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in COMMANDS:
                rows.append((name, click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit)))
            else:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
        with formatter.section(click.core._("Commands")):
            formatter.write_dl(rows)


def _no_cache(ctx, param, value):
    if value:
        from engine.rules import cache

        cache.disable()


@click.group(cls=LazyGroup)
@click.version_option(package_name="fazhi-scorecard")
@click.option("--no-cache", is_flag=True, expose_value=False, callback=_no_cache,
              help="不使用编译规则缓存(也可设环境变量 SCORECARD_NO_CACHE=1)")
def main() -> None:
    """法治政府建设示范创建评估工具:按 87 项指标核查证据包、计分、出具报告。"""


add_examples(main)
