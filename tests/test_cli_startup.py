"""Start-up: the command line imports only what a command needs (engine/cli/main.py loads commands lazily).

- ``import engine.cli.main`` and ``scorecard --help`` import no heavy library and no pipeline layer (checked in
  a fresh interpreter via ``sys.modules``), so this test fails if such an import creeps back;
- ``scorecard score`` (a one-unit run with the HTML report) does not import the workbook, document, database,
  web or dataframe libraries;
- a command runs with the cyclic garbage collector on (paused only while the command's modules are imported, which
  are then frozen), and OpenBLAS is held to one thread unless the user chose otherwise;
- the static command table of ``scorecard --help`` equals the commands themselves: every command is listed, with
  the short help it would show if imported, and the listing is the same as click's own for the imported commands.
(Timings are printed by ``bench/run`` (W1, ``--help`` vs ``python -c pass``), not asserted here.)
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

import engine.cli
from engine.cli.main import COMMANDS, load_command, main

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pydantic", "pydantic_core", "jinja2", "openpyxl", "docx", "rich", "sqlalchemy", "alembic", "starlette",
         "polars", "pyarrow", "pandas", "numpy", "yaml", "durable", "chinese_calendar", "python_calamine", "argon2",
         "psycopg", "uvicorn", "httpx")
LAYERS = ("engine.rules", "engine.evaluate", "engine.review", "engine.output", "engine.store", "engine.web",
          "engine.batch", "engine.synth", "evidence.package", "evidence.models", "evidence.schema")
NOT_FOR_SCORE = ("openpyxl", "docx", "rich", "sqlalchemy", "alembic", "starlette", "pandas", "argon2", "psycopg",
                 "uvicorn", "httpx", "engine.store.db", "engine.web", "engine.batch", "engine.synth",
                 "engine.output.rectify", "engine.output.writers", "engine.review.sheet")


def _imported_after(code: str) -> list[str]:
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _offending(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted({n for m in modules for n in names if m == n or m.startswith(n + ".")})


def test_import_and_help_stay_light():
    imported = _imported_after("import engine.cli.main")
    assert "click" in imported and "engine.cli.main" in imported
    assert _offending(imported, HEAVY + LAYERS) == []
    imported = _imported_after("from engine.cli import main\n"
                               "try:\n    main(['--help'])\nexcept SystemExit as exc:\n    assert exc.code == 0\n")
    assert _offending(imported, HEAVY + LAYERS) == []
    # the check itself can fail: a command module does pull these in
    imported = _imported_after("import engine.cli.score")
    assert {"pydantic", "engine.rules", "engine.evaluate"} <= set(_offending(imported, HEAVY + LAYERS))


def _imported_by_score(pkg: str, out: Path) -> list[str]:
    """The modules a `scorecard score PKG -o OUT` process has imported at its end (the HTML report written)."""
    imported = _imported_after("from engine.cli import main\n"
                               f"try:\n    main(['score', {pkg!r}, '-o', {str(out)!r}])\n"
                               "except SystemExit as exc:\n    assert exc.code in (0, 3), exc.code\n")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    return imported


def test_score_imports_only_what_scoring_needs(tmp_path):
    imported = _imported_by_score("examples/weak-town", tmp_path / "r.html")
    assert "jinja2" in imported and "engine.evaluate.pipeline" in imported
    assert _offending(imported, NOT_FOR_SCORE) == []


def test_score_of_a_large_ledger_reads_it_with_arrow_without_pyarrow_compute(tmp_path):
    """A ledger of 64 KB or more is read by Arrow; its compute functions are called directly (evidence.columns.Compute),
    never through ``pyarrow.compute``, whose import wraps ~290 functions (~20 ms of each run); numpy arrays become
    Arrow arrays without ``pa.array``, whose masked-array test imports numpy.ma (~7 ms)."""
    import shutil

    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "examples" / "weak-town", pkg)
    ledger = pkg / "ledgers" / "enforcement_cases.csv"
    header, *rows = ledger.read_text(encoding="utf-8").splitlines()
    copies = [f"{row.split(',', 1)[0]}-{k}," + row.split(",", 1)[1] for k in range(200) for row in rows]
    ledger.write_text("\n".join([header, *copies]) + "\n", encoding="utf-8")
    assert ledger.stat().st_size > 64 * 1024
    imported = _imported_by_score(str(pkg), tmp_path / "r.html")
    assert "pyarrow.csv" in imported and "pyarrow._compute" in imported
    assert "pyarrow.compute" not in imported and "numpy.ma" not in imported


def test_command_runs_with_the_collector_on_after_a_frozen_start_up(tmp_path):
    out = tmp_path / "r.html"
    probe = ("import gc, json, os\n"
             "import evidence.package as package\n"
             "seen = {}\n"
             "real = package.load_package\n"
             "def load_package(*args, **kwargs):\n"
             "    seen['enabled'], seen['frozen'] = gc.isenabled(), gc.get_freeze_count()\n"
             "    return real(*args, **kwargs)\n"
             "package.load_package = load_package\n"
             "from engine.cli import main\n"
             f"try:\n    main(['score', 'examples/weak-town', '-o', {str(out)!r}])\n"
             "except SystemExit as exc:\n    assert exc.code in (0, 3), exc.code\n"
             "import numpy\n"
             "print(json.dumps([seen, gc.isenabled(), os.environ['OPENBLAS_NUM_THREADS']]))\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    seen, enabled_after, blas = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["enabled"] and enabled_after  # scoring (and whatever follows) runs with the collector on
    assert seen["frozen"] > 10_000  # the imports' objects were frozen out of the collections
    assert blas == "1"
    # a user's own setting is kept; --help alone leaves the collector on too
    probe = ("import gc, os\nfrom engine.cli import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print(gc.isenabled(), os.environ['OPENBLAS_NUM_THREADS'])\n")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**env, "OPENBLAS_NUM_THREADS": "4"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-2:] == ["True", "4"]


def test_at_exit_what_is_alive_is_frozen_before_the_last_collection():
    """After a command, the interpreter's last collection at exit does not walk every object again (``engine.process``:
    ~20 ms of a W2 run): garbage left in a cycle is not collected at exit. Only when the command line is the process's
    own (``scorecard ...``): a program or a test that calls the group with its arguments keeps its own exit, and
    without the command line at all the probe's cycle is collected (the probe can tell)."""
    cycle = ("import os\n"
             "class Cycle:\n"
             "    def __del__(self, write=os.write):\n"
             "        write(1, b'collected')\n"
             "c = Cycle(); c.me = c; del c\n")
    run = "try:\n    main({})\nexcept SystemExit:\n    pass\n"
    as_the_process = "import sys\nfrom engine.cli import main\nsys.argv = ['scorecard', '--help']\n" + run.format("")
    called = "from engine.cli import main\n" + run.format("['--help']")
    outs = []
    for probe in (as_the_process + cycle, called + cycle, cycle):
        proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    assert b"collected" not in outs[0]
    assert b"collected" in outs[1]
    assert b"collected" in outs[2]


