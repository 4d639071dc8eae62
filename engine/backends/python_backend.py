"""Plain-Python backend: evaluates the compiled conditions directly (used where durable is unavailable)."""

from __future__ import annotations

from ..compiler import CompiledRules
from ..facts import FactSet


class PythonBackend:
    name = "python"

    def match(self, rules: CompiledRules, facts: FactSet) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for pred in rules.predicates:
            ledger_facts = facts.by_ledger.get(pred.ledger, [])
            test = pred.test
            out[pred.index] = [i for i, fact in enumerate(ledger_facts) if test(fact)]
        return out
