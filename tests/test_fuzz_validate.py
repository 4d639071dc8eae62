"""Fuzzing `validate`: random bytes and random structures as a CSV ledger, a YAML ledger and unit.yaml never end in
an exception — every outcome is a list of located problems (or a clean package)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import Problem
from engine.evaluate.pipeline import load_rules
from engine.evaluate.validate import validate_package

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=30), st.dates(), st.datetimes())
structures = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                           st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                          max_leaves=20)
cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


def _package(tmp_path_factory) -> Path:
    pkg = tmp_path_factory.mktemp("fuzz") / "pkg"
    shutil.copytree(ROOT / "examples" / "good-county", pkg)
    return pkg


def _validate(pkg: Path) -> list[Problem]:
    _, problems = validate_package(pkg, RULES)
    assert all(isinstance(p, Problem) and p.format() for p in problems)
    return problems


@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes_as_csv_yaml_and_unit(tmp_path_factory, data):
    pkg = _package(tmp_path_factory)
    (pkg / "ledgers" / "villages.csv").write_bytes(data)
    (pkg / "ledgers" / "attestations.csv").unlink()
    (pkg / "ledgers" / "attestations.yaml").write_bytes(data)
    _validate(pkg)
    (pkg / "unit.yaml").write_bytes(data)
    problems = _validate(pkg)
    assert problems  # random bytes are not a valid unit.yaml


@SETTINGS
@given(rows=st.lists(st.lists(cells, min_size=1, max_size=8), max_size=6), quote=st.booleans())
def test_random_csv_rows(tmp_path_factory, rows, quote):
    import csv
    import io

    pkg = _package(tmp_path_factory)
    header = (pkg / "ledgers" / "training_records.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL if quote else csv.QUOTE_MINIMAL).writerows(rows)
    text = header + "\n" + buf.getvalue()
    if not quote:
        text = text.replace('""', '"')  # also unbalanced quotes
    (pkg / "ledgers" / "training_records.csv").write_text(text, encoding="utf-8")
    _validate(pkg)


@SETTINGS
@given(records=st.one_of(structures, st.lists(st.dictionaries(
    st.sampled_from(["记录编号", "人员编号", "培训日期", "学时", "培训内容", "other"]), structures, max_size=6), max_size=5)))
def test_random_yaml_ledger(tmp_path_factory, records):
    pkg = _package(tmp_path_factory)
    (pkg / "ledgers" / "training_records.csv").unlink()
    (pkg / "ledgers" / "training_records.yaml").write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
    _validate(pkg)


@SETTINGS
@given(unit=st.one_of(structures, st.fixed_dictionaries(
    {"name": structures, "type": st.sampled_from(["县", "区", "镇", "部门", "省"]),
     "period": st.one_of(structures, st.fixed_dictionaries({"start": scalars, "end": scalars}))},
    optional={"inspection_date": scalars, "region": structures, "references": structures})))
def test_random_unit_yaml(tmp_path_factory, unit):
    pkg = _package(tmp_path_factory)
    (pkg / "unit.yaml").write_text(yaml.safe_dump(unit, allow_unicode=True), encoding="utf-8")
    _validate(pkg)
