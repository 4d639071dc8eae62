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
