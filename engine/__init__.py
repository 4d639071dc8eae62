"""法治政府建设示范创建指标评估引擎 (scorecard engine).

The folders follow the data: ``evidence`` (top-level package: a unit's package read and typed) ->
``engine.rules`` (the 87 indicators as YAML, tailored by a profile, compiled to predicates) ->
``engine.evaluate`` (facts, rule backends, check kinds, scoring: one ``ScoreResult``) ->
``engine.review`` (reviewers' verdicts and waivers applied to it) -> ``engine.output`` (reports, 整改清单,
diff, workbooks). ``engine.batch`` and ``engine.synth`` use that pipeline; ``engine.cli`` is the face on top.
``engine.errors``, ``engine.files``, ``engine.yamlio``, ``engine.results``, ``engine.markdown`` and ``engine.process``
are the shared foundations any layer may import.
The layering is enforced by ``tests/test_layout.py``.
"""

__version__ = "0.1.0"
