"""Rule backends: given compiled predicates and facts, return which records each predicate matches.

``durable`` runs the predicates as durable_rules rules (the default where it imports);
``python`` evaluates the same compiled conditions in plain Python. Both match the distinct facts
(``LedgerFacts.distinct``) and return ``{predicate index: ascending distinct-fact indices}``; they must agree
exactly (tested). ``FactSet.records_matching`` maps a match back to record indices.
"""

from __future__ import annotations

from typing import Protocol

from engine.evaluate.facts import FactSet
from engine.rules.compiler import CompiledRules


class Backend(Protocol):
    name: str

    def match(self, rules: CompiledRules, facts: FactSet) -> dict[int, list[int]]: ...


def durable_available() -> bool:
    try:
        import durable.engine  # noqa: F401
    except Exception:  # ImportError, or the undefined-symbol failure on Python 3.13+
        return False
    return True


def get_backend(name: str = "auto") -> Backend:
    if name == "auto":
        name = "durable" if durable_available() else "python"
    if name == "durable":
        from engine.evaluate.backends.durable_backend import DurableBackend

        return DurableBackend()
    if name == "python":
        from engine.evaluate.backends.python_backend import PythonBackend

        return PythonBackend()
    raise ValueError(f"unknown backend {name!r} (durable | python | auto)")
