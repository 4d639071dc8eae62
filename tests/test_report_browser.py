"""The HTML report looks right in a real browser: headless Chromium renders each example's report with Chinese glyphs.

Needs ``chromium`` and a CJK font (Debian: ``apt-get install -y chromium fonts-wqy-microhei``); skipped when
Chromium is absent. Screenshots are kept in $SCORECARD_SCREENSHOT_DIR when set.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest
from report_cases import DATE, handmade, package_cases

from engine.evaluate import score
from engine.output.reports import render_report
from evidence.package import load_package

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="未安装 chromium(apt-get install -y chromium fonts-wqy-microhei)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def screenshot(html: Path, png: Path, size: str = "1200,1600") -> Path:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
                        f"--window-size={size}", html.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
    assert png.is_file() and png.stat().st_size > 0
    keep = os.environ.get("SCORECARD_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / png.name)
    return png


def png_pixels(path: Path) -> tuple[int, int, int, bytes]:
    """Decode an 8-bit RGB/RGBA PNG with the standard library: (width, height, channels, raw pixels)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    out, prev = bytearray(), bytearray(stride)
    for y in range(height):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    return width, height, channels, bytes(out)


def ink(path: Path) -> float:
    """Fraction of pixels that are not (near) white."""
    w, h, ch, px = png_pixels(path)
    dark = sum(1 for i in range(0, len(px), ch * 2) if px[i] + px[i + 1] + px[i + 2] < 720)
    return dark / (w * h / 2)


def test_chinese_glyphs_render(tmp_path):
    """Two different Chinese strings of equal length must render differently (without a CJK font both are boxes)."""
    shots = []
    for n, text in enumerate(["法治政府建设示范创建", "整改清单牵头单位时限"]):
        page = tmp_path / f"g{n}.html"
        page.write_text(f'<!DOCTYPE html><meta charset="utf-8"><body style="margin:0;font-size:48px">{text}</body>',
                        encoding="utf-8")
        shots.append(png_pixels(screenshot(page, tmp_path / f"g{n}.png", "600,100"))[3])
    assert shots[0] != shots[1], "中文字形未渲染(缺少中文字体?apt-get install -y fonts-wqy-microhei)"


@pytest.fixture(scope="module")
def reports(tmp_path_factory, rules) -> list[tuple[str, str]]:
    out = [("handmade", render_report(handmade(), "html", report_date=DATE))]
    for pkg in package_cases(tmp_path_factory, rules):
        result = score(load_package(pkg, rules.ledgers), rules)
        out.append((pkg.name, render_report(result, "html", report_date=DATE)))
    return out


def test_report_renders_in_chromium(reports, tmp_path):
    blank = tmp_path / "blank.html"
    blank.write_text('<!DOCTYPE html><meta charset="utf-8"><body></body>', encoding="utf-8")
    blank_ink = ink(screenshot(blank, tmp_path / "blank.png"))
    assert blank_ink < 0.001
    for name, html in reports:
        page = tmp_path / f"report-{name}.html"
        page.write_text(html, encoding="utf-8")
        shot = screenshot(page, tmp_path / f"report-{name}.png")
        assert ink(shot) > blank_ink + 0.03, f"{name}: screenshot looks blank"
        assert shot.stat().st_size > 10 * (tmp_path / "blank.png").stat().st_size
