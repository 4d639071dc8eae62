"""The web workspace in a real browser: Playwright (Python) drives Debian's Chromium against a real server
(uvicorn on a free localhost port) over a real store.

A unit user uploads a broken package and sees the located error, uploads the fixed one and sees the 自评
result; an evaluator records three verdicts in the review queue (one by keyboard only) and sees 已确认得分
change, opens the rectification board and marks an item 整改中. Every page visited is checked for horizontal
overflow at 1280 and 390 px. Screenshots of each step go to out/screenshots/web/ (or $SCORECARD_SCREENSHOT_DIR).
Needs ``apt-get install chromium fonts-wqy-microhei`` and ``pip install playwright`` (never ``playwright install``).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from web_support import PASSWORDS, make_store, package_zip

CHROMIUM = "/usr/bin/chromium"
if os.environ.get("SCORECARD_TEST_REQUIRE_BROWSER") == "1":  # set by .ci/run: a missing browser is a failure
    import playwright.sync_api as playwright_api

    assert Path(CHROMIUM).exists(), "SCORECARD_TEST_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing"
else:
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="未安装 chromium(apt-get install -y chromium)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
SHOTS = Path(os.environ.get("SCORECARD_SCREENSHOT_DIR") or Path(__file__).resolve().parent.parent / "out" / "screenshots") / "web"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from engine.web.server import create_app

    store = make_store(str(tmp_path_factory.mktemp("browser") / "web.db"))
    app = create_app(store)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}", store
    srv.should_exit = True
    thread.join(10)
    app.state.web.jobs.shutdown()
    store.dispose()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def no_overflow(page, name: str) -> None:
    """No horizontal scrolling of the page at 1280 and 390 px (wide tables scroll inside their own box)."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(50)
        over = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert over <= 1, f"{name}: {over}px horizontal overflow at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("#login-submit")
    page.wait_for_load_state()


def test_unit_uploads_then_evaluator_reviews_and_tracks(server, browser, tmp_path):
    base, store = server
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # --- unit user: broken package, located error
    sign_in(page, base, "unit-new")
    assert page.url.endswith("/upload")
    no_overflow(page, "upload")
    shot(page, "01-upload-form")
    page.set_input_files("#package", str(package_zip(tmp_path, "broken", broken=True)))
    page.click("#upload-submit")
    page.wait_for_selector("#job-failed", timeout=120_000)
    table = page.inner_text("#problems")
    assert "activities.csv" in table and "2021-13-45" in table
    row = page.locator("#problems tbody tr", has_text="2021-13-45").first
    cells = row.locator("td").all_inner_texts()
    assert cells[0].endswith("activities.csv") and cells[2] == "3" and cells[3]  # file, row, column
    no_overflow(page, "upload-failed")
    shot(page, "02-upload-located-error")

    # --- fixed package: scored in the background, progress shown, result stored as 自评
    page.goto(base + "/upload")
    page.set_input_files("#package", str(package_zip(tmp_path, "fixed")))
    page.click("#upload-submit")
    page.wait_for_selector("#job-progress")
    page.wait_for_selector("#job-done", timeout=120_000)
    shot(page, "03-upload-done")
    page.click("#job-result")
    page.wait_for_selector("#confirmed-score")
    assert "上传测试镇人民政府" in page.inner_text("h1") and "自评" in page.inner_text("h1")
    page.select_option("#f-status", "needs_review")  # the live filter hides the other cards
    visible = page.locator("details.card:visible").count()
    assert 0 < visible < page.locator("details.card").count()
    no_overflow(page, "assessment")
    shot(page, "04-self-assessment")
    page.click("button.link:has-text('退出')")
    page.wait_for_url(re.compile(r".*/login$"))

    # --- evaluator: three verdicts in the review queue, 已确认得分 changes
    sign_in(page, base, "demo-evaluator")
    page.goto(base + "/review")
    no_overflow(page, "review-queue")
    page.locator("#review-queue tr", has_text="柳溪镇人民政府").filter(has_text="评估").locator("a").click()
    page.wait_for_selector("[data-review-item]")
    before = float(page.inner_text("#confirmed-score"))
    no_overflow(page, "review")
    shot(page, "05-review-before")
    # first verdict by keyboard only: j to the first item, 1 = 通过, r to the reason, Ctrl+Enter submits
    first = page.locator("[data-review-item]").first
    first_no = first.locator("input[name=indicator]").get_attribute("value")
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("1")
    page.keyboard.press("r")
    page.keyboard.type("制度健全,台账完整")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#flash")
    assert f"已记录指标 {first_no}" in page.inner_text("#flash")
    for verdict, reason in (("fail", "材料不足以证明落实"), ("partial", "部分落实")):
        item = page.locator("[data-review-item]").first
        item.locator(f"input[name=verdict][value={verdict}]").check()
        if verdict == "partial":
            item.locator("input[name=points]").fill("0.5")
        item.locator("textarea[name=reason]").fill(reason)
        item.locator("button[type=submit]").click()
        page.wait_for_selector("#flash")
    after = float(page.inner_text("#confirmed-score"))
    assert after != before
    log = page.inner_text("#verdict-log")
    assert log.count("演示评估员") == 3 and "部分通过" in log and "未通过" in log
    shot(page, "06-review-after-three-verdicts")

    # --- rectification board: mark an item 整改中
    page.goto(base + "/rectify")
    no_overflow(page, "rectify")
    shot(page, "07-rectify-board")
    item = page.locator("article.item", has=page.locator(".pill", has_text="待整改")).first
    item_id = item.get_attribute("id")
    item.locator("select[name=status]").select_option("整改中")
    item.locator("input[name=responsible]").fill("李四")
    item.locator("button[type=submit]").click()
    page.wait_for_selector("#flash")
    assert page.locator(f"#{item_id} .pill").inner_text() == "整改中"
    assert "李四" in page.inner_text(f"#{item_id}")
    shot(page, "08-rectify-in-progress")

    for path in ("/dashboard", "/ranking", "/units/1"):
        page.goto(base + path)
        no_overflow(page, path)
    shot(page, "09-unit")

    # --- 不适用 with its reason in the review queue; the indicator leaves the applicable points
    page.goto(base + "/review")
    page.locator("#review-queue tr", has_text="柳溪镇人民政府").filter(has_text="评估").locator("a").click()
    item = page.locator("[data-review-item]").first
    na_no = item.locator("input[name=indicator]").get_attribute("value")
    item.locator("input[name=verdict][value=not_applicable]").check()
    item.locator("textarea[name=reason]").fill("本镇不承担该项职责(县级统一实施)")
    item.locator("button[type=submit]").click()
    page.wait_for_selector("#flash")
    assert f"已记录指标 {na_no}" in page.inner_text("#flash") and "不适用" in page.inner_text("#verdict-log")
    shot(page, "10-review-not-applicable")

    # --- the evaluator opens the 自评 ranking to unit users; weak-town's user sees its own position only
    page.goto(base + "/ranking")
    page.locator("#unit-rank-settings input[value=自评]").check()
    page.locator("#unit-rank-settings button[type=submit]").click()
    page.wait_for_selector("#flash")
    shot(page, "11-ranking-settings")
    page.click("button.link:has-text('退出')")
    page.wait_for_url(re.compile(r".*/login$"))
    sign_in(page, base, "demo-unit2")
    page.click("#unit-rank-link")
    page.wait_for_selector("#unit-rank")
    text = page.inner_text("#unit-rank")
    assert "第" in text and "共 2 个" in text and "上传测试镇人民政府" not in page.content()
    no_overflow(page, "unit-rank")
    shot(page, "12-unit-rank")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    ctx.close()
