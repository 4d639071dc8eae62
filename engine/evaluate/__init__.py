"""Evaluation: an evidence package and compiled rules in, one ``ScoreResult`` out.

``facts`` (records reduced to the distinct facts the rules read), ``backends`` (durable_rules and the plain
Python backend, which must agree), ``checks`` (the generic check kinds: rates, deadlines, counts...),
``workdays`` (the official working-day calendar with 调休), ``scoring`` (points per indicator and category),
``pipeline`` (``load_rules`` and ``score``: the whole run) and ``validate`` (a package checked before scoring).
May import ``evidence``, ``engine.rules`` and the foundations; never ``engine.review``, ``engine.output`` or
``engine.cli``. ``load_rules``, ``score`` and ``validate_package`` are importable from here directly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_rules", "score", "validate_package"]


def __getattr__(name: str) -> Any:
    # Lazy re-export: importing engine.evaluate.workdays alone does not pull in the whole pipeline.
    if name in ("load_rules", "score"):
        from engine.evaluate import pipeline

        return getattr(pipeline, name)
    if name == "validate_package":
        from engine.evaluate.validate import validate_package

        return validate_package
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
