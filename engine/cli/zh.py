"""The command line in Chinese: click's own frame and errors, and an example block in every command's help.

click marks its texts for gettext (``_()``/``ngettext()`` bound in each of its modules) but ships no Chinese
catalogue; ``install`` points those module-level names at ``CATALOG`` below (text not listed stays English, so
a click upgrade degrades gracefully rather than breaking). Date options show ``YYYY-MM-DD`` instead of
``[%Y-%m-%d]``. ``add_examples`` appends each command's ``EXAMPLES`` (kept here, next to each other, so every
command has them) as a "示例" block.
"""

from __future__ import annotations

import inspect

import click

CATALOG = {
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s,版本 %(version)s",
    "Error: {message}": "错误:{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Missing command.": "缺少命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数:{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效:{message}",
    "Invalid value: {message}": "值无效:{message}",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "Got unexpected extra argument ({args})": "多余的参数({args})",
    "Got unexpected extra arguments ({args})": "多余的参数({args})",
    "Did you mean {possibility}?": "是否为 {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(是否为以下之一:{possibilities}?)",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是以下取值之一:{choices}。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合以下格式:{formats}。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件,应为目录。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录,应为文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}:{message}",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "default: {default}": "默认:{default}",
    "required": "必填",
    "env var: {var}": "环境变量:{var}",
    "Aborted!": "已中止。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值,实际给出 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值,实际给出 {len} 个。",
    "Choose from:\n\t{choices}": "可选:\n\t{choices}",
}
NUMBER_TYPES = {"integer": "整数", "float": "数字", "integer range": "整数", "float range": "数字"}


def gettext(message: str) -> str:
    return CATALOG.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return CATALOG.get(singular if n == 1 else plural, singular if n == 1 else plural)


_installed = False


def install() -> None:
    """Point click's gettext names at the Chinese catalogue (idempotent)."""
    global _installed
    if _installed:
        return
    import importlib

    for name in ("core", "exceptions", "formatting", "types", "parser", "decorators", "termui", "utils"):
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - a click without that module
            continue
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
    for cls in (click.types.IntParamType, click.types.FloatParamType, click.types.IntRange, click.types.FloatRange):
        cls.name = NUMBER_TYPES.get(cls.name, cls.name)

    def date_metavar(self, *args, **kwargs) -> str:
        return "|".join(f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD").replace("%H", "HH")
                        .replace("%M", "mm") for f in self.formats)

    click.DateTime.get_metavar = date_metavar
    _installed = True


