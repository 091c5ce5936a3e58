"""Sending spreadsheets to the bot as the Banjar task force, and reading its previews."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
from sqlalchemy import select

from kla_bot.models import Member, PendingImport
from kla_bot.standin import SentMessage
from tests.coordinators.chat import ChatWorld
from tests.import_helpers import FIXTURES, snapshot

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(*sheets: tuple[str, list[list[Any]]]) -> bytes:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fixture_rows(name: str) -> list[list[str]]:
    """A fixture file's rows (``tugas.csv`` uses semicolons)."""
    text = (FIXTURES / name).read_text("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";" if name == "tugas.csv" else ","))


async def send_file(cw: ChatWorld, who: int, data: bytes, name: str) -> list[SentMessage]:
    """``who`` sends a spreadsheet privately; the bot's answers to them."""
    mark = cw.state.mark()
    mime = XLSX if name.endswith(".xlsx") else "text/csv"
    await cw.do(cw.chats[who].send_document(data, file_name=name, mime_type=mime))
    return cw.chats[who].since(mark)


async def data_snapshot(cw: ChatWorld) -> dict[str, Any]:
    """Members, clusters, tasks and evidence (the audit log is compared on its own)."""
    snap = await snapshot(cw.world.deps)
    snap.pop("audit")
    return snap


async def member_named(cw: ChatWorld, name: str) -> Member | None:
    async with cw.world.deps.db.transaction() as s:
        return await s.scalar(select(Member).where(Member.name == name))


async def pending(cw: ChatWorld) -> list[PendingImport]:
    async with cw.world.deps.db.transaction() as s:
        return list(await s.scalars(select(PendingImport).order_by(PendingImport.id)))
