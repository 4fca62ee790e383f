"""What every govsim workbook sheet shares: header cells, column widths, cell values and the
page setup a finance officer prints with (A4 landscape, one page wide, header rows repeated on
every page, print titles, the sheet's name in the page header and page numbers in the footer).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import Any

import pandas as pd
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["BOLD", "cell_value", "fit_row_heights", "header", "page_setup", "widths"]

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)
THIN = Border(bottom=Side(style="thin", color="9BC2E6"))
WRAP = Alignment(wrap_text=True, vertical="center")


def cell_value(value: Any) -> Any:
    """Excel cannot store NaN: missing numbers become empty cells; numpy scalars plain."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value


def header(sheet: Worksheet, row: int, column: int, headers: Sequence[str]) -> None:
    """Bold, filled, wrapped header cells from ``(row, column)`` to the right."""
    for offset, text in enumerate(headers):
        cell = sheet.cell(row=row, column=column + offset, value=text)
        cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEADER_FILL, WRAP, THIN


def widths(sheet: Worksheet, values: Sequence[float]) -> None:
    """Column widths (characters) from column A on."""
    for index, width in enumerate(values, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def page_setup(sheet: Worksheet, header_rows: int = 1, *, title: str = "",
               landscape: bool = True) -> None:
    """Print setup: A4, landscape, fit to one page wide (as many pages tall as needed), the
    first ``header_rows`` rows repeated on every page, gridlines off, centred horizontally,
    narrow margins; ``title`` (else the sheet name) in the page header, page x of y in the
    footer."""
    setup = sheet.page_setup
    setup.orientation = "landscape" if landscape else "portrait"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if header_rows:
        sheet.print_title_rows = f"1:{header_rows}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddHeader.center.text = (title or sheet.title).replace("&", "&&")
    sheet.oddFooter.center.text = "&P / &N"


def _text_width(text: str) -> int:
    """Width of ``text`` in Excel character units (a Chinese character counts two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fit_row_heights(sheet: Worksheet, first_row: int = 2, line_height: float = 15.0) -> None:
    """Row heights that show every wrapped cell whole: Excel computes them on opening, but
    LibreOffice and printing take the stored height, so wrapped text would overlap."""
    for row in sheet.iter_rows(min_row=first_row):
        lines = 1
        for cell in row:
            if cell.value is None or not (cell.alignment and cell.alignment.wrap_text):
                continue
            width = sheet.column_dimensions[cell.column_letter].width or 10
            lines = max(lines, math.ceil(_text_width(str(cell.value)) / max(1.0, width - 1)))
        if lines > 1:
            sheet.row_dimensions[row[0].row].height = line_height * lines
