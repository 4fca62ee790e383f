"""Headless Chromium for the report tests: Debian's ``chromium`` driven by playwright.

:func:`chromium_path` finds the system browser (no browser download: playwright is given the
executable); :func:`measure_page` opens an HTML file at a width and returns what the tests
assert on (heights, widths of table columns in characters, horizontal scroll, broken images)
and saves a full-page screenshot.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PageMeasure", "chromium_path", "measure_page", "require_chromium"]

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")

# The narrowest table column in characters (its content width, without padding, ÷ the width
# of "0" in its font — the CSS ``ch``; a Chinese character is about two), the top
# of a section, the page's scroll sizes and the images that failed to load.
_MEASURE_JS = """
(sectionId) => {
  const zero = (el) => {
    const probe = document.createElement('span');
    probe.textContent = '0000000000';
    probe.style.font = getComputedStyle(el).font;
    probe.style.position = 'absolute'; probe.style.visibility = 'hidden';
    document.body.appendChild(probe);
    const w = probe.getBoundingClientRect().width / 10;
    probe.remove();
    return w;
  };
  const narrow = [];
  for (const table of document.querySelectorAll('table')) {
    if (table.closest('details:not([open])')) continue;
    const row = table.querySelector('tbody tr');
    if (!row) continue;
    const ch = zero(row.cells[0] || table);
    for (const cell of row.cells) {
      const style = getComputedStyle(cell);
      const content = cell.getBoundingClientRect().width - parseFloat(style.paddingLeft)
                      - parseFloat(style.paddingRight);
      const chars = content / ch;
      if (chars < 4) narrow.push({table: (table.closest('section') || {}).id || '',
                                  text: cell.textContent.slice(0, 40), chars: chars});
    }
  }
  const section = sectionId ? document.getElementById(sectionId) : null;
  const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
                   .map(i => i.alt || i.src.slice(0, 40));
  return {
    sectionTop: section ? section.getBoundingClientRect().top + window.scrollY : null,
    height: document.documentElement.scrollHeight,
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    narrow: narrow, broken: broken, images: document.images.length,
  };
}
"""


@dataclass(frozen=True)
class PageMeasure:
    """What a page measured at one width (CSS pixels)."""

    width: int
    section_top: float | None
    height: int
    scroll_width: int
    client_width: int
    narrow_columns: list[dict]
    broken_images: list[str]
    images: int


def chromium_path() -> str | None:
    """The system Chromium (``GOVSIM_CHROMIUM`` first), or None."""
    given = os.environ.get("GOVSIM_CHROMIUM")
    if given:
        return given
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The browser's path; in CI (``CI=true``) a missing browser or playwright FAILS the test,
    locally it skips with the reason."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if in_ci:
            pytest.fail("playwright is not installed (pip install -e '.[test]')")
        pytest.skip("playwright is not installed and CI is not set")
    path = chromium_path()
    if path is None:
        if in_ci:
            pytest.fail("chromium is missing in CI: .ci/run installs Debian's chromium")
        pytest.skip("no chromium on PATH (apt-get install chromium) and CI is not set")
    return path


def measure_page(html: Path, widths: tuple[int, ...], section: str | None,
                 screenshots: Path | None = None, executable: str | None = None
                 ) -> dict[int, PageMeasure]:
    """Open ``html`` at each width (height 1,000 px) and measure it; screenshots (full page)
    go to ``screenshots/<stem>-<width>.png`` when a folder is given."""
    from playwright.sync_api import sync_playwright

    executable = executable or chromium_path()
    out: dict[int, PageMeasure] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            for width in widths:
                page = browser.new_page(viewport={"width": width, "height": 1000})
                page.goto(html.resolve().as_uri(), wait_until="load")
                raw = page.evaluate(_MEASURE_JS, section)
                if screenshots is not None:
                    screenshots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(screenshots / f"{html.stem}-{width}.png"),
                                    full_page=True)
                out[width] = PageMeasure(width, raw["sectionTop"], raw["height"],
                                         raw["scrollWidth"], raw["clientWidth"],
                                         raw["narrow"], raw["broken"], raw["images"])
                page.close()
        finally:
            browser.close()
    return out