def _top_level_commands() -> dict[str, tuple[str, str]]:
    """Every command object the command modules define, except a group's subcommands: name -> (module, attr)."""
    found: dict[str, tuple[str, str]] = {}
    subcommands: set[int] = set()
    for info in pkgutil.iter_modules(engine.cli.__path__):
        if info.name in ("main", "options", "zh"):
            continue
        module = importlib.import_module(f"engine.cli.{info.name}")
        for attr, value in vars(module).items():
            if isinstance(value, click.Group):
                subcommands.update(id(c) for c in value.commands.values())
            if isinstance(value, click.Command) and value.callback is not None \
                    and value.callback.__module__ == module.__name__:
                found.setdefault(value.name, (info.name, attr))
    objects = {name: getattr(importlib.import_module(f"engine.cli.{m}"), a) for name, (m, a) in found.items()}
    return {name: where for name, where in found.items() if id(objects[name]) not in subcommands}


def test_command_table_is_complete_and_true():
    commands = _top_level_commands()
    assert {name: (m, a) for name, (m, a, _) in COMMANDS.items()} == commands
    for name, (_, _, short) in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        first = (command.help or "").split("\n\n")[0]
        assert short == " ".join(first.split()), name
        for limit in (30, 45, 80, 200):
            assert click.Command(name, help=short).get_short_help_str(limit) == command.get_short_help_str(limit)


def test_help_lists_every_command_as_click_would():
    lazy = CliRunner().invoke(main, ["--help"], prog_name="scorecard", terminal_width=100)
    eager = click.Group("main", help=main.help, params=main.params,
                        commands={name: load_command(name) for name in COMMANDS})
    eager.options_metavar, eager.subcommand_metavar = main.options_metavar, main.subcommand_metavar
    expected = CliRunner().invoke(eager, ["--help"], prog_name="scorecard", terminal_width=100)
    assert lazy.exit_code == 0 and lazy.output == expected.output
    listing = lazy.output.split("命令:")[1]
    for name in COMMANDS:
        assert f"\n  {name} " in listing
