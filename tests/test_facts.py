"""Facts are deduplicated: records that agree on everything the rules read share one fact; matches map back
to every record exactly as if each record had been a fact of its own."""

from __future__ import annotations

import copy
import random

import pytest
from conftest import EXAMPLES, unit_dict
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluate.backends import durable_available, get_backend
from engine.evaluate.facts import build_facts, measure
from engine.evaluate.workdays import WorkCalendar, package_calendar
from engine.rules.compiler import blank_flag
from engine.rules.conditions import month_day_field, month_day_value, normalise_value
from engine.synth import generate
from evidence.package import load_package

BACKENDS = ["python"] + (["durable"] if durable_available() else [])


def per_record_matches(rules, package, calendar) -> dict[int, list[int]]:
    """The oracle: one fact per record, every predicate tested on every record."""
    out = {}
    for pred in rules.predicates:
        ledger = package.ledgers.get(pred.ledger)
        matched = []
        for i, record in enumerate(ledger.records if ledger else []):
            fact = {"_l": rules.ledger_code(pred.ledger)}
            fact.update({k: normalise_value(v) for k, v in record.items()
                         if k in rules.fields_by_ledger.get(pred.ledger, []) and v is not None})
            fact.update({blank_flag(f): True for f in rules.blank_flags(pred.ledger) if record.get(f) is None})
            fact.update({month_day_field(f): month_day_value(record[f]) for f in rules.month_days.get(pred.ledger, [])
                         if record.get(f) is not None})
            for d in rules.derived_by_ledger.get(pred.ledger, []):
                value = measure(d, record, calendar)
                if value is not None:
                    fact[d.name] = value
            if pred.test(fact):
                matched.append(i)
        out[pred.index] = matched
    return out


def record_matches(rules, facts, backend: str) -> dict[int, list[int]]:
    """A backend's distinct-fact matches, mapped back to record indices."""
    matches = get_backend(backend).match(rules, facts)
    assert all(groups == sorted(set(groups)) for groups in matches.values())
    return {i: facts.records_matching(rules.predicates[i].ledger, groups) for i, groups in matches.items()}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, rules):
    out = tmp_path_factory.mktemp("synth") / "pkg"
    sizes = {"enforcement_cases": 3000, "normative_documents": 200, "disclosure_requests": 300, "training_records": 300}
    generate(rules, out, unit=unit_dict(), sizes=sizes, seed=7, violation_share=0.1)
    return load_package(out, rules.ledgers)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("which", ["weak-town", "good-county", "synthetic"])
def test_matches_equal_one_fact_per_record(rules, synthetic, backend, which):
    package = synthetic if which == "synthetic" else load_package(EXAMPLES / which, rules.ledgers)
    calendar = package_calendar(package.root)
    facts = build_facts(rules, package, calendar)
    assert record_matches(rules, facts, backend) == per_record_matches(rules, package, calendar)


def test_a_large_ledger_collapses_to_few_distinct_facts(rules, synthetic):
    facts = build_facts(rules, synthetic, package_calendar(synthetic.root))
    enforcement = facts.by_ledger["enforcement_cases"]
    n = len(synthetic.ledgers["enforcement_cases"].records)
    assert len(enforcement) == n > 2500
    assert len(enforcement.distinct) < n / 3  # case numbers and agency names are not read by any rule
    for g, members in enumerate(enforcement.member_lists()):
        assert members == sorted(members) and all(enforcement.group_of[i] == g for i in members)
        assert enforcement.records_of([g]) == list(members)
    assert sorted(i for m in enforcement.members for i in m) == list(range(n))


@settings(max_examples=40, deadline=None)
@given(groups=st.lists(st.integers(min_value=0, max_value=30), max_size=31, unique=True), seed=st.integers(0, 1000))
def test_records_of_is_the_sorted_union_of_members(groups, seed):
    from engine.evaluate.facts import LedgerFacts

    rng = random.Random(seed)
    group_of = [rng.randrange(31) for _ in range(500)]
    members = [[i for i, g in enumerate(group_of) if g == k] for k in range(31)]
    lf = LedgerFacts(distinct=[{} for _ in range(31)], group_of=group_of, members=members)
    assert lf.records_of(groups) == sorted(i for g in groups for i in members[g])


def test_a_calendar_gap_drops_only_that_measure(rules, synthetic):
    """Working days past the calendar's last year: that measure is an error, the other facts stand."""
    calendar = WorkCalendar()
    calendar.last_year = 2021  # as if the holiday schedule for 2022 had not been published
    facts = build_facts(rules, synthetic, calendar)
    [name] = [d.name for d in rules.derived_by_ledger["enforcement_cases"] if d.unit == "working_days"]
    assert "2022" in facts.derived_errors[name]
    enforcement = facts.by_ledger["enforcement_cases"]
    assert all(name not in fact for fact in enforcement.distinct)
    assert any("category" in fact for fact in enforcement.distinct)
    assert len(enforcement) == len(synthetic.ledgers["enforcement_cases"].records)
    full = record_matches(rules, build_facts(rules, synthetic, package_calendar(synthetic.root)), "python")
    gap = record_matches(rules, facts, "python")
    uses = {p.index for p in rules.predicates if any(f'"{d}"' in p.key for d in facts.derived_errors)}
    assert uses and all(gap[i] == full[i] for i in full if i not in uses)
    assert any(gap[p.index] != full[p.index] for p in rules.predicates if f'"{name}"' in p.key)


@pytest.mark.parametrize("emptied", [10, 3000])
def test_records_with_empty_inputs_group_correctly(rules, synthetic, emptied):
    """Empty cells are absent from records; a few such records, or a column empty throughout (past the switch
    from itemgetter to dict.get), give the same matches as one fact per record."""
    package = copy.deepcopy(synthetic)
    ledger = package.ledgers["enforcement_cases"]
    records = list(ledger.records)  # a columnar ledger builds its records on demand: edit a list of them
    for record in records[:emptied]:
        record.pop("officers_exempt", None)
        record.pop("officers", None)
    ledger.records = records
    calendar = package_calendar(package.root)
    facts = build_facts(rules, package, calendar)
    assert record_matches(rules, facts, "python") == per_record_matches(rules, package, calendar)
