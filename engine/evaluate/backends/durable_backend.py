"""durable_rules backend.

Kept inside the shapes measured safe on this machine (see ``shared/notes/durable-rules.md``):
single-fact conditions only (no joins, no negation aliases), types normalised before posting,
facts (not events) so every matching rule fires, one ruleset registered once per process,
a fresh session id per unit, sequential integer fact ids, and the unit's state deleted afterwards.

Two further measurements shaped the loop below:
- Facts left in the session accumulate: beyond ~30,000 facts distinct facts were silently dropped as
  "duplicates" (32-bit identity hash) and assertion slowed to ~10k facts/s. Each fact is therefore
  retracted as soon as its matches have been read, so a session never holds more than one fact.
- Batch assertion lost matches and crashed on exit; facts are asserted one at a time.
Only distinct facts are asserted (``LedgerFacts``): records that agree on everything the rules read share one.
The ruleset is created through durable's C core directly (no ``Host``): a Host starts timer threads
that would dispatch actions concurrently with this loop. Matches are read from the action queue
synchronously after each assertion.
"""

from __future__ import annotations

import itertools
import json
import os
import re

from durable.engine import durable_rules_engine as _core

from engine.evaluate.facts import FactSet
from engine.rules.compiler import CompiledRules

_HANDLES: dict[str, int] = {}
# An action for a single-fact rule starts with its rule name and the one fact it matched. The session holds
# only the fact just asserted, so the rule name is all we need: reading it from the head of the text avoids
# decoding the whole JSON per match (measured: json.loads was ~60% of this loop). Anything else is decoded.
_SINGLE_MATCH = re.compile(r'\{"p(\d+)":\{"m":\{')
_SESSIONS = itertools.count()


class DurableError(RuntimeError):
    pass


def _ruleset_handle(rules: CompiledRules) -> int:
    name = f"scorecard_{rules.digest[:16]}"
    handle = _HANDLES.get(name)
    if handle is None:
        definition = rules.durable_ruleset()
        handle = _core.create_ruleset(name, json.dumps(definition, ensure_ascii=False))
        _HANDLES[name] = handle
    return handle


class DurableBackend:
    name = "durable"

    def match(self, rules: CompiledRules, facts: FactSet) -> dict[int, list[int]]:
        groups: dict[int, list[int]] = {p.index: [] for p in rules.predicates}
        if not rules.predicates:
            return groups
        handle = _ruleset_handle(rules)
        sid = f"u{os.getpid()}_{next(_SESSIONS)}"
        fact_id = 0
        dumps = json.dumps
        assert_fact = _core.assert_fact
        retract_fact = _core.retract_fact
        start_action = _core.start_action_for_state
        complete_and_start = _core.complete_and_start_action
        loads = json.loads
        single_match = _SINGLE_MATCH.match
        try:
            for ledger_name in sorted(facts.by_ledger):
                for index, fact in enumerate(facts.by_ledger[ledger_name].distinct):
                    message = dict(fact)
                    message["sid"] = sid
                    message["id"] = fact_id
                    message["_i"] = index
                    fact_id += 1
                    text = dumps(message, ensure_ascii=False)
                    code, state = assert_fact(handle, text)
                    if code == 2:
                        raise DurableError(f"durable_rules 判定事实重复(id={fact_id - 1}),结果不可信")
                    if code == 0:
                        action = start_action(handle, state)
                        while action:
                            head = single_match(action[1])
                            if head is not None:
                                groups[int(head.group(1))].append(index)
                            else:
                                for rule, matched in loads(action[1]).items():
                                    items = matched if isinstance(matched, list) else [matched]
                                    for item in items:
                                        groups[int(rule[1:])].append(item["m"]["_i"])
                            following = complete_and_start(handle, state)
                            action = (None, following) if following else None
                        retract_fact(handle, text)
        finally:
            try:
                _core.delete_state(handle, sid)
            except Exception:  # state may not exist when no fact matched anything
                pass
        # A rule with an ``$any`` condition fires once per alternative that holds, so a fact can be reported twice.
        return {pred: sorted(set(values)) for pred, values in groups.items()}
