"""How a scorecard process runs: what the command line sets once per process, in one place so that whatever measures
the intake as the command line runs it (``bench/bench.py``'s parse floor) makes the same settings.

- ``limit_blas``: OpenBLAS, which numpy loads, is held to one thread unless the user set ``OPENBLAS_NUM_THREADS``.
  The engine does no linear algebra, and the idle OpenBLAS thread spun for about 90 ms of CPU after numpy's import in
  every process (each batch worker too); on two cores that CPU is taken from the reading of a large ledger.
- ``pause_gc`` / ``resume_gc``: the cyclic garbage collector is paused while a command's modules are imported and
  resumed (after ``gc.freeze()``) once they are: imports only build long-lived objects (modules, classes, functions,
  pydantic schemas), and every collection during them walked all of those again (a W1 score spent 40-90 ms in the
  collector; 5-15 ms with the pause).
- ``freeze_at_exit``: at exit, what is still alive is frozen before the interpreter's last collection, which would
  walk every object once more only to find no cycle worth breaking (the objects are freed by reference counting as
  the modules are torn down; files are closed by ``with`` blocks, temporary directories by their own exit hooks).
  Measured on the W2 package (1M rows read): process exit 43 -> 21 ms. Registered only by a run that is the process
  (the command line read from ``sys.argv``): a program that calls the command group keeps its own exit.
"""

from __future__ import annotations

import atexit
import gc
import os

_paused = False  # the collector is paused for this process's start-up
_started = False  # start-up happens once per process (a test may run many commands in one)
_exit_hook = False


def limit_blas() -> None:
    """Before numpy loads OpenBLAS (child processes inherit it); a user's own setting is kept."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def pause_gc() -> None:
    """The collector off for the imports of this process's start-up (once per process)."""
    global _paused, _started
    if not _started and gc.isenabled():
        gc.disable()
        _paused = True
    _started = True


def resume_gc() -> None:
    """Start-up over: what the imports built is kept out of later collections, the collector runs again."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def freeze_at_exit() -> None:
    """Skip the interpreter's last walk over every object at exit (registered once per process)."""
    global _exit_hook
    if not _exit_hook:
        _exit_hook = True
        atexit.register(gc.freeze)
