"""Shared fixtures: the real rules, and a builder for small evidence packages written in the real format."""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from engine.evaluate import load_rules, score
from engine.evaluate.backends import get_backend
from engine.synth import Synth, write_package
from evidence.package import load_package

# The compiled-rules cache of this test session (and of the scorecard processes it starts) lives in a private temp
# directory, not in the user's ~/.cache: tests never leave files in a home directory.
if "SCORECARD_CACHE_DIR" not in os.environ:
    os.environ["SCORECARD_CACHE_DIR"] = tempfile.mkdtemp(prefix="scorecard-test-cache-")
    atexit.register(shutil.rmtree, os.environ["SCORECARD_CACHE_DIR"], True)

pytest_plugins = ["store_support"]  # db_url (SQLite and a real PostgreSQL server), pg_server, store_env

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def rules():
    return load_rules()


def unit_dict(**overrides) -> dict:
    unit = {"name": "测试县人民政府", "type": "县", "region": "某省某市",
            "period": {"start": "2021-01-01", "end": "2022-12-31"}}
    unit.update(overrides)
    return unit


def build_package(path: Path, rules, ledgers: dict[str, list[dict]], **unit_overrides) -> Path:
    """Write a package whose records carry the given fields; other required fields get neutral values."""
    unit = unit_dict(**unit_overrides)
    period = unit["period"]
    synth = Synth(rules, (dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"])), seed=7)
    records: dict[str, list[dict]] = {}
    for name, rows in ledgers.items():
        ld = rules.ledgers.ledgers[name]
        out = []
        for row in rows:
            base = synth.base_record(name)
            rec = {k: v for k, v in base.items() if ld.fields[k].required}
            rec.update(row)
            out.append(rec)
        records[name] = out
    write_package(path, unit, records, rules)
    return path


def on_time_release(package: Path, event: str = "E-00001", hours: int = 2) -> str:
    """A first release ``hours`` after the event of ``event`` (weak-town's planted 7-hour release, corrected), computed
    from the example itself so regenerated examples keep the case."""
    import csv

    with open(package / "ledgers" / "emergencies.csv", encoding="utf-8-sig", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["事件编号"] == event)
    occurred = dt.datetime.strptime(row["事件发生时间"], "%Y-%m-%d %H:%M")
    return (occurred + dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


def score_records(tmp_path: Path, rules, ledgers: dict[str, list[dict]], backend: str = "python", **unit_overrides):
    pkg = build_package(tmp_path / "pkg", rules, ledgers, **unit_overrides)
    return score(load_package(pkg, rules.ledgers), rules, get_backend(backend))


def find_check(result, no: int, **attrs):
    """The check result of indicator ``no`` whose rule definition has the given attributes."""
    ind_rule = load_rules().catalog.get(no)
    ind = next(i for i in result.indicators if i.no == no)
    for rule_check, res in zip(ind_rule.checks, ind.checks):
        if all(_attr(rule_check, k) == v for k, v in attrs.items()):
            return res
    raise AssertionError(f"indicator {no} has no check with {attrs}: {[c.model_dump(exclude_defaults=True) for c in ind_rule.checks]}")


def _attr(obj, dotted: str):
    for part in dotted.split("__"):
        obj = getattr(obj, part, None) if not isinstance(obj, dict) else obj.get(part)
    return obj


def strip_location(node):
    """A result without where records came from (file, sheet, row, digests): that differs by file format,
    scores, statuses and evidence values must not."""
    if isinstance(node, dict):
        return {k: strip_location(v) for k, v in node.items()
                if k not in ("file", "sheet", "row", "rows", "evidence_digest", "sha256")}
    if isinstance(node, list):
        return [strip_location(v) for v in node]
    return node
