"""Output: everything a person reads, made from a ``ScoreResult``.

``render`` (the Jinja2 environment and filters over ``templates/``), ``reports`` (JSON, Markdown and HTML
reports; sandboxed custom templates), ``rectify`` (the 整改清单 built per responsible unit), ``writers``
(整改清单 as XLSX/DOCX/MD/HTML), ``diff`` (two results compared, rectification status) and ``formatdoc``
(the evidence format guide generated from the rules). The result model itself is ``engine.results``.
May import ``engine.evaluate``, ``engine.rules``, ``evidence`` and the foundations; never ``engine.review``'s
callers (``engine.cli``, ``engine.batch``).
"""
