"""Tests of govsim.output.fonts: the CJK font is registered, resolved, covers every label."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, fontManager

import govsim
from govsim.errors import GovsimError
from govsim.output import fonts
from govsim.output.fonts import CJK_FONT_FILE, cjk_font_path, font_covers, use_cjk_font
from govsim.output.labels import LABELS

FAMILY = "Noto Sans CJK SC"


def _guangan_names() -> list[str]:
    scenario = govsim.load_scenario("guangan")
    names = [c.name_zh for c in scenario.counties] + [i.name_zh for i in scenario.items]
    return names + [p.name_zh for p in scenario.provider_types] + [scenario.header.title_zh]


def _glyph_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught
            if "Glyph" in str(w.message) or "missing from" in str(w.message)]


def test_use_cjk_font_registers_the_mplfonts_noto_file_once() -> None:
    assert use_cjk_font() == FAMILY
    count = sum(Path(f.fname).name == CJK_FONT_FILE for f in fontManager.ttflist)
    assert use_cjk_font() == FAMILY
    # matplotlib may list one file under several names; a second call adds nothing
    assert sum(Path(f.fname).name == CJK_FONT_FILE for f in fontManager.ttflist) == count >= 1
    assert matplotlib.rcParams["font.sans-serif"].count(FAMILY) == 1
    assert matplotlib.rcParams["font.sans-serif"][0] == FAMILY
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    assert cjk_font_path().parent.name == "fonts"
    assert cjk_font_path().parent.parent.name == "mplfonts"


def test_default_family_resolves_to_the_noto_file() -> None:
    use_cjk_font()
    assert Path(findfont(FontProperties(family=["sans-serif"]))) == cjk_font_path()
    assert Path(findfont(FontProperties(family=[FAMILY]))) == cjk_font_path()


def test_font_covers_every_chinese_label() -> None:
    texts = _guangan_names()
    texts += [zh for zh, _ in LABELS.values()]
    missing = [t for t in texts if not font_covers(t, FAMILY)]
    assert missing == []
    assert font_covers("广安区\n2025 −")  # newline ignored, U+2212 covered


def test_font_covers_detects_missing_glyphs() -> None:
    assert not font_covers("广安区", "DejaVu Sans")
    assert font_covers("Guang'an", "DejaVu Sans")
    assert not font_covers("\U0001d11e", FAMILY)  # musical G clef: not in Noto Sans CJK
    assert not font_covers("x", "No Such Family 12345")


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "CJK_FONT_FILE", "NoSuchFont.otf")
    with pytest.raises(GovsimError, match=r"NoSuchFont\.otf is missing"):
        use_cjk_font()


def test_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_package(name: str) -> None:
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(fonts.resources, "files", no_package)
    with pytest.raises(GovsimError, match="pip install mplfonts"):
        cjk_font_path()


def test_chinese_tick_labels_render_with_noto_and_no_missing_glyphs() -> None:
    use_cjk_font()
    names = _guangan_names()
    fig = Figure(figsize=(8, 8))
    ax = fig.add_subplot()
    ax.barh(range(len(names)), range(len(names)))
    ax.set_yticks(range(len(names)), names)
    ax.set_title("广安市 −3 %")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=60)
    assert _glyph_warnings(caught) == []
    labels = ax.get_yticklabels()
    assert [t.get_text() for t in labels] == names
    for text in [*labels, ax.title]:
        assert Path(findfont(text.get_fontproperties())) == cjk_font_path()
        assert font_covers(text.get_text())


def test_without_the_cjk_font_the_check_would_fail() -> None:
    """The warning check above is not vacuous: DejaVu Sans alone misses the glyphs."""
    fig = Figure(figsize=(2, 1))
    fig.text(0.1, 0.5, "广安区", family="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=30)
    assert _glyph_warnings(caught)
