"""Review: what people decide about a scored result, applied to it.

``verdicts`` (a reviewer's verdict per indicator or check, with XCCDF-style override semantics and
re-scoring), ``sheet`` (the 人工核查 workbook written for reviewers and read back; depends on ``verdicts``),
``waivers`` (dated exemptions; depends on ``verdicts`` for re-summarising) and ``finalize`` (reads verdict
files of either form, then applies verdicts and waivers). Nothing here imports back from ``finalize``.
May import ``engine.evaluate`` (scoring), ``engine.rules`` and the foundations; never ``engine.output`` or
``engine.cli``. ``finalize``, ``load_verdicts`` and ``apply_verdicts`` are importable from here directly.
"""

from engine.review.finalize import finalize, load_verdicts
from engine.review.verdicts import apply_verdicts

__all__ = ["apply_verdicts", "finalize", "load_verdicts"]
