"""Checks evaluated per group of identical facts (engine/evaluate/checks.py ``check_rate``, ``check_review``,
``check_count``) agree with the per-record evaluation they replace.

The oracles below are the per-record checks as they were. Rate/deadline: every record of the population listed, grouped by
year, intersected with the matched records. On random ledgers (a synthetic package with violations, then records
duplicated, undated, moved out of the period, their values flipped and their order shuffled) every rate and
deadline check of the 87 indicators must give the same result, citations included, with both rule backends.
"""

from __future__ import annotations

import dataclasses
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.evaluate import checks
from engine.evaluate.backends import get_backend
from engine.evaluate.checks import OP_ZH, OPS, UNIT_ZH, Context, num, pct
from engine.evaluate.facts import build_facts
from engine.evaluate.pipeline import reference_tables
from engine.evaluate.workdays import package_calendar
from engine.results import YearResult
from engine.synth import generate
from evidence.package import load_package


def oracle_check_rate(cc, ctx: Context):
    """Per record: the population's record indices, grouped by year; each record tested against the matches."""
    c = cc.check
    ledger = ctx.ledger(c.ledger)
    if ledger is None:
        return checks._ledger_missing(cc, ctx, c.ledger)
    if cc.derived is not None and cc.derived.name in ctx.facts.derived_errors:
        return checks._result(cc, "error", message=ctx.facts.derived_errors[cc.derived.name])
    population = ctx.scoped(ledger, ctx.matched(cc.population), c.year, c.within_period)
    if not population:
        return checks._missing(cc, ctx, f"台账「{ledger.title}」中没有本项适用的记录")
    good = set(ctx.matched(cc.match))
    deadline = c.kind == "deadline"
    bad_state = getattr(c, "condition_is_violation", False)
    target_op, target = (">=", c.required_rate) if deadline else (c.op, c.value)
    groups = checks._group_by_year(ctx, ledger, population, c.year) if c.per_year else {None: population}
    years, bad_all, bad_failing, overall = [], [], [], None
    for year in sorted(groups, key=lambda y: (y is None, y)):
        members = groups[year]
        ok = len(good.intersection(members))
        rate = ok / len(members)
        limit, ref_label = ctx.threshold(target, year)
        required = f"{OP_ZH[target_op]} {pct(limit)}" if limit is not None else f"缺少{ref_label}"
        status = "missing_evidence" if limit is None else ("pass" if OPS[target_op](round(rate, 12), limit) else "fail")
        actual = f"{pct(rate)}({ok}/{len(members)})"
        if ref_label and limit is not None:
            required += f"({ref_label})"
        bad = [i for i in members if (i in good) == bad_state]
        bad_all.extend(bad)
        if status == "fail":
            bad_failing.extend(bad)
        if year is None:
            overall = (status, actual, required)
        else:
            years.append(YearResult(year=year, status=status, actual=actual, required=required))
    note = checks._deadline_note(cc, ctx, ledger) if deadline else checks._field_note(ctx, ledger, c)
    evidence, total = ctx.cite(ledger, bad_failing or bad_all, note)
    required_text = actual_text = ""
    if deadline:
        suffix = f",按时率 {OP_ZH[target_op]} {pct(c.required_rate)}" if c.required_rate < 1 else ""
        required_text = f"每条记录 {OP_ZH[c.op]} {num(c.limit)} {UNIT_ZH[c.unit]}{suffix}"
        facts = ctx.facts.by_ledger[ledger.name]
        worst = checks._worst(cc, ctx, ledger, {facts.group_of[i] for i in population})
        n_ok = len(population) - len(bad_all)
        actual_text = f"符合 {n_ok}/{len(population)} 条({pct(n_ok / len(population))})" + (f",{worst}" if worst else "")
    if overall is not None:
        status, actual, required = overall
        return checks._result(cc, status, actual=actual_text or actual, required=required_text or required,
                              score=1.0 if status == "pass" else 0.0, violations=len(bad_failing), evidence=evidence,
                              evidence_total=total, message=ctx.scope_note(cc, ledger, population, c.year, c.within_period))
    n_ok = len(bad_all) if bad_state else len(population) - len(bad_all)
    summary = actual_text or f"合计 {pct(n_ok / len(population))}({n_ok}/{len(population)})"
    req = required_text or (years[0].required.split("(")[0] + ",逐年计算" if years else "")
    return checks._fold_years(cc, years, len(bad_failing), evidence, total, summary, req,
                              message=ctx.scope_note(cc, ledger, population, c.year, c.within_period))


