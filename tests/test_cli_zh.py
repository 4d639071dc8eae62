"""The command line speaks Chinese: click's frame and errors, an example block in every command's help; the
output format follows the -o extension and one run writes several outputs."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from report_cases import EXAMPLES

from engine.cli import main

ENGLISH = ("Usage:", "Options:", "Show this message", "Commands:", "Error:", "[OPTIONS]", "%Y-%m-%d")


def leaves(cmd, path=()):
    yield path, cmd
    if isinstance(cmd, click.Group):  # the main group loads its commands lazily: asked for, as click does
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            yield from leaves(cmd.get_command(ctx, name), (*path, name))


COMMANDS = [p for p, _ in leaves(main)]


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) or "scorecard" for p in COMMANDS])
def test_every_help_is_chinese_with_examples(path):
    res = CliRunner().invoke(main, [*path, "--help"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("用法:") and "选项:" in res.output and "显示本帮助并退出" in res.output
    assert "示例:" in res.output and "scorecard " + " ".join(path) in res.output.split("示例:")[1]
    for word in ENGLISH:
        assert word not in res.output, (path, word)


@pytest.mark.parametrize("args, expected", [
    (["score", "--nope"], "错误:没有选项 '--nope'"),
    (["scor"], "错误:没有命令 'scor'。 是否为 'score'?"),
    (["init", "x", "--type", "乡", "--name", "a", "--period-start", "2021-01-01", "--period-end", "2022-12-31"],
     "'--type' 的值无效:'乡' 不是以下取值之一:'县', '区', '镇', '街道', '部门'"),
    (["init", "x", "--type", "镇"], "错误:缺少选项 '--name'"),
    (["rectify", "x", "--days", "abc", "-o", "x.xlsx"], "'abc' 不是有效的整数"),
])
def test_click_errors_are_chinese(args, expected):
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2
    assert expected in res.output, res.output
    assert "运行 'scorecard" in res.output or "用法:" in res.output or "错误" in res.output
    for word in ("Error:", "Usage:", "Try '", "No such"):
        assert word not in res.output


def test_score_infers_formats_from_suffixes_and_writes_several(tmp_path):
    outs = [tmp_path / "r.html", tmp_path / "r.json", tmp_path / "r.md"]
    res = CliRunner().invoke(main, ["score", str(EXAMPLES / "weak-town"), *sum((["-o", str(o)] for o in outs), [])])
    assert res.exit_code in (0, 3), res.output
    assert outs[0].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert json.loads(outs[1].read_text(encoding="utf-8"))["unit"]["name"] == "柳溪镇人民政府"
    assert outs[2].read_text(encoding="utf-8").startswith("# ")
    res = CliRunner().invoke(main, ["score", str(EXAMPLES / "weak-town"), "-o", str(tmp_path / "r.txt")])
    assert res.exit_code == 2 and "扩展名" in res.output and "json、md、html、pdf" in res.output
    res = CliRunner().invoke(main, ["score", str(EXAMPLES / "weak-town"), "--format", "pdf"])
    assert res.exit_code == 2 and "PDF 不能写到标准输出" in res.output


def test_pdf_without_chromium_is_a_clear_chinese_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SCORECARD_CHROMIUM", str(tmp_path / "no-such-browser"))
    monkeypatch.setenv("PATH", str(tmp_path))
    res = CliRunner().invoke(main, ["score", str(EXAMPLES / "weak-town"), "-o", str(tmp_path / "r.pdf")])
    assert res.exit_code == 2 and "未找到 Chromium 浏览器" in res.output and "apt-get install chromium" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "r.pdf").exists()
