"""Evidence citations: the first ``max_citations`` records by (record id, row), whatever the file order."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluate.checks import Context
from evidence.models import Ledger


def _context(max_citations: int) -> Context:
    return Context(package=None, rules=None, matches={}, facts=None, references={}, max_citations=max_citations)


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.sampled_from(["A1", "A2", "B1", "B2", "C"]), min_size=1, max_size=40),
       cap=st.integers(min_value=1, max_value=12), seed=st.integers(0, 10_000))
def test_cite_takes_the_smallest_id_then_row_even_with_duplicate_ids(ids, cap, seed):
    rows = list(range(2, len(ids) + 2))
    random.Random(seed).shuffle(rows)
    ledger = Ledger(name="enforcement_cases", title="执法决定台账", file="ledgers/enforcement_cases.csv", id_field="case_id",
                    records=[{"case_id": i} for i in ids], rows=rows)
    indices = list(range(len(ids)))
    random.Random(seed + 1).shuffle(indices)
    citations, total = _context(cap).cite(ledger, indices)
    expected = sorted(zip(ids, rows))[:cap]
    assert [(c.id, c.row) for c in citations] == expected
    assert total == len(ids)


@settings(max_examples=150, deadline=None)
@given(ids=st.lists(st.one_of(st.none(), st.sampled_from(["", "A1", "A10", "A2", "B", "执法-2", "执法-10", "é"])),
                    min_size=1, max_size=60),
       cap=st.integers(min_value=1, max_value=12), seed=st.integers(0, 10_000), groups=st.integers(1, 4))
def test_a_columnar_ledger_cites_in_the_same_order_by_list_or_by_group(ids, cap, seed, groups):
    """The id column as Arrow text (sorted by Arrow, blank ids as ""), cited from a list of records or from a selection
    of groups of facts: the same citations as sorting (id, row) in Python."""
    from engine.evaluate.checks import Selection
    from evidence.columns import RowNumbers, TextColumn, arrow, np

    pa, _ = arrow()
    rows = sorted(random.Random(seed).sample(range(2, 10 * len(ids) + 2), len(ids)))  # ascending, with gaps
    ledger = Ledger(name="enforcement_cases", title="执法决定台账", file="ledgers/enforcement_cases.csv", id_field="case_id",
                    rows=RowNumbers(rows), columns={"case_id": TextColumn([pa.array(ids, type=pa.string())])})
    rng = random.Random(seed + 1)
    group_of = np.array([rng.randrange(groups) for _ in ids], dtype=np.uint32)
    chosen = np.array([rng.random() < 0.6 for _ in range(groups)], dtype=bool)
    picked = [i for i in range(len(ids)) if chosen[group_of[i]]]
    expected = sorted(("" if ids[i] is None else ids[i], rows[i]) for i in picked)[:cap]
    ctx = _context(cap)
    by_list, total = ctx.cite(ledger, random.Random(seed + 2).sample(picked, len(picked)))
    assert [(c.id, c.row) for c in by_list] == expected and total == len(picked)
    by_group, total = ctx.cite(ledger, Selection(group_of, chosen, None, len(picked)))
    assert [(c.id, c.row) for c in by_group] == expected and total == len(picked)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), cap=st.integers(min_value=1, max_value=8), late=st.booleans())
def test_a_large_selection_is_cited_in_order_wherever_its_records_lie(seed, cap, late):
    """20,000 records, a selection of thousands whose ids come first, or last, in id order: same citations either way
    the selection is read (a slice of the id order, or the records in file order)."""
    from engine.evaluate.checks import Selection
    from evidence.columns import RowNumbers, TextColumn, arrow, np

    pa, _ = arrow()
    rng = random.Random(seed)
    n = 20_000
    ids = [f"C-{rng.randrange(10**6):06d}" for _ in range(n)]
    ledger = Ledger(name="enforcement_cases", title="执法决定台账", file="ledgers/enforcement_cases.csv", id_field="case_id",
                    rows=RowNumbers(range(2, n + 2)), columns={"case_id": TextColumn([pa.array(ids)])})
    cut = sorted(ids)[n // 2]
    group_of = np.array([int((i >= cut) == late) for i in ids], dtype=np.uint16)  # group 1: the late (or early) half
    chosen = np.array([False, True])
    picked = [i for i in range(n) if group_of[i]]
    citations, total = _context(cap).cite(ledger, Selection(group_of, chosen, None, len(picked)))
    assert [(c.id, c.row) for c in citations] == sorted((ids[i], i + 2) for i in picked)[:cap]
    assert total == len(picked)