def oracle_check_review(cc, ctx: Context):
    """Per record: every matched record listed, those inside the period kept, the first by (id, row) cited."""
    evidence, total = [], 0
    for pred in cc.gather:
        ledger = ctx.ledger(ctx.rules.predicates[pred].ledger)
        if ledger is None:
            continue
        found, n = ctx.cite(ledger, ctx.scoped(ledger, ctx.matched(pred), None), lambda i, lg=ledger: checks._describe(lg, i))
        evidence.extend(found)
        total += n
    return checks._result(cc, "needs_review", actual=f"已收集 {total} 条相关材料", required="评估人员核查判定",
                          message=cc.check.prompt, evidence=evidence, evidence_total=total)


def oracle_check_count(cc, ctx: Context):
    """Per record: the population's records listed, scoped to the period, counted per year window."""
    c = cc.check
    ledger = ctx.ledger(c.ledger)
    if ledger is None:
        return checks._ledger_missing(cc, ctx, c.ledger)
    indices = ctx.scoped(ledger, ctx.matched(cc.population), c.year, c.within_period)
    if not indices and c.na_if_attested and ctx.attested(cc.attest):
        return checks._missing(cc, ctx, "")
    return checks._count_windows(cc, ctx, ledger, indices, c.year, c.op, c.value, c.per_year, c.every_years, "次")


UNIT = {"name": "随机县人民政府", "type": "县", "region": "某省某市", "period": {"start": "2021-01-01", "end": "2022-12-31"}}


@pytest.fixture(scope="module")
def base(rules):
    with tempfile.TemporaryDirectory() as tmp:
        path = generate(rules, Path(tmp) / "pkg", unit=UNIT, seed=5, violation_share=0.3, per_check=4)
        yield load_package(path, rules.ledgers)


def _rate_checks(rules, variants: bool = False, kinds=("rate", "deadline")):
    """The rate and deadline checks (or ``kinds``); with ``variants``, each also counted per year / over the whole
    period and with records outside the period kept (combinations the 87 indicators do not all use)."""
    out = [cc for cc in sorted(rules.checks.values(), key=lambda cc: (cc.indicator, cc.check.id))
           if cc.check.kind in kinds]
    if variants:
        out += [dataclasses.replace(cc, check=cc.check.model_copy(update=change)) for cc in list(out)
                for change in ({"per_year": not cc.check.per_year}, {"within_period": not cc.check.within_period},
                               {"per_year": True, "within_period": False})]
    return out


def _mutate(package, rules, seed: int, edits: int):
    """Records duplicated (same id), undated, moved a year or out of the period, a yes/no or choice flipped, a
    value blanked; rows shuffled."""
    rng = random.Random(seed)
    ledgers = {}
    names = sorted({cc.ledger for cc in _rate_checks(rules, kinds=("rate", "deadline", "count"))} & set(package.ledgers))
    for name, lg in package.ledgers.items():
        ledgers[name] = dataclasses.replace(lg, records=[dict(r) for r in lg.records], rows=list(lg.rows))
    for _ in range(edits):
        lg = ledgers[rng.choice(names)]
        if not lg.records:
            continue
        i = rng.randrange(len(lg.records))
        record = lg.records[i]
        defs = rules.ledgers.ledgers[lg.name].fields
        action = rng.choice(("dup", "dup", "undate", "shift", "flip", "blank", "out"))
        date_field = rules.ledgers.ledgers[lg.name].date_field
        if action == "dup":
            for _ in range(rng.randint(1, 40)):  # a repeated row of the file: same record id, its own row
                lg.records.append(dict(record))
                lg.rows.append(max(lg.rows) + 1)
        elif action in ("undate", "shift", "out") and date_field and record.get(date_field) is not None:
            value = record[date_field]
            if action == "undate":
                record.pop(date_field)
            else:
                years = rng.choice((1, -1)) * (rng.randint(2, 4) if action == "out" else 1)
                try:
                    record[date_field] = value.replace(year=value.year + years)
                except ValueError:  # 29 February
                    record[date_field] = value.replace(year=value.year + years, day=28)
        else:
            field = rng.choice(sorted(defs))
            fd = defs[field]
            if field == lg.id_field:
                continue
            if action == "blank" or fd.type not in ("bool", "enum"):
                record.pop(field, None)
            elif fd.type == "bool":
                record[field] = not record.get(field, False)
            elif fd.values:
                record[field] = rng.choice(sorted(fd.values))
    for lg in ledgers.values():
        order = list(range(len(lg.records)))
        rng.shuffle(order)
        lg.records[:] = [lg.records[k] for k in order]
        lg.rows[:] = [lg.rows[k] for k in order]
    return dataclasses.replace(package, ledgers=ledgers)


