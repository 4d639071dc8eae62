"""Code lists: the exact values the rules match in free-text columns, their Chinese labels, near-miss suggestions.

A column is a *code list* when it is a text (``str``) field and some compiled rule compares it with a fixed
value (``eq``/``in``): 材料类型, 活动类型, 事项类型, 说明事项代码, 指标代码, 调查事项. ``code_lists`` derives them
from the compiled rules passed in (any object with ``predicates``, ``checks`` and ``catalog``), so a new code
in ``indicators/`` reaches the templates and ``validate`` without code changes.

说明事项代码 are English identifiers; ``codes.yaml`` gives each a Chinese label. Templates offer
"label(code)"; the reader (``to_code``) accepts the code, the label or "label(code)".

``CLOSED`` lists admit nothing else (an unknown value is an error); in the open lists (材料类型 …) a value
no rule uses is only a warning unless it is a near miss of a code, which is an error with the suggestion.
"""

from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path

from engine.yamlio import read_yaml

CODES_FILE = Path(__file__).with_name("codes.yaml")
CLOSED = frozenset({("attestations", "subject"), ("metrics", "metric")})
_TRAILING_CODE = re.compile(r"^(?P<label>.*?)\s*[((]\s*(?P<code>[A-Za-z][A-Za-z0-9_]*)\s*[))]\s*$")


@functools.cache
def labels() -> dict[tuple[str, str], dict[str, str]]:
    """(ledger, field) -> {code: Chinese label}, from ``codes.yaml``."""
    data, _ = read_yaml(CODES_FILE)
    out: dict[tuple[str, str], dict[str, str]] = {}
    for key, table in (data or {}).items():
        ledger, _, field = str(key).partition(".")
        out[(ledger, field)] = {str(k): str(v) for k, v in (table or {}).items()}
    return out


def label_of(ledger: str, field: str, code: str) -> str | None:
    return labels().get((ledger, field), {}).get(code)


def shown(ledger: str, field: str, code: str) -> str:
    """What a template's dropdown shows for a code: "label(code)" for labelled codes, else the code."""
    label = label_of(ledger, field, code)
    return f"{label}({code})" if label else code


def to_code(ledger: str, field: str, text: str) -> str:
    """A cell of a labelled code column back to its code: "label(code)", the label or the code itself."""
    table = labels().get((ledger, field))
    if not table or not isinstance(text, str):
        return text
    value = text.strip()
    if value in table:
        return value
    m = _TRAILING_CODE.match(value)
    if m and m.group("code") in table:
        return m.group("code")
    by_label = {v: k for k, v in table.items()}
    return by_label.get(value, value)


def code_lists(rules) -> dict[tuple[str, str], list[str]]:
    """(ledger, field) -> sorted codes, for every text field the compiled rules compare with fixed values."""
    found: dict[tuple[str, str], set[str]] = {}
    ledgers = rules.ledgers.ledgers

    def walk(terms, ledger: str) -> None:
        for t in terms:
            if t[0] == "any":
                for sub in t[1]:
                    walk(sub, ledger)
                continue
            field = t[1]
            fd = ledgers[ledger].fields.get(field)
            if fd is not None and fd.type == "str" and t[2] in ("eq", "in"):
                values = t[3] if isinstance(t[3], tuple) else (t[3],)
                found.setdefault((ledger, field), set()).update(str(v) for v in values)

    for cc in rules.checks.values():
        for p in (cc.population, cc.match, cc.numerator, cc.denominator, cc.attest, *cc.gather):
            if p is not None:
                walk(rules.predicates[p].terms, rules.predicates[p].ledger)
    for ind in rules.catalog.indicators:
        code = ind.applicability.not_applicable_if_attested
        if code:
            found.setdefault(("attestations", "subject"), set()).add(code)
    return {key: sorted(values) for key, values in sorted(found.items())}


def suggest(value: str, choices, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Closest matches of ``value`` among ``choices`` (difflib ratio), best first."""
    text = str(value).strip()
    if not text:
        return []
    return difflib.get_close_matches(text, list(choices), n=n, cutoff=cutoff)


def suggest_code(ledger: str, field: str, value: str, codes: list[str], n: int = 3) -> list[str]:
    """Near-miss suggestions for a code value, shown as the template shows them (label(code)).

    Compares with the codes and, for labelled codes, with the labels (a Chinese phrase close to a label)."""
    table = labels().get((ledger, field), {})
    by_label = {table[c]: c for c in codes if c in table}
    hits = suggest(value, codes, n) + [by_label[lab] for lab in suggest(value, by_label, n)]
    return [shown(ledger, field, c) for c in dict.fromkeys(hits)][:n]


def did_you_mean(options: list[str]) -> str:
    return "是否为" + "、".join(f"「{o}」" for o in options) + "?" if options else ""


_CODE_WORD = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")


def replace_codes(text: str) -> str:
    """Text for people: every labelled code in ``text`` (no_major_emergency) becomes its label in 「」."""
    if not text:
        return text
    table: dict[str, str] = {}
    for codes in labels().values():
        table.update(codes)
    return _CODE_WORD.sub(lambda m: f"「{table[m.group(0)]}」" if m.group(0) in table else m.group(0), str(text))
