"""``/kenapa`` (``/why``): a member asks why they got a reminder, or why not — the same on
every channel, from the same rules the reminders follow."""

from __future__ import annotations

from datetime import datetime

from handlers.remind import queue_due_now
from tests.both.conftest import Town
from tests.both.driver import Said
from tests.conftest import WITA


def _text(answers: list[Said]) -> str:
    return "\n".join(s.text for s in answers)


async def test_before_any_reminder_it_says_when_the_next_one_goes(town: Town) -> None:
    ani = await town.member("Ani")
    answer = _text(await ani.say("/kenapa"))  # Monday 5 May, 09:00 WITA
    assert "belum pernah menerima pengingat" in answer
    assert "Pengingat berikutnya: 6 Mei, pukul 08.00 WITA" in answer
    assert "Tugas Bapak/Ibu yang masih terbuka: 2" in answer


async def test_after_a_reminder_it_says_when_and_why(town: Town) -> None:
    ani = await town.member("Ani")
    town.clock.set(datetime(2025, 5, 6, 8, 0, tzinfo=WITA))
    await queue_due_now(town.deps)
    await town.deliver()
    digest = ani.last_with("Mengapa pesan ini")
    assert ("Mengapa pesan ini: 2 tugas Bapak/Ibu belum dikirim; tenggat terdekat 2 hari lagi"
            in digest.text)
    town.clock.set(datetime(2025, 5, 6, 10, 0, tzinfo=WITA))
    answer = _text(await ani.say("/why"))
    assert "Pengingat terakhir untuk Bapak/Ibu: 6 Mei, pukul 08.00 WITA." in answer
    assert ("Alasannya waktu itu: 2 tugas Bapak/Ibu belum dikirim; tenggat terdekat 2 hari "
            "lagi.") in answer
    assert "pengingat hari ini sudah dikirim" in answer
    assert "Pengingat berikutnya: 7 Mei, pukul 08.00 WITA" in answer


async def test_on_a_weekend_it_says_why_not(town: Town) -> None:
    ani = await town.member("Ani")
    town.clock.set(datetime(2025, 5, 10, 9, 0, tzinfo=WITA))  # Saturday
    answer = _text(await ani.say("/kenapa"))
    assert "Sekarang tidak ada pengingat untuk Bapak/Ibu karena:" in answer
    assert "hari ini bukan hari kerja" in answer
    assert "Pengingat berikutnya: 13 Mei, pukul 08.00 WITA" in answer  # 12 May: Waisak


async def test_without_open_tasks_no_reminder_is_due(town: Town) -> None:
    dewi = await town.member("Dewi")
    answer = _text(await dewi.say("/kenapa"))
    assert "tidak ada tugas Bapak/Ibu yang masih terbuka" in answer
    assert "Tidak ada pengingat berikutnya yang terjadwal." in answer


async def test_a_stranger_is_told_to_register(town: Town) -> None:
    answers = await town.phone("Tamu").say("/kenapa")
    assert "belum terdaftar" in _text(answers)