EXAMPLES: dict[str, list[str]] = {
    "": ["scorecard init 青山镇证据包 --type 镇 --name 青山镇人民政府 --period-start 2021-01-01 --period-end 2022-12-31",
         "scorecard validate 青山镇证据包", "scorecard score 青山镇证据包 -o 评估报告.html -o 评估报告.pdf",
         "scorecard rectify 青山镇证据包 -o 整改清单.xlsx"],
    "indicators": ["scorecard indicators list", "scorecard indicators show 73"],
    "indicators list": ["scorecard indicators list", "scorecard indicators list --profile township"],
    "indicators show": ["scorecard indicators show 73", "scorecard indicators show 10 --profile township"],
    "format-doc": ["scorecard format-doc > evidence/FORMAT.md"],
    "codes": ["scorecard codes", "scorecard codes | grep 突发事件"],
    "init": ["scorecard init 青山镇证据包 --type 镇 --name 青山镇人民政府 --period-start 2021-01-01 --period-end 2022-12-31",
             "scorecard init 东城街道证据包 --type 街道 --name 东城街道办事处 --period-start 2021-01-01 --period-end 2022-12-31"],
    "validate": ["scorecard validate examples/weak-town", "scorecard validate 青山镇证据包 --format json > 问题.json"],
    "score": ["scorecard score examples/weak-town -o 评估报告.html",
              "scorecard score examples/weak-town -o 结果.json -o 评估报告.md -o 评估报告.pdf",
              "scorecard score examples/weak-town --profile township --review 核查表.xlsx -o 评估报告.html"],
    "rectify": ["scorecard rectify examples/weak-town -o 整改清单.xlsx",
                "scorecard rectify examples/weak-town -o 整改清单.xlsx -o 整改清单.docx --days 30",
                "scorecard rectify examples/weak-town --split 整改通知/ --format docx"],
    "review-sheet": ["scorecard review-sheet examples/weak-town -o 核查表.xlsx",
                     "scorecard score examples/weak-town --review 核查表.xlsx -o 评估报告.html"],
    "diff": ["scorecard diff 自评.json 评估.json", "scorecard diff 评估.json 复核.json --rectification --format md -o 销号.md"],
    "profiles": ["scorecard profiles", "scorecard profiles --format json"],
    "batch": ["scorecard batch 各单位证据包/ -o 批量结果/", "scorecard batch 各单位证据包/ -o 批量结果/ -j 2 --review 核查结论/"],
    "synth": ["scorecard synth 合成包/ --seed 1 --unit-type 镇 --violations 0.1",
              "scorecard synth 大包/ --size enforcement_cases=100000 --format xlsx"],
    "archive-file": ["scorecard archive-file 3f2a…(摘要) -o 附件.pdf --db scorecard.db"],
    "db": ["scorecard db init --db scorecard.db", "scorecard db backup 备份/ --db scorecard.db"],
    "db init": ["scorecard db init --db scorecard.db",
                "scorecard db init --db postgresql+psycopg://user@localhost/scorecard"],
    "db upgrade": ["scorecard db upgrade --db scorecard.db"],
    "db backup": ["scorecard db backup 备份/ --db scorecard.db"],
    "history": ["scorecard history 青山镇人民政府 --db scorecard.db"],
    "ranking": ["scorecard ranking --db scorecard.db --type 镇", "scorecard ranking --db scorecard.db -o 排名.xlsx"],
    "export": ["scorecard export 1 -o 评估1.zip --db scorecard.db"],
    "reproduce": ["scorecard reproduce 1 --db scorecard.db"],
    "review": ["scorecard review import 1 核查表.xlsx --db scorecard.db", "scorecard review export 1 -o 核查表.xlsx --db scorecard.db"],
    "review import": ["scorecard review import 1 核查表.xlsx --db scorecard.db"],
    "review export": ["scorecard review export 1 -o 核查表.xlsx --db scorecard.db"],
    "rectify-item": ["scorecard rectify-item 12 --status 整改中 --responsible 张三 --note 已起草制度 --db scorecard.db"],
    "serve": ["scorecard db init && scorecard serve --demo",
              "scorecard serve --db postgresql+psycopg://user@localhost/scorecard --archive /srv/佐证归档 --port 8000"],
    "user": ["scorecard user add zhang --role 评估人员 --scope 示例省 --name 张三",
             "scorecard user add qingshan --role 单位用户 --unit 示例省示例市/青山县人民政府"],
    "user add": ["scorecard user add zhang --role 评估人员 --scope 示例省 --name 张三",
                 "scorecard user add qingshan --role 单位用户 --unit 示例省示例市/青山县人民政府",
                 "echo 新密码123456 | scorecard user add admin --role 管理员 --password-stdin"],
    "user passwd": ["scorecard user passwd zhang"],
    "user disable": ["scorecard user disable zhang"],
    "user enable": ["scorecard user enable zhang"],
    "user list": ["scorecard user list --db scorecard.db"],
    "ranking-access": ["scorecard ranking-access 评估 开 --db scorecard.db", "scorecard ranking-access --db scorecard.db"],
}


def add_examples(command: click.Command, path: str = "") -> None:
    """Append the "示例" block to ``command``'s help and, for a group, to each subcommand's."""
    command.options_metavar = "[选项]"
    if isinstance(command, click.Group):
        command.subcommand_metavar = "命令 [参数]..."
    if command.help and "\n" in command.help:  # a docstring's later paragraphs lose the function's indentation
        command.help = inspect.cleandoc(command.help)
    lines = EXAMPLES.get(path)
    if lines and "示例:" not in (command.help or ""):
        block = "\n\n\b\n示例:\n" + "\n".join(f"  {line}" for line in lines)
        command.help = (command.help or "").rstrip() + block
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            add_examples(sub, f"{path} {name}".strip())
