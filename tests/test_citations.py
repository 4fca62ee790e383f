"""Citations of the policy documents (``govsim/citations.py``, ``govsim/data/documents.toml``):
a rule's source as a reader can put it in a memo — the document's title and number and the
clause, never a seed file name (issue 16)."""

from __future__ import annotations

import re

from govsim.citations import cite
from govsim.policy import RULES


def test_citations_name_documents_not_files() -> None:
    assert cite("001_d4a2c5f50d01abf5.txt §(八)", "zh") == \
        "四川省民政厅等《关于全面推进政府购买社会救助服务的实施意见》（送审稿）§(八)"
    assert "成财采〔2017〕143号" in cite("002_677eeb57fa30ec89.txt Chengdu Art. 21", "zh")
    assert cite("002_677eeb57fa30ec89.txt Chengdu Art. 21", "zh").endswith("第21条")
    assert "民发〔2012〕196号" in cite("003_31fd11b8a43de1da.txt 三(五)", "zh")
    assert "东莞市财政支持社会工作发展的实施方案" in cite(
        "002_677eeb57fa30ec89.txt Dongguan fiscal-support plan §三(一)", "zh")
    for rule in RULES.values():
        for lang in ("zh", "en"):
            text = cite(rule.source, lang)
            assert ".txt" not in text and text, (rule.id, lang)
        assert not re.search(r"[\u3400-\u9fff]", cite(rule.source, "en")), rule.id


def test_english_citations_number_clauses_in_digits() -> None:
    assert cite("001_d4a2c5f50d01abf5.txt §(八)", "en").endswith("(draft) §(8)")
    assert cite("001_d4a2c5f50d01abf5.txt §(十四)", "en").endswith("§(14)")
    assert cite("003_31fd11b8a43de1da.txt 三(五)", "en").endswith("No. 196) 3(5)")
    assert cite("002_677eeb57fa30ec89.txt Shanghai §二(二)", "en").endswith("§2(2)")
    assert cite("000_4a5943438d731778.txt §(十)", "en").endswith("§(10)")
    assert cite("000_4a5943438d731778.txt §(十)", "zh").endswith("§(十)")


# -- the plan workbook ----------------------------------------------------------------------------
