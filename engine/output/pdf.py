"""HTML report -> PDF through headless Chromium (``--format pdf``), when a Chromium is installed.

The page's own print stylesheet does the layout: ``@page`` margins, page numbers in the bottom margin box
(第 N 页,共 M 页) and the signature block; Chromium's header/footer (URL, date) are switched off. The browser
runs with a throwaway profile, no network services, no sandbox (CI runs as root) and a time limit. Without a
Chromium the user gets a Chinese message saying what to install, never a traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from engine.errors import InputError, Problem

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw")
TIMEOUT_S = 120


def find_chromium() -> str | None:
    """``SCORECARD_CHROMIUM`` when set, else the first Chromium/Chrome on PATH."""
    given = os.environ.get("SCORECARD_CHROMIUM")
    if given:
        return given if Path(given).is_file() else shutil.which(given)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str, display: str = "PDF") -> bytes:
    """The PDF bytes of ``html`` printed by headless Chromium (A4, the page's @page rules)."""
    exe = find_chromium()
    if exe is None:
        raise InputError(Problem(display, "未找到 Chromium 浏览器,无法生成 PDF", code="no_chromium",
                                 expected="安装 chromium 和中文字体(Debian/Ubuntu:apt-get install chromium "
                                          "fonts-wqy-microhei),或设置环境变量 SCORECARD_CHROMIUM 为浏览器路径;"
                                          "也可输出 HTML 后在浏览器中打印为 PDF"))
    with tempfile.TemporaryDirectory(prefix="scorecard-pdf-") as tmp:
        src, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        src.write_text(html, encoding="utf-8")
        cmd = [exe, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={out}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise InputError(Problem(display, f"Chromium 在 {TIMEOUT_S} 秒内未生成 PDF", code="pdf")) from None
        except OSError as exc:
            raise InputError(Problem(display, f"无法启动 Chromium:{exc.strerror or exc}", value=exe, code="pdf")) from None
        if not out.is_file() or out.stat().st_size == 0:
            tail = (proc.stderr or "").strip().splitlines()[-1:] or [f"退出码 {proc.returncode}"]
            raise InputError(Problem(display, "Chromium 未能生成 PDF", value=tail[0][:200], code="pdf"))
        return out.read_bytes()
