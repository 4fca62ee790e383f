"""Chinese text in matplotlib: the CJK font govsim draws with, and a check of glyph coverage.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs, so county and item names such as
``广安区`` or ``照料护理`` would be drawn as empty boxes. govsim uses Noto Sans CJK SC, shipped as
a plain file by the ``mplfonts`` package (``mplfonts/fonts/NotoSansCJKsc-Regular.otf``). We only
*register* that file with matplotlib's font manager; we never call ``mplfonts``' own set-up,
which may download fonts or rewrite matplotlib's rc files.

:func:`use_cjk_font` makes the font the first sans-serif family (Latin text is covered too) and
turns off the Unicode minus sign, which the CJK font lacks. :func:`font_covers` says whether a
font has a glyph for every character of a text, so tests and callers can check labels before
drawing them.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from govsim.errors import GovsimError

__all__ = ["CJK_FONT_FILE", "cjk_font_path", "font_covers", "use_cjk_font"]

log = logging.getLogger(__name__)

#: File name of the font inside ``mplfonts/fonts/``.
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"

# Characters that are layout, not glyphs: a font need not map them.
_LAYOUT_CHARACTERS = frozenset("\n\r\t")


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC file shipped by ``mplfonts``.

    Raises
    ------
    GovsimError
        If ``mplfonts`` is not installed or the font file is missing from it.
    """
    try:
        folder = resources.files("mplfonts") / "fonts"
    except ModuleNotFoundError:
        raise GovsimError(
            "the Chinese font package 'mplfonts' is not installed; install it with "
            "`pip install mplfonts` so that Chinese labels are not drawn as boxes") from None
    path = Path(str(folder / CJK_FONT_FILE))
    if not path.is_file():
        raise GovsimError(f"the Chinese font {CJK_FONT_FILE} is missing from the mplfonts "
                          f"package (looked for {path}); reinstall mplfonts")
    return path


def use_cjk_font() -> str:
    """Register the CJK font with matplotlib and make it the sans-serif font; return its family.

    Safe to call any number of times: the font is added once, and the family is moved to the
    front of ``font.sans-serif`` without duplicates. Sets ``font.family = "sans-serif"`` and
    ``axes.unicode_minus = False`` (the CJK font has no U+2212 minus sign).

    Returns
    -------
    str
        The family name, ``"Noto Sans CJK SC"``.

    Raises
    ------
    GovsimError
        If the font cannot be found (see :func:`cjk_font_path`).
    """
    path = cjk_font_path()
    family = _register(str(path))
    rc = matplotlib.rcParams
    rc["font.sans-serif"] = [family, *[f for f in rc["font.sans-serif"] if f != family]]
    rc["font.family"] = ["sans-serif"]
    rc["axes.unicode_minus"] = False
    return family


@lru_cache(maxsize=4)
def _register(path: str) -> str:
    """Add the font file to the font manager unless it is already there; its family name."""
    known = {Path(entry.fname).resolve() for entry in font_manager.fontManager.ttflist}
    if Path(path).resolve() not in known:
        font_manager.fontManager.addfont(path)
        log.debug("registered CJK font %s", path)
    return font_manager.FontProperties(fname=path).get_name()


def font_covers(text: str, family: str | None = None) -> bool:
    """Whether the font matplotlib resolves for ``family`` has a glyph for every character.

    Parameters
    ----------
    text
        The text to be drawn; newlines and tabs are ignored.
    family
        A family name (``"Noto Sans CJK SC"``) or generic family (``"sans-serif"``); by default
        the family :func:`use_cjk_font` registers.

    Returns
    -------
    bool
        ``False`` if any character would be drawn as a missing-glyph box, or if no font of
        that family is installed.
    """
    family = family or use_cjk_font()
    try:
        path = font_manager.findfont(font_manager.FontProperties(family=[family]),
                                     fallback_to_default=False)
    except ValueError:
        return False
    charmap = _charmap(path)
    return all(ord(ch) in charmap for ch in text if ch not in _LAYOUT_CHARACTERS)


@lru_cache(maxsize=8)
def _charmap(path: str) -> frozenset[int]:
    return frozenset(FT2Font(path).get_charmap())
