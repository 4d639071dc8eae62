"""The render-time limit of a custom ``--template`` holds in any thread (issue 12, point 6; audit T12, T20).

The web workspace renders in worker threads, where SIGALRM cannot be used; the limit is a deadline checked by a
per-thread trace function over the template's compiled code and by the sandbox's call hook.
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from report_cases import DATE, handmade

from engine.errors import InputError
from engine.output import render
from engine.output.reports import render_report

# nested loops that print nothing and call nothing: only the trace function can stop them
SPIN = "{% set s = 'x' * 20000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}done"
# the same through a call in the loop body (the sandbox's call hook)
SPIN_CALLS = "{% for a in range(99999) %}{% for b in range(99999) %}{{ b | string | length }}{% endfor %}{% endfor %}"


@pytest.fixture
def one_second(monkeypatch):
    monkeypatch.setattr(render, "RENDER_SECONDS", 1)
    render.environment.cache_clear()
    yield
    render.environment.cache_clear()


def _render(tmp_path, source: str) -> tuple[BaseException | str, float, str]:
    (tmp_path / "report.md.j2").write_text(source, encoding="utf-8")
    started = time.monotonic()
    try:
        out: BaseException | str = render_report(handmade(), "md", tmp_path, DATE)
    except InputError as exc:
        out = exc
    return out, time.monotonic() - started, threading.current_thread().name


@pytest.mark.parametrize("source", [SPIN, SPIN_CALLS], ids=["silent-loop", "loop-with-calls"])
def test_limit_holds_in_a_worker_thread(tmp_path, one_second, source):
    before = sys.gettrace()
    with ThreadPoolExecutor(1) as pool:
        out, seconds, thread = pool.submit(_render, tmp_path, source).result(timeout=60)
    assert thread != threading.main_thread().name
    assert isinstance(out, InputError), out
    text = str(out)
    assert "秒时限" in text and "report.md.j2" in text and "第1行" in text
    assert seconds < 15, seconds  # limit 1 s; unstopped, the loop runs for hours (slack for a loaded 2-core machine)
    assert sys.gettrace() is before


def test_limit_holds_in_the_main_thread(tmp_path, one_second):
    before = sys.gettrace()
    out, seconds, thread = _render(tmp_path, SPIN)
    assert thread == threading.main_thread().name
    assert isinstance(out, InputError) and "秒时限" in str(out)
    assert seconds < 15
    assert sys.gettrace() is before  # a debugger's or coverage's trace function is given back


def test_normal_template_renders_in_threads(tmp_path):
    (tmp_path / "report.md.j2").write_text("{{ r.unit.name }}:{% for i in r.indicators %}{{ i.no }},{% endfor %}",
                                          encoding="utf-8")
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: render_report(handmade(), "md", tmp_path, DATE), range(8)))
    assert set(outs) == {"样例县人民政府:22,73,65,80,1,"}


def test_builtin_templates_are_not_traced():
    before = sys.gettrace()
    assert "评估报告" in render_report(handmade(), "md", None, DATE)
    assert sys.gettrace() is before
