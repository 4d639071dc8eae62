"""Repeated problems of one kind are capped (issue 12, audit C39): at most REPEAT_LIMIT located messages per
(file, sheet, severity, kind), then one summary line "另有 K 条同类问题"; deterministic and idempotent.
End-to-end cases (validate text/JSON, the score report's warnings, errors) are in the hostile corpus
(tests/hostile_cases.py, ``repeated_*``)."""

from __future__ import annotations

from engine.errors import REPEAT_LIMIT, InputError, Problem, cap_repeats


def _dups(file: str, n: int, code: str = "duplicate_id") -> list[Problem]:
    return [Problem(file, "编号重复(与第2行相同)", row=3 + i, column="编号", value="V-1", severity="warning", code=code)
            for i in range(n)]


def test_cap_keeps_first_located_then_one_summary():
    problems = _dups("a.csv", 500) + _dups("b.csv", 5) + _dups("a.csv", 30, code="bad_value")
    out = cap_repeats(problems)
    a_dup = [p for p in out if p.file == "a.csv" and p.code == "duplicate_id"]
    assert [p.row for p in a_dup[:REPEAT_LIMIT]] == list(range(3, 3 + REPEAT_LIMIT))
    summary = a_dup[REPEAT_LIMIT]
    assert summary.omitted == 500 - REPEAT_LIMIT and summary.row is None
    assert f"另有 {500 - REPEAT_LIMIT} 条同类问题" in summary.format() and "编号重复" in summary.format()
    assert len([p for p in out if p.file == "b.csv"]) == 5  # under the cap: untouched
    assert len([p for p in out if p.code == "bad_value"]) == REPEAT_LIMIT + 1  # another kind: its own cap
    assert sum(p.count for p in out) == len(problems)  # nothing is lost from the counts
    assert cap_repeats(out) == out  # idempotent
    assert [p.format() for p in cap_repeats(list(problems))] == [p.format() for p in out]  # deterministic
    assert summary.to_dict()["omitted"] == 500 - REPEAT_LIMIT and "omitted" not in out[0].to_dict()


def test_input_error_is_capped():
    exc = InputError([Problem("x.csv", "应为 是/否", row=i, column="c", code="bad_value") for i in range(2, 300)])
    assert len(exc.problems) == REPEAT_LIMIT + 1
    assert exc.problems[-1].omitted == 298 - REPEAT_LIMIT
