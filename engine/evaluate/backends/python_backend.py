"""Plain-Python backend: evaluates the compiled conditions on each distinct fact (used where durable is unavailable)."""

from __future__ import annotations

from engine.evaluate.facts import FactSet
from engine.rules.compiler import CompiledRules


class PythonBackend:
    name = "python"

    def match(self, rules: CompiledRules, facts: FactSet) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for pred in rules.predicates:
            ledger_facts = facts.by_ledger.get(pred.ledger)
            if ledger_facts is None:
                out[pred.index] = []
                continue
            test = pred.test
            out[pred.index] = [g for g, fact in enumerate(ledger_facts.distinct) if test(fact)]
        return out
