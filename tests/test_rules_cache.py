"""Compiled-rules cache (engine/rules/cache.py): kept by the digest of the rule, profile and ledger files.

- a second load in a fresh process state comes from the cache directory (the compiler is not called);
- a changed indicator file or profile is a different key (and its change shows), the same files elsewhere the same;
- a corrupt entry is ignored and rebuilt; a directory others can open is never used;
- ``score`` prints byte-identical JSON with the cache cold, warm and off; ``--no-cache`` writes nothing.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.evaluate import pipeline
from engine.rules import cache
from engine.rules.catalog import DEFAULT_RULES, catalog_digest, load_catalog
from evidence.schema import LEDGERS_FILE

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache_env(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("SCORECARD_CACHE_DIR", str(directory))
    monkeypatch.delenv("SCORECARD_NO_CACHE", raising=False)
    cache.clear_memo()
    yield directory / "rules"
    cache.clear_memo()


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.pickle")) if directory.is_dir() else []


def _no_compiling(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("compiled although cached")

    monkeypatch.setattr(pipeline, "compile_rules", refuse)
    monkeypatch.setattr(pipeline, "load_catalog", refuse)


def test_miss_then_hit_from_disk(cache_env, monkeypatch):
    first = pipeline.load_rules()
    assert len(_entries(cache_env)) == 1
    assert os.stat(cache_env).st_mode & 0o777 == 0o700
    assert pipeline.load_rules() is first  # the in-process memo
    cache.clear_memo()
    _no_compiling(monkeypatch)
    again = pipeline.load_rules()  # from the file
    assert again is not first
    assert again.digest == first.digest and again.catalog.digest == first.catalog.digest
    assert [p.key for p in again.predicates] == [p.key for p in first.predicates]
    fact = {"status": "已公开"}
    assert [p.test(fact) for p in again.predicates] == [p.test(fact) for p in first.predicates]  # closures rebuilt


def test_key_is_the_recorded_digests():
    key, rules_digest, profile_digest = cache.rules_key(DEFAULT_RULES, "base", LEDGERS_FILE)
    assert rules_digest == catalog_digest(DEFAULT_RULES) == load_catalog(DEFAULT_RULES).digest
    rules = pipeline.load_rules(profile="base")
    assert (rules.catalog.base_digest, rules.catalog.profile_digest) == (rules_digest, profile_digest)
    assert cache.rules_key(DEFAULT_RULES, "township", LEDGERS_FILE)[0] != key
    assert cache.rules_key(DEFAULT_RULES, None, LEDGERS_FILE)[0] != key


def test_changed_rules_or_profile_is_a_new_key(cache_env, tmp_path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules_dir)
    before = pipeline.load_rules(rules_dir)
    path = rules_dir / "c1-government-functions.yaml"
    text = path.read_text(encoding="utf-8")
    title = before.catalog.get(1).title
    assert title in text
    path.write_text(text.replace(title, title + "(改)", 1), encoding="utf-8")
    after = pipeline.load_rules(rules_dir)
    assert after.catalog.get(1).title == title + "(改)" and before.catalog.get(1).title == title
    assert after.catalog.base_digest != before.catalog.base_digest
    # the same bytes in another directory (a round's archived rules restored afresh): the same entry
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(rules_dir, elsewhere)
    assert pipeline.load_rules(elsewhere) is after

    profile = tmp_path / "p.yaml"
    profile.write_bytes((ROOT / "profiles" / "provincial-example.yaml").read_bytes())
    p1 = pipeline.load_rules(profile=profile)
    profile.write_bytes(profile.read_bytes() + b"\n# changed\n")
    p2 = pipeline.load_rules(profile=profile)
    assert p2 is not p1 and p2.catalog.profile_digest != p1.catalog.profile_digest
    assert len(_entries(cache_env)) == 4  # before, after (= elsewhere), two profiles


def test_corrupt_entry_is_rebuilt(cache_env):
    good = pipeline.load_rules()
    (entry,) = _entries(cache_env)
    for garbage in (b"", b"not a pickle", entry.read_bytes()[:1000], pickle.dumps({"not": "rules"})):
        entry.write_bytes(garbage)
        cache.clear_memo()
        rebuilt = pipeline.load_rules()
        assert rebuilt.digest == good.digest and len(rebuilt.predicates) == len(good.predicates)
        assert pickle.loads(entry.read_bytes()).digest == good.digest  # written back whole


def test_open_directory_is_not_used(cache_env):
    cache_env.mkdir(parents=True)
    os.chmod(cache_env, 0o755)
    planted = cache_env / f"{'0' * 64}.pickle"
    planted.write_bytes(b"x")
    pipeline.load_rules()
    assert _entries(cache_env) == [planted]  # nothing read or written there


def test_disabled_by_environment(cache_env, monkeypatch):
    monkeypatch.setenv("SCORECARD_NO_CACHE", "1")
    pipeline.load_rules()
    assert not cache_env.exists()


def _score_json(env: dict, *args: str) -> bytes:
    proc = subprocess.run([sys.executable, "-c", "from engine.cli.main import main; main()", *args, "score", str(ROOT / "examples" / "good-county"),
                           "--format", "json"], env=env, capture_output=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def test_json_identical_with_and_without_cache(tmp_path):
    env = {**os.environ, "SCORECARD_CACHE_DIR": str(tmp_path / "c")}
    env.pop("SCORECARD_NO_CACHE", None)
    off = _score_json(env, "--no-cache")
    assert not (tmp_path / "c").exists()
    cold = _score_json(env)
    assert len(_entries(tmp_path / "c" / "rules")) == 1
    warm = _score_json(env)
    assert off == cold == warm
    assert b'"rules_digest"' in warm


def test_compiled_templates_kept_in_the_same_private_cache(cache_env):
    from engine.output import render
    from engine.output.reports import render_report

    result = pipeline.score_path(ROOT / "examples" / "weak-town")
    render.environment.cache_clear()
    try:
        fresh = render_report(result, "html")
        templates = cache_env.parent / "templates"
        assert os.stat(templates).st_mode & 0o777 == 0o700 and list(templates.iterdir())
        render.environment.cache_clear()
        assert render_report(result, "html") == fresh  # from the compiled templates
        for entry in templates.iterdir():
            entry.write_bytes(b"corrupt")
        render.environment.cache_clear()
        assert render_report(result, "html") == fresh  # recompiled
    finally:
        render.environment.cache_clear()


def test_memory_keeps_only_the_most_recent_rule_sets(monkeypatch):
    """A long-running server sees many archived rounds' rules: the in-process memo is bounded (least recent dropped)."""
    monkeypatch.setattr(cache, "MAX_MEMO", 3)
    cache.clear_memo()
    built: list[str] = []

    def build(name):
        return lambda: built.append(name) or name

    try:
        for name in ("a", "b", "c"):
            cache.compiled_rules_for(name, build(name), disk=False)
        assert cache.compiled_rules_for("a", build("a"), disk=False) == "a"  # hit: "a" is now the most recent
        cache.compiled_rules_for("d", build("d"), disk=False)  # evicts "b", the least recently used
        assert list(cache._MEMO) == ["c", "a", "d"]
        cache.compiled_rules_for("b", build("b"), disk=False)
        assert built == ["a", "b", "c", "d", "b"]
    finally:
        cache.clear_memo()
