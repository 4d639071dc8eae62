"""Compiled rules, kept: an in-process memo and a per-user on-disk cache keyed by the rules' digest.

Loading the rules (87 indicators parsed and validated, a profile applied, every check compiled) costs tens of
milliseconds per run; the result only depends on the bytes of the rule files, the profile, the ledger definitions and
the code that compiles them. :func:`rules_key` digests exactly those bytes (the rules digest is the one the result
JSON records as ``rules_digest``; the profile's is ``profile_digest``), and :func:`compiled_rules_for` returns the
compiled rules for a key: from memory, else from the cache directory, else by building them once.

The cache directory is per user: ``$SCORECARD_CACHE_DIR``, else ``$XDG_CACHE_HOME/scorecard``, else
``~/.cache/scorecard``, with the entries under ``rules/`` created ``0700``. Entries are pickles, so they are only
read from a directory owned by the current user and closed to everyone else, and only files owned by that user; the
key includes the engine's version and a digest of the compiling code, the Python and pydantic versions. A corrupt or
foreign entry is ignored and rebuilt. ``SCORECARD_NO_CACHE=1`` (or ``scorecard --no-cache``) turns the disk cache
off. Nothing is ever written next to the rules or inside an evidence package.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import InputError

_MEMO: OrderedDict[str, Any] = OrderedDict()
MAX_MEMO = 16  # compiled rule sets kept in memory (a web server sees many archived rounds' rules; least recent dropped)
MAX_ENTRIES = 32  # files kept in the cache directory (oldest removed first)
_CODE_MODULES = ("catalog", "compiler", "conditions", "model", "profiles", "cache")
_code_digest: str | None = None


def enabled() -> bool:
    return os.environ.get("SCORECARD_NO_CACHE", "").strip().lower() in ("", "0", "false", "no")


def disable() -> None:
    """Turn the on-disk cache off for this process and the processes it starts (``scorecard --no-cache``)."""
    os.environ["SCORECARD_NO_CACHE"] = "1"


def cache_dir(sub: str = "rules") -> Path | None:
    """``$SCORECARD_CACHE_DIR`` | ``$XDG_CACHE_HOME/scorecard`` | ``~/.cache/scorecard``, plus ``sub``."""
    base = os.environ.get("SCORECARD_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME")
        if xdg and os.path.isabs(xdg):
            base = os.path.join(xdg, "scorecard")
        else:
            try:
                base = str(Path.home() / ".cache" / "scorecard")
            except (RuntimeError, KeyError):
                return None
    return Path(base) / sub


def private_dir(sub: str = "rules", create: bool = False) -> Path | None:
    """The cache directory ``sub`` if it is (or can be made) a real directory owned by us with no group/other access
    (None when caching is off or the directory is not safe to read from)."""
    if not hasattr(os, "getuid") or not enabled():
        return None
    path = cache_dir(sub)
    if path is None:
        return None
    try:
        if create and not os.path.lexists(path):
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.mkdir(path, 0o700)
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return path


def code_digest() -> str:
    """The engine version, Python and pydantic versions and the source of the modules that load and compile rules."""
    global _code_digest
    if _code_digest is None:
        import pydantic

        from engine import __version__

        h = hashlib.sha256(f"{__version__}\0{sys.version}\0{pydantic.VERSION}\0{pickle.HIGHEST_PROTOCOL}".encode())
        here = Path(__file__).resolve().parent
        sources = [here / f"{name}.py" for name in _CODE_MODULES]
        sources.append(here.parents[1] / "evidence" / "schema.py")
        for src in sources:
            try:
                h.update(src.name.encode() + b"\0" + src.read_bytes())
            except OSError:
                h.update(src.name.encode() + b"\0missing")
        _code_digest = h.hexdigest()
    return _code_digest


def open_owned(path: Path):
    """``path`` opened for reading if it is a regular file (not a link) owned by us and writable by no one else."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    fh = os.fdopen(fd, "rb")
    st = os.fstat(fh.fileno())
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
        fh.close()
        raise ValueError("foreign cache entry")
    return fh


def _read_entry(path: Path) -> Any:
    with open_owned(path) as fh:
        return pickle.loads(fh.read())  # noqa: S301 - our own file in our own 0700 directory (checked above)


def _write_entry(directory: Path, key: str, value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pickle")  # created 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, directory / f"{key}.pickle")
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime if p.exists() else 0)
    for old in entries[:-MAX_ENTRIES]:
        try:
            old.unlink()
        except OSError:
            pass


def compiled_rules_for(key: str, build: Callable[[], Any], check: Callable[[Any], bool] | None = None,
                       disk: bool = True) -> Any:
    """The value for ``key``: from this process's memo, else the on-disk cache, else ``build()`` (then kept).

    ``check(value)`` must hold for a value read from disk or just built before it is kept (a built value that
    fails it, e.g. because a file changed while it was read, is returned but not kept).
    """
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key]
    full = hashlib.sha256(f"{key}\0{code_digest()}".encode()).hexdigest()
    directory = private_dir(create=False) if disk else None
    if directory is not None:
        try:
            value = _read_entry(directory / f"{full}.pickle")
            if check is None or check(value):
                _remember(key, value)
                return value
        except Exception:  # noqa: BLE001 - missing, corrupt, foreign or stale: rebuilt below
            pass
    value = build()
    if check is not None and not check(value):
        return value
    _remember(key, value)
    if disk:
        directory = private_dir(create=True)
        if directory is not None:
            try:
                _write_entry(directory, full, value)
            except Exception:  # noqa: BLE001 - a read-only or full disk only costs the cache
                pass
    return value


def _remember(key: str, value: Any) -> None:
    _MEMO[key] = value
    _MEMO.move_to_end(key)
    while len(_MEMO) > MAX_MEMO:
        _MEMO.popitem(last=False)


def clear_memo() -> None:
    _MEMO.clear()


def file_digest(path: Path, shown: str) -> str:
    from engine.yamlio import read_file_bytes

    return hashlib.sha256(read_file_bytes(path, shown)).hexdigest()


def rules_key(rules_dir: Path, profile: str | Path | None, ledgers_file: Path) -> tuple[str, str, str | None] | None:
    """(key, rules digest, profile digest) for the rules under ``rules_dir`` tailored by ``profile``, from the files'
    bytes alone (nothing parsed); None when a file cannot be read (the uncached load then reports it)."""
    from engine.rules.catalog import catalog_digest
    from engine.rules.profiles import resolve_profile

    try:
        rules = catalog_digest(Path(rules_dir))
        prof = None
        if profile is not None:
            path = resolve_profile(profile)
            prof = file_digest(path, str(path))
        ledgers = file_digest(ledgers_file, str(ledgers_file))
    except (InputError, OSError):
        return None
    return f"rules={rules};profile={prof};ledgers={ledgers}", rules, prof
