"""Citations of the policy documents: a rule's source as a reader can put it in a memo.

A rule's ``source`` in ``govsim/data/rules.toml`` names the seed file of its document, the part
of a compilation and the clause (``001_d4a2c5f50d01abf5.txt §(八)``,
``002_677eeb57fa30ec89.txt Chengdu Art. 21``). :func:`cite` replaces each file name (and part)
by the document's title and number from ``govsim/data/documents.toml`` and words the clause in
the reader's language (clause numbers in digits for an English reader: ``§(八)`` -> ``§(8)``):
``四川省民政厅等《关于全面推进政府购买社会救助服务的实施意见》（送审稿）§(八)``,
``《成都市政府购买服务工作规程》（成财采〔2017〕143号）第21条``. File names stay in the CSVs
(developers trace them to ``shared/seeds/``); reports and workbooks show citations.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["Document", "cite", "documents"]

_FILE = re.compile(r"\b(\d{3})_[0-9a-f]{16}\.txt")
_ARTICLE = re.compile(r"\bArts?\.\s*(\d+(?:\s*[-–]\s*\d+)?)")
_SECTION_WORDS = {
    "(third section)": ("第三部分", "(third section)"),
    # a second part of the Dongguan compilation named inside one clause
    "fiscal-support plan": ("、《东莞市财政支持社会工作发展的实施方案（试行）》",
                            "; Dongguan Plan for Fiscal Support of Social-Work Development "
                            "(trial)"),
}


@dataclass(frozen=True)
class Document:
    """A policy document (or one part of a compilation) and its title in both languages."""

    file: str
    part: str
    title_zh: str
    title_en: str

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


@cache
def documents() -> tuple[Document, ...]:
    """Every document of ``documents.toml``, longest part first within a file (so that
    ``Dongguan fiscal-support plan`` is matched before ``Dongguan``)."""
    raw = tomllib.loads((resources.files("govsim") / "data" / "documents.toml")
                        .read_text("utf-8"))
    docs = [Document(**entry) for entry in raw["documents"]]
    return tuple(sorted(docs, key=lambda d: (d.file, -len(d.part))))


_NUMERALS = "一二三四五六七八九"
_CN_NUMBER = re.compile(r"[一二三四五六七八九十]+")


def _arabic(match: re.Match[str]) -> str:
    """A Chinese numeral of a clause number (一 … 九十九) in Arabic digits: 十四 -> 14."""
    text = match.group(0)
    tens, _, units = text.rpartition("十")
    if "十" not in text:
        return str(_NUMERALS.index(text) + 1) if len(text) == 1 else text
    value = (_NUMERALS.index(tens) + 1 if tens else 1) * 10
    return str(value + (_NUMERALS.index(units) + 1 if units else 0))


def _clause(text: str, lang: str) -> str:
    text = text.strip()
    for word, (zh, en) in _SECTION_WORDS.items():
        if word in text and not word.startswith("("):
            text = text.replace(", " + word, word)
        text = text.replace(word, zh if lang == "zh" else en)
    if lang == "zh":
        text = _ARTICLE.sub(lambda m: "第" + re.sub(r"\s*[-–]\s*", "–", m.group(1)) + "条", text)
    else:  # an English reader gets clause numbers in digits: §(八) -> §(8), 三(五) -> 3(5)
        text = _CN_NUMBER.sub(_arabic, text)
    return text


def _one(source: str, lang: str) -> str:
    match = _FILE.search(source)
    if match is None:
        return _clause(source, lang)
    rest = source[match.end():].strip()
    for doc in documents():
        if doc.file != match.group(0):
            continue
        if doc.part and not rest.startswith(doc.part):
            continue
        clause = _clause(rest[len(doc.part):], lang)
        sep = "" if lang == "zh" or not clause else " "
        return (source[:match.start()] + doc.title(lang) + sep + clause).strip()
    return source


def cite(source: object, lang: str) -> str:
    """``source`` (one or several clauses separated by ``;``) with document titles for file names.

    >>> cite("001_d4a2c5f50d01abf5.txt §(八)", "zh")
    '四川省民政厅等《关于全面推进政府购买社会救助服务的实施意见》（送审稿）§(八)'
    >>> cite("002_677eeb57fa30ec89.txt Chengdu Art. 21", "zh")
    '《成都市政府购买服务工作规程》（成财采〔2017〕143号）第21条'

    Text without a file name is returned with its clause words translated; a missing
    source (None, NaN) is ``""``.
    """
    if not isinstance(source, str) or not source.strip():
        return ""
    joiner = "；" if lang == "zh" else "; "
    return joiner.join(_one(part, lang) for part in source.split(";") if part.strip())
