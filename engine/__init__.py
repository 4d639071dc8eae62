"""法治政府建设示范创建指标评估引擎 (scorecard engine).

Pipeline: evidence intake (``evidence``) -> facts (``engine.facts``) -> rules engine
(``engine.backends``) -> check results (``engine.checks``) -> scores (``engine.scoring``)
-> rendering (``engine.render``).
"""

__version__ = "0.1.0"
