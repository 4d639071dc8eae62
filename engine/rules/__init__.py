"""Rules: the indicator catalogue as data and what turns it into something executable.

``model`` (pydantic models of an indicator, check and scoring rule), ``catalog`` (the edition under
``indicators/`` read and validated), ``profiles`` (tailoring: a province's thresholds and items as a profile),
``conditions`` (the one condition language) and ``compiler`` (checks compiled to predicates shared by both
backends). May import ``evidence.schema`` (ledger definitions) and the foundations (``engine.errors``,
``engine.yamlio``); never ``engine.evaluate``, ``engine.review``, ``engine.output`` or ``engine.cli``.
"""