def _context(package, rules, backend: str) -> Context:
    calendar = package_calendar(package.root)
    facts = build_facts(rules, package, calendar)
    references, origins = reference_tables(rules.catalog, package)
    return Context(package=package, rules=rules, matches=get_backend(backend).match(rules, facts), facts=facts,
                   references=references, reference_origins=origins)


def _compare(package, rules, backend: str = "python", cap: int = 50) -> int:
    """Every rate, deadline and review check, per group and per record; ``cap`` citations at most (a small cap puts
    the cut inside runs of duplicated ids)."""
    compared = 0
    ctx_grouped, ctx_records = _context(package, rules, backend), _context(package, rules, backend)
    ctx_grouped.max_citations = ctx_records.max_citations = cap
    for cc in _rate_checks(rules, variants=True):
        grouped = checks.check_rate(cc, ctx_grouped).model_dump()
        per_record = oracle_check_rate(cc, ctx_records).model_dump()
        assert grouped == per_record, (cc.indicator, cc.check.id)
        compared += grouped["status"] not in ("missing_evidence", "error")
    for cc in _rate_checks(rules, variants=True, kinds=("count",)):
        grouped = checks.check_count(cc, ctx_grouped).model_dump()
        assert grouped == oracle_check_count(cc, ctx_records).model_dump(), (cc.indicator, cc.check.id)
        compared += grouped["status"] not in ("missing_evidence", "error")
    for cc in sorted(rules.checks.values(), key=lambda cc: (cc.indicator, cc.check.id)):
        if cc.check.kind == "review":
            grouped = checks.check_review(cc, ctx_grouped).model_dump()
            assert grouped == oracle_check_review(cc, ctx_records).model_dump(), (cc.indicator, cc.check.id)
            compared += grouped["evidence_total"] > 0
    return compared


def test_examples_and_synthetic_package_agree(rules, base):
    assert _compare(base, rules) >= 10
    for name in ("good-county", "weak-town"):
        pkg = load_package(Path(__file__).resolve().parent.parent / "examples" / name, rules.ledgers)
        _compare(pkg, rules)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), edits=st.integers(0, 120), cap=st.sampled_from([2, 5, 50]))
def test_random_ledgers_agree_with_per_record_evaluation(rules, base, seed, edits, cap):
    _compare(_mutate(base, rules, seed, edits), rules, cap=cap)


def test_both_backends_agree_on_a_mutated_package(rules, base):
    from engine.evaluate.backends import durable_available

    pkg = _mutate(base, rules, 11, 200)
    assert _compare(pkg, rules, "python") >= 10
    if durable_available():
        _compare(pkg, rules, "durable")


def test_a_group_of_identical_records_counts_once_per_record(rules, base):
    """Many identical violating records: weighed by their count, all counted, the first by id cited."""
    pkg = _mutate(base, rules, 3, 0)
    ctx = _context(pkg, rules, "python")
    cc = next(cc for cc in _rate_checks(rules) if cc.check.kind == "deadline"
              and checks.check_rate(cc, ctx).status in ("fail", "partial"))
    lg = pkg.ledgers[cc.ledger]
    result = checks.check_rate(cc, ctx)
    i = next(k for k in range(len(lg.records)) if lg.record_id(k) == result.evidence[0].id)
    for _ in range(1000):
        lg.records.append(dict(lg.records[i]))
        lg.rows.append(max(lg.rows) + 1)
    grown = checks.check_rate(cc, _context(pkg, rules, "python"))
    assert grown == oracle_check_rate(cc, _context(pkg, rules, "python"))
    assert grown.violations == result.violations + 1000 and grown.evidence_total == result.evidence_total + 1000
