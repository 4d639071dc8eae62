"""The condition language of the rule files and its two compilations.

A condition is a mapping; all entries must hold (AND)::

    {level: {in: [特别重大, 重大]}, legality_reviewed: true, _d0: {lte: 5}, any: [{...}, {...}]}

``field: value`` is equality; ``field: {op: value}`` with op in eq ne lt lte gt gte in not_in;
``any: [c1, c2]`` holds when one of the sub-conditions holds. A record whose field is missing
(empty cell) satisfies no comparison on that field — the same rule durable_rules applies.

``date_field: {month_day: [MM-DD, MM-DD]}`` holds when the date's month and day fall in that window of its own
year, both ends included (``[12-01, 12-07]``: 1 to 7 December of any year); a window whose start is after its end
wraps over the new year (``[12-25, 01-05]``). It compiles to plain comparisons on the fact field
``month_day_field(date_field)`` (month × 100 + day, computed when facts are built), so both backends run it alike.

``to_durable`` gives the durable_rules JSON condition (single-fact, no joins, no negation
aliases); ``to_python`` gives a plain predicate over the same normalised fact dict.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "month_day")
_MD_PREFIX = "_md_"
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
EPOCH = dt.datetime(1970, 1, 1)


class ConditionError(ValueError):
    pass


def normalise_value(value: Any) -> Any:
    """Fact-side normal form: bool, int, float or str; dates as day ordinals, datetimes as epoch seconds."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dt.datetime):
        return (value - EPOCH).total_seconds()
    if isinstance(value, dt.date):
        return value.toordinal()
    raise ConditionError(f"不支持的取值类型:{value!r}")


def month_day_field(name: str) -> str:
    """The fact field holding a date field's month and day as one number (4 December -> 1204)."""
    return _MD_PREFIX + name


def month_day_base(name: str) -> str | None:
    """The date field behind a month-day fact field, or None for an ordinary field."""
    return name[len(_MD_PREFIX):] if name.startswith(_MD_PREFIX) else None


def month_day_value(value: Any) -> int | None:
    """month × 100 + day of a date or datetime (its own calendar day; intake keeps datetimes in China time)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.month * 100 + value.day
    return None


def _month_day(field: str, spec: Any) -> tuple:
    if not isinstance(spec, list) or len(spec) != 2:
        raise ConditionError(f"字段 {field} 的 month_day 需要 [起始月-日, 截止月-日] 两个值,如 [12-01, 12-07]")
    bounds = []
    for text in spec:
        try:
            month, day = (int(x) for x in str(text).split("-"))
            dt.date(2000, month, day)  # a leap year: 02-29 is a valid day of the window
        except ValueError:
            raise ConditionError(f"字段 {field} 的 month_day 取值 {text!r} 不是有效的月-日(MM-DD)") from None
        bounds.append(month * 100 + day)
    md = month_day_field(field)
    lo, hi = bounds
    if lo <= hi:
        return ("any", [[("cmp", md, "gte", lo), ("cmp", md, "lte", hi)]])
    return ("any", [[("cmp", md, "gte", lo)], [("cmp", md, "lte", hi)]])  # over the new year


def parse(cond: dict[str, Any] | None) -> list[tuple]:
    """Validate and flatten a condition into ('cmp', field, op, value) / ('any', [parsed...]) terms."""
    if cond is None:
        return []
    if not isinstance(cond, dict):
        raise ConditionError(f"条件应为映射,实际为 {cond!r}")
    terms: list[tuple] = []
    for key in sorted(cond, key=str):
        spec = cond[key]
        if key == "any":
            if not isinstance(spec, list) or not spec:
                raise ConditionError("any 应为非空的条件列表")
            terms.append(("any", [parse(sub) for sub in spec]))
            continue
        if isinstance(spec, dict):
            if not spec:
                raise ConditionError(f"字段 {key} 的条件为空")
            for op in sorted(spec):
                if op not in OPS:
                    raise ConditionError(f"字段 {key} 使用了未知的比较符 {op}(可用:{', '.join(OPS)})")
                terms.append(_month_day(key, spec[op]) if op == "month_day" else _cmp(key, op, spec[op]))
        else:
            terms.append(_cmp(key, "eq", spec))
    return terms


def _cmp(field: str, op: str, value: Any) -> tuple:
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"字段 {field} 的 {op} 需要非空列表")
        return ("cmp", field, op, tuple(normalise_value(v) for v in value))
    if isinstance(value, (list, dict)) or value is None:
        raise ConditionError(f"字段 {field} 的 {op} 需要单个取值")
    return ("cmp", field, op, normalise_value(value))


def fields_of(terms: list[tuple]) -> set[str]:
    out: set[str] = set()
    for term in terms:
        if term[0] == "cmp":
            out.add(term[1])
        else:
            for sub in term[1]:
                out |= fields_of(sub)
    return out


def key(terms: list[tuple]) -> str:
    """Canonical text of a parsed condition (used to share one rule between identical predicates)."""
    return json.dumps(terms, ensure_ascii=False, sort_keys=True, default=list)


# ---------------------------------------------------------------- durable_rules JSON


def to_durable(terms: list[tuple], ledger_code: str) -> dict:
    parts = [{"_l": ledger_code}] + [_durable_term(t) for t in terms]
    return {"$and": parts} if len(parts) > 1 else parts[0]


def _durable_term(term: tuple) -> dict:
    if term[0] == "any":
        alts = []
        for sub in term[1]:
            inner = [_durable_term(t) for t in sub]
            alts.append(inner[0] if len(inner) == 1 else {"$and": inner})
        return alts[0] if len(alts) == 1 else {"$or": alts}
    _, field, op, value = term
    if op == "eq":
        return {field: value}
    if op == "in":
        alts = [{field: v} for v in value]
        return alts[0] if len(alts) == 1 else {"$or": alts}
    if op == "not_in":
        parts = [{"$neq": {field: v}} for v in value]
        return parts[0] if len(parts) == 1 else {"$and": parts}
    return {_DURABLE_OP[op]: {field: value}}


# ---------------------------------------------------------------- plain Python


def to_python(terms: list[tuple]) -> Callable[[dict], bool]:
    checks = [_py_term(t) for t in terms]
    if not checks:
        return lambda fact: True
    if len(checks) == 1:
        return checks[0]
    return lambda fact: all(c(fact) for c in checks)


def _same_kind(a: Any, b: Any) -> bool:
    """durable compares numbers with numbers and strings with strings; mixed kinds never match."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return True
    return type(a) is type(b)


def _py_term(term: tuple) -> Callable[[dict], bool]:
    if term[0] == "any":
        alts = [to_python(sub) for sub in term[1]]
        return lambda fact: any(a(fact) for a in alts)
    _, field, op, value = term

    def get(fact):
        return fact.get(field)

    if op == "eq":
        return lambda f: (v := get(f)) is not None and _same_kind(v, value) and v == value
    if op == "ne":
        return lambda f: (v := get(f)) is not None and (not _same_kind(v, value) or v != value)
    if op == "in":
        return lambda f: (v := get(f)) is not None and any(_same_kind(v, x) and v == x for x in value)
    if op == "not_in":
        return lambda f: (v := get(f)) is not None and all(not _same_kind(v, x) or v != x for x in value)
    cmp = {"lt": lambda a, b: a < b, "lte": lambda a, b: a <= b, "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b}[op]
    return lambda f: (v := get(f)) is not None and _same_kind(v, value) and cmp(v, value)
