"""The workbook the secretariat starts from: a members sheet and a tasks sheet whose headers
are those the importers accept, one example row each, drop-down lists (role, cluster, the
indicators as "number — name") and a short instructions sheet.

Texts come from the catalog (``secretariat.template.*``) in the requested language; the lists
come from the shipped KLA catalog, so the template needs no database. A filled template goes
back through the same importers as any file (``kla_bot.services.imports``).
"""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from kla_bot.domain import Role
from kla_bot.i18n import Translator
from kla_bot.services.catalog import CatalogIndicator, load_catalog
from kla_bot.sheet_cells import cell_value

MEMBER_FIELDS = ("name", "phone", "agency", "role", "clusters")
TASK_FIELDS = ("code", "indicator", "title", "points", "assignee", "due", "notes", "period")
ROLES = (Role.MEMBER, Role.COORDINATOR, Role.SECRETARIAT)
LAST_ROW = 2000  # drop-downs and text formats reach this far down
HELP_LINES = 9  # secretariat.template.help.line1 … line9
EXAMPLE_PHONE = "0812-0000-0099"
WIDTHS = {"name": 28, "phone": 18, "agency": 26, "role": 16, "clusters": 12, "code": 12,
          "indicator": 48, "title": 44, "points": 8, "assignee": 20, "due": 14, "notes": 30,
          "period": 24}


def indicator_label(indicator: CatalogIndicator, lang: str) -> str:
    """``17 — Tersedia Kawasan Tanpa Rokok…``: what the drop-down shows (the importer reads
    the number before the dash)."""
    return f"{indicator.number} — {indicator.name_en if lang == 'en' else indicator.name}"


def template_workbook(t: Translator, *, example_due: date) -> bytes:
    """The template as ``.xlsx`` bytes, in ``t``'s language."""
    catalog = load_catalog()
    book = Workbook()
    members = book.active
    assert members is not None
    members.title = t.plain("secretariat.template.sheet.members")
    tasks = book.create_sheet(t.plain("secretariat.template.sheet.tasks"))
    guide = book.create_sheet(t.plain("secretariat.template.sheet.help"))
    lists = book.create_sheet(t.plain("secretariat.template.sheet.lists"))

    roles = [t.plain(f"secretariat.template.role.{role.value}") for role in ROLES]
    clusters = ["*", *catalog.cluster_codes]
    indicators = [indicator_label(i, t.lang) for i in catalog.indicators]
    example = next(i for i in catalog.indicators if i.number == 17)
    _column(lists, 1, t.plain("secretariat.template.header.members.role"), roles)
    _column(lists, 2, t.plain("secretariat.template.header.members.clusters"), clusters)
    _column(lists, 3, t.plain("secretariat.template.header.tasks.indicator"), indicators)
    lists.sheet_state = "hidden"  # only the drop-downs read it
    ref = f"'{lists.title}'"

    _header(members, "members", MEMBER_FIELDS, t)
    members.append([cell_value(t.plain("secretariat.template.example.name")), EXAMPLE_PHONE,
                    cell_value(t.plain("secretariat.template.example.agency")), roles[0], "K3"])
    _text_column(members, MEMBER_FIELDS.index("phone") + 1)
    _choose(members, "members", MEMBER_FIELDS, "role",
            f"{ref}!$A$2:$A${len(roles) + 1}", t, strict=True)
    # Several clusters go in one cell ("K3, K4"): the list only suggests.
    _choose(members, "members", MEMBER_FIELDS, "clusters",
            f"{ref}!$B$2:$B${len(clusters) + 1}", t, strict=False)

    _header(tasks, "tasks", TASK_FIELDS, t)
    tasks.append(["K3-17a", indicator_label(example, t.lang),
                  cell_value(t.plain("secretariat.template.example.title")), 5, EXAMPLE_PHONE,
                  example_due, cell_value(t.plain("secretariat.template.example.notes")),
                  None])  # the period: empty means the year before the verification
    _text_column(tasks, TASK_FIELDS.index("assignee") + 1)
    tasks.cell(2, TASK_FIELDS.index("due") + 1).number_format = "yyyy-mm-dd"
    _choose(tasks, "tasks", TASK_FIELDS, "indicator",
            f"{ref}!$C$2:$C${len(indicators) + 1}", t, strict=False)

    guide.column_dimensions["A"].width = 110
    guide.append([t.plain("secretariat.template.help.title")])
    guide["A1"].font = Font(bold=True, size=13)
    for n in range(1, HELP_LINES + 1):
        guide.append([cell_value(t.plain(f"secretariat.template.help.line{n}"))])
        guide.cell(n + 1, 1).alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header(sheet: Worksheet, kind: str, fields: tuple[str, ...], t: Translator) -> None:
    sheet.append([t.plain(f"secretariat.template.header.{kind}.{f}") for f in fields])
    for index, field in enumerate(fields, start=1):
        sheet.cell(1, index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[field]
    sheet.freeze_panes = "A2"


def _text_column(sheet: Worksheet, column: int) -> None:
    """Phones typed as text: Excel would otherwise drop the leading 0 (0812… → 812…)."""
    for row in range(2, LAST_ROW + 1):
        sheet.cell(row, column).number_format = "@"


def _column(sheet: Worksheet, column: int, title: str, values: list[str]) -> None:
    sheet.cell(1, column, title).font = Font(bold=True)
    for row, value in enumerate(values, start=2):
        sheet.cell(row, column, cell_value(value))
    sheet.column_dimensions[get_column_letter(column)].width = 60 if column == 3 else 16


def _choose(sheet: Worksheet, kind: str, fields: tuple[str, ...], field: str, source: str,
            t: Translator, *, strict: bool) -> None:
    """A drop-down list on ``field``'s column, fed from the lists sheet."""
    letter = get_column_letter(fields.index(field) + 1)
    rule = DataValidation(type="list", formula1=f"={source}", allow_blank=True,
                          showErrorMessage=strict, showInputMessage=True)
    rule.promptTitle = t.plain(f"secretariat.template.header.{kind}.{field}")[:32]
    rule.prompt = t.plain(f"secretariat.template.prompt.{field}")[:255]
    if strict:
        rule.errorTitle = rule.promptTitle
        rule.error = rule.prompt
    sheet.add_data_validation(rule)
    rule.add(f"{letter}2:{letter}{LAST_ROW}")
