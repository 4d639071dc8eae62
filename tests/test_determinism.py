"""Properties: order independence, score bounds, and agreement of the two rule backends."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import random
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES, score_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.evaluate import score
from engine.evaluate.backends import durable_available, get_backend
from evidence.package import load_package

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _strip_rows(data):
    """Row numbers and file digests follow the file's byte order; everything else must not."""
    if isinstance(data, dict):
        return {k: _strip_rows(v) for k, v in data.items() if k not in ("row", "evidence_digest", "sha256")}
    if isinstance(data, list):
        return [_strip_rows(v) for v in data]
    return data


def _shuffle_package(src: Path, dst: Path, seed: int) -> None:
    shutil.copytree(src, dst)
    rng = random.Random(seed)
    for path in sorted((dst / "ledgers").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        body = rows[1:]
        rng.shuffle(body)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([rows[0], *body])


@pytest.mark.parametrize("example", ["good-county", "weak-town"])
def test_same_input_gives_byte_identical_json(rules, example):
    pkg = load_package(EXAMPLES / example, rules.ledgers)
    first = score(pkg, rules, get_backend("python")).to_json()
    again = score(load_package(EXAMPLES / example, rules.ledgers), rules, get_backend("python")).to_json()
    assert first == again


@SETTINGS
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_shuffling_ledger_rows_leaves_results_identical(tmp_path_factory, rules, seed):
    base = score(load_package(EXAMPLES / "weak-town", rules.ledgers), rules, get_backend("python"))
    dst = tmp_path_factory.mktemp("shuffled") / "pkg"
    _shuffle_package(EXAMPLES / "weak-town", dst, seed)
    shuffled = score(load_package(dst, rules.ledgers), rules, get_backend("python"))
    a, b = json.loads(base.to_json()), json.loads(shuffled.to_json())
    assert _strip_rows(a) == _strip_rows(b)
    # and the cited rows still point at the cited records in the shuffled files
    for ind in b["indicators"]:
        for check in ind["checks"]:
            for ev in check["evidence"]:
                if ev["row"] is None or not ev["file"].endswith(".csv"):
                    continue
                with open(dst / ev["file"], encoding="utf-8", newline="") as fh:
                    rows = list(csv.reader(fh))
                assert rows[ev["row"] - 1][0] == ev["id"]


record_strategy = st.fixed_dictionaries({
    "issued_date": st.dates(min_value=dt.date(2020, 6, 1), max_value=dt.date(2023, 6, 30)),
    "legality_reviewed": st.sampled_from([True, False, None]),
    "filed": st.sampled_from([True, False, None]),
    "filed_date": st.one_of(st.none(), st.dates(min_value=dt.date(2020, 6, 1), max_value=dt.date(2023, 9, 30))),
    "filing_compliant": st.sampled_from([True, False, None]),
    "collectively_deliberated": st.sampled_from([True, False]),
    "review_result": st.sampled_from(["合法", "不合法", "修改后合法", None]),
})
emergency_strategy = st.builds(
    lambda level, start, h1, h2: {"level": level, "occurred_at": start, "first_release_at": start + dt.timedelta(minutes=h1),
                                  "press_conference_at": start + dt.timedelta(minutes=h2)},
    st.sampled_from(["特别重大", "重大", "较大", "一般"]),
    st.datetimes(min_value=dt.datetime(2021, 1, 1), max_value=dt.datetime(2022, 12, 30)),
    st.integers(min_value=-60, max_value=600), st.integers(min_value=0, max_value=2000),
)


@pytest.mark.skipif(not durable_available(), reason="durable_rules cannot be imported on this Python")
@SETTINGS
@given(docs=st.lists(record_strategy, max_size=30), events=st.lists(emergency_strategy, max_size=8))
def test_backends_agree_and_scores_stay_in_bounds(tmp_path_factory, rules, docs, events):
    ledgers = {"normative_documents": [{k: v for k, v in d.items() if v is not None} for d in docs],
               "emergencies": events}
    tmp = tmp_path_factory.mktemp("p")
    py = score_records(tmp / "a", rules, copy.deepcopy(ledgers), backend="python")
    du = score_records(tmp / "b", rules, copy.deepcopy(ledgers), backend="durable")
    assert _strip_rows(json.loads(py.to_json())) == _strip_rows(json.loads(du.to_json()))
    assert 0 <= py.summary.score <= py.summary.total_points
    for item in py.indicators:
        assert 0 <= item.earned <= item.points
        for check in item.checks:
            assert 0 <= check.score <= 1


@pytest.mark.skipif(not durable_available(), reason="durable_rules cannot be imported on this Python")
@pytest.mark.parametrize("example", ["good-county", "weak-town"])
def test_backends_agree_on_examples(rules, example):
    pkg = load_package(EXAMPLES / example, rules.ledgers)
    assert score(pkg, rules, get_backend("python")).to_json() == score(pkg, rules, get_backend("durable")).to_json()
