"""A coordinator's /status: the score is the regency's, every other number is of their
clusters — points, task counts, and who needs attention (overdue there, nobody else)."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.cli_data import run_status
from kla_bot.clock import ManualClock
from kla_bot.i18n import translator
from kla_bot.standin import BotApiStandin
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import AHMAD, SITI, YUSUF, pdf_bytes, put_evidence

ID = translator("id")


async def _clusters(settings: Any, clock: ManualClock, capsys: pytest.CaptureFixture[str],
                    monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    monkeypatch.setenv("KLA_BOT_NOW", clock.now().isoformat())
    capsys.readouterr()
    assert await run_status(argparse.Namespace(json=True), settings) == 0
    return {c["code"]: c for c in json.loads(capsys.readouterr().out)["clusters"]}


def _sum(clusters: list[dict[str, Any]], key: str) -> Any:
    return sum((Decimal(str(c[key])) for c in clusters), Decimal(0))


async def test_every_number_is_of_the_viewers_clusters(
        bot: KlaApplication, standin: BotApiStandin, settings: Any, clock: ManualClock,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cw = await chat_world(bot, standin)
    await put_evidence(cw.world, "K5-21a", YUSUF, pdf_bytes("uptd"), "uptd.pdf")
    clock.advance(timedelta(days=5))  # Saturday 10 May: K3-17a (Rina) is overdue, as K4-19a
    clusters = await _clusters(settings, clock, capsys, monkeypatch)
    for who, codes in ((AHMAD, ["K3"]), (YUSUF, ["K3", "K5"])):
        mine = [clusters[c] for c in codes]
        text = (await cw.say(who, "/status"))[0].plain
        assert f"Klaster Bapak/Ibu: {', '.join(codes)}" in text
        assert (f"Disetujui {ID.num(_sum(mine, 'approved_points'))} · 🟡 menunggu tinjauan "
                f"{ID.num(_sum(mine, 'submitted_points'))} · ⬜ terbuka "
                f"{ID.num(_sum(mine, 'open_points'))} poin") in text, text
        assert (f"Tugas: {_sum(mine, 'total')} · terbuka {_sum(mine, 'open')} · menunggu "
                f"tinjauan {_sum(mine, 'submitted')} · disetujui {_sum(mine, 'approved')} · "
                f"lewat tenggat {_sum(mine, 'overdue')}") in text, text
        attention = text.split("Perlu perhatian")[1]
        # Rina's K3-17a is overdue; Budi's overdue task is in K4, the coordinators' own
        # tasks are not late: none of them is anyone's concern here.
        assert "• Rina Marlina (Dinas Kesehatan): 1 lewat tenggat, 2 terbuka" in attention
        assert "Budi" not in attention and "Ahmad" not in attention and "Yusuf" not in attention
    everything = (await cw.say(SITI, "/status"))[0].plain
    assert "Klaster Bapak/Ibu" not in everything
    assert "• Budi Santoso (Dinas Pendidikan): 1 lewat tenggat, 1 terbuka" in everything
    assert "Rina Marlina" in everything
