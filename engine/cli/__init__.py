"""Command line face (``scorecard``): ``main`` (the group), ``options`` (exit codes, shared options, output
writing) and one module per command family. Command modules import ``options`` and the layers below
(``engine.evaluate``, ``engine.review``, ``engine.output``, ``engine.batch``, ``engine.synth``), never
``main`` or each other; ``main`` imports them all and registers their commands.
"""

from engine.cli.main import main

__all__ = ["main"]
