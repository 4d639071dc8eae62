"""The folder list shows the pipeline, and the imports keep to it.

- the import-linter contracts in pyproject.toml (layers, foundations, no cycles) are kept;
- the same contracts are broken when a cycle or an upward import is planted in a copy of the tree
  (so this test can fail);
- every module imports on its own, in a fresh interpreter state (no import-order dependence);
- README's 工作原理 diagram names exactly the folders and modules that exist.
"""

from __future__ import annotations

import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "evidence")


def _lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(config_filename='pyproject.toml'))"
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)


def _modules() -> list[str]:
    names = []
    for pkg in PACKAGES:
        names.append(pkg)
        for info in pkgutil.walk_packages([str(ROOT / pkg)], prefix=pkg + "."):
            names.append(info.name)
    return sorted(names)


def test_import_contracts_kept():
    proc = _lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize("plant, broken", [
    # a cycle between two sibling modules of one layer
    ("engine/rules/model.py", "No import cycle"),
    # an upward import: rules reaching into output
    ("engine/rules/catalog.py", "Pipeline layers"),
    # a foundation importing a layer
    ("engine/errors.py", "Foundations"),
])
def test_contracts_catch_planted_violations(tmp_path, plant, broken):
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    line = {
        "engine/rules/model.py": "import engine.rules.compiler\n",
        "engine/rules/catalog.py": "import engine.output.render\n",
        "engine/errors.py": "import engine.evaluate.checks\n",
    }[plant]
    path = tmp_path / plant
    path.write_text(path.read_text(encoding="utf-8") + "\n" + line, encoding="utf-8")
    proc = _lint(tmp_path)
    assert proc.returncode != 0
    out = proc.stdout.replace("\n", " ")
    assert re.search(re.escape(broken) + r".*BROKEN", out), proc.stdout


def test_every_module_imports_alone():
    modules = _modules()
    assert "engine.evaluate.pipeline" in modules and "engine.cli.main" in modules
    code = (
        "import importlib, sys\n"
        f"mods = {modules!r}\n"
        "bad = []\n"
        "for m in mods:\n"
        "    for k in [k for k in sys.modules if k.split('.')[0] in ('engine', 'evidence')]:\n"
        "        del sys.modules[k]\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "    except Exception as exc:\n"
        "        bad.append(f'{m}: {exc!r}')\n"
        "print('\\n'.join(bad)); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_public_entry_points_stay():
    from engine.cli import main
    from engine.evaluate import load_rules, score, validate_package
    from engine.review import apply_verdicts, finalize, load_verdicts

    assert main.name == "main" and callable(load_rules) and callable(score) and callable(validate_package)
    assert callable(apply_verdicts) and callable(finalize) and callable(load_verdicts)
    with pytest.raises(AttributeError):
        import engine.evaluate as ev

        ev.no_such_name  # noqa: B018


def test_readme_diagram_matches_the_folders():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## 工作原理", 1)[1].split("```", 2)[1]
    named = set(re.findall(r"(?:engine|evidence)/[\w/]*(?:\.py)?", block))
    # shorthand "engine/errors.py、yamlio.py、results.py" names modules of engine/
    shorthand = {"engine/" + m for m in re.findall(r"、(\w+\.py)", block)}
    for path in named | shorthand:
        assert (ROOT / path).exists(), f"README names {path}, which does not exist"
    subpackages = {f"engine/{p.name}/" for p in (ROOT / "engine").iterdir() if (p / "__init__.py").exists()}
    top_modules = {f"engine/{p.name}" for p in (ROOT / "engine").glob("*.py") if p.name != "__init__.py"}
    missing = (subpackages | top_modules) - named - shorthand
    assert not missing, f"README's diagram does not show {sorted(missing)}"
    # every module of a pipeline subpackage is named in its line of the diagram
    for sub in ("rules", "evaluate", "review", "output", "cli"):
        mods = {p.stem for p in (ROOT / "engine" / sub).glob("*.py") if p.stem != "__init__"}
        mods |= {p.name for p in (ROOT / "engine" / sub).iterdir() if (p / "__init__.py").exists()}
        for m in mods:
            assert re.search(rf"\b{m}\b", block), f"README's diagram does not name engine/{sub}/{m}"


def test_each_subpackage_says_what_it_may_import():
    for init in sorted((ROOT / "engine").glob("*/__init__.py")):
        doc = init.read_text(encoding="utf-8").split('"""')
        assert len(doc) >= 3 and len(doc[1]) > 150, f"{init} needs a module docstring"
        if init.parent.name != "cli":
            assert "import" in doc[1], f"{init}'s docstring should say what it may import"
