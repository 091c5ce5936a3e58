"""The WhatsApp webhook: only signed notifications get in, each message id once, parsed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest

from kla_bot.channels.whatsapp.webhook import (
    MAX_BODY,
    Inbound,
    MediaRef,
    StatusNote,
    create_webhook_app,
)
from kla_bot.standin_whatsapp import (
    CloudApiStandin,
    LocalServer,
    Notification,
    Person,
    WebhookPoster,
    WhatsAppUser,
    sign,
    status,
)
from tests.whatsapp.conftest import SITI

VERIFY = "kla-verify"


class Received:
    def __init__(self) -> None:
        self.messages: list[Inbound] = []
        self.statuses: list[StatusNote] = []
        self.calls = 0

    async def __call__(self, messages: Sequence[Inbound], statuses: Sequence[StatusNote]) -> None:
        self.calls += 1
        self.messages.extend(messages)
        self.statuses.extend(statuses)


@pytest.fixture
def received() -> Received:
    return Received()


@pytest.fixture
async def poster(cloud: CloudApiStandin, received: Received) -> AsyncIterator[WebhookPoster]:
    app = create_webhook_app(
        app_secret=cloud.app_secret, verify_token=VERIFY, on_inputs=received
    )
    webhook = WebhookPoster(cloud, app)
    yield webhook
    await webhook.aclose()


async def test_unsigned_forged_or_wrongly_signed_notifications_are_refused(
    cloud: CloudApiStandin, siti: WhatsAppUser, poster: WebhookPoster, received: Received
) -> None:
    note = Person(cloud, siti).text("halo")
    assert (await poster.post(note, signature=None)).status_code == 403
    assert (await poster.post(note, signature="sha256=" + "0" * 64)).status_code == 403
    assert (await poster.post(note, signature=sign("another-secret", note.body))).status_code == 403
    assert (await poster.post(note, signature=sign(cloud.app_secret, b"{}"))).status_code == 403
    assert (await poster.post(note, signature="md5=abc")).status_code == 403
    assert received.calls == 0
    # The refusals did not use up the message id: the genuine delivery is still taken in.
    assert (await poster.post(note)).status_code == 200
    assert [m.text for m in received.messages] == ["halo"]


async def test_the_subscription_challenge(poster: WebhookPoster) -> None:
    right = await poster.challenge("subscribe", VERIFY, "1158201444")
    assert right.status_code == 200 and right.text == "1158201444"
    assert (await poster.challenge("subscribe", "guess", "1158201444")).status_code == 403
    assert (await poster.challenge("unsubscribe", VERIFY, "1158201444")).status_code == 403


async def test_a_redelivered_message_is_handled_once(
    cloud: CloudApiStandin, siti: WhatsAppUser, poster: WebhookPoster, received: Received
) -> None:
    note = Person(cloud, siti).text("K3-17a")
    for _ in range(3):
        assert (await poster.post(note)).status_code == 200
    assert received.calls == 1
    assert [m.message_id for m in received.messages] == [note.message_id]


async def test_every_kind_of_input_is_parsed(
    cloud: CloudApiStandin, siti: WhatsAppUser, poster: WebhookPoster, received: Received
) -> None:
    person = Person(cloud, siti)
    reminder = "wamid.REMINDER"
    notes = [
        person.text("halo"),
        person.press("tk:send:1", "Kirim K3-17a", reply_to=reminder),
        person.choose("task:7", "K3-17a", "Perda KTR", reply_to=reminder),
        person.document(b"%PDF-1.4", "perda.pdf", caption="k3-17a", reply_to=reminder),
        person.image(b"\xff\xd8\xff", caption="papan"),
        person.press_template_button("digest:open", "Lihat tugas", reply_to=reminder),
    ]
    for note in notes:
        assert (await poster.post(note)).status_code == 200
    text, button, row, document, image, template_button = received.messages
    sent_at = datetime(2025, 5, 5, 1, 0, tzinfo=UTC)
    assert (text.wa_id, text.name, text.type, text.text, text.sent_at) == (
        SITI, "Siti Rahmah", "text", "halo", sent_at
    )
    assert (button.choice_id, button.choice_title, button.reply_to) == (
        "tk:send:1", "Kirim K3-17a", reminder
    )
    assert (row.choice_id, row.choice_title, row.reply_to) == ("task:7", "K3-17a", reminder)
    assert document.media is not None and document.reply_to == reminder
    stored = cloud.media[document.media.media_id]
    assert document.media == MediaRef(
        stored.media_id, "application/pdf", "perda.pdf", "k3-17a", stored.sha256
    )
    assert image.media is not None and (image.media.caption, image.media.mime_type) == (
        "papan", "image/jpeg"
    )
    assert (template_button.type, template_button.choice_id, template_button.reply_to) == (
        "button", "digest:open", reminder
    )


async def test_a_sender_without_a_phone_number_and_status_callbacks(
    cloud: CloudApiStandin, poster: WebhookPoster, received: Received
) -> None:
    hidden = cloud.add_user("Rina", user_id="ID.1234567890123456")
    await poster.post(Person(cloud, hidden).text("halo"))
    (message,) = received.messages
    assert (message.wa_id, message.user_id) == (None, "ID.1234567890123456")
    await poster.post(status(cloud, "wamid.X", SITI, "failed", error_code=131047))
    assert received.statuses == [
        StatusNote("wamid.X", "failed", SITI, datetime(2025, 5, 5, 1, 0, tzinfo=UTC), (131047,))
    ]


async def test_signed_nonsense_changes_nothing(
    cloud: CloudApiStandin, poster: WebhookPoster, received: Received
) -> None:
    assert (await poster.post(Notification(b"not json"))).status_code == 400
    assert (await poster.post(Notification(b" " * (MAX_BODY + 1)))).status_code == 413
    odd = Notification(b'{"object": "page", "entry": [{"changes": [1, {"value": null}]}]}')
    assert (await poster.post(odd)).status_code == 200
    assert received.calls == 0


async def test_the_answer_does_not_wait_for_the_handling(
    cloud: CloudApiStandin, siti: WhatsAppUser
) -> None:
    release, handled = asyncio.Event(), asyncio.Event()

    async def slow(messages: Sequence[Inbound], statuses: Sequence[StatusNote]) -> None:
        await release.wait()
        handled.set()

    app = create_webhook_app(app_secret=cloud.app_secret, verify_token=VERIFY, on_inputs=slow)
    async with LocalServer(app) as server:
        webhook = WebhookPoster(cloud, f"{server.url}/whatsapp")
        assert (await webhook.post(Person(cloud, siti).text("halo"))).status_code == 200
        assert not handled.is_set()
        release.set()
        await handled.wait()
        await webhook.aclose()


async def test_notifications_are_posted_to_a_url_over_http(
    cloud: CloudApiStandin, siti: WhatsAppUser, received: Received
) -> None:
    app = create_webhook_app(app_secret=cloud.app_secret, verify_token=VERIFY, on_inputs=received)
    async with LocalServer(app) as server:
        webhook = WebhookPoster(cloud, f"{server.url}/whatsapp")
        note = Person(cloud, siti).text("lewat HTTP")
        assert (await webhook.post(note, signature=None)).status_code == 403
        assert (await webhook.post(note)).status_code == 200
        assert (await webhook.post(note)).status_code == 200
        await webhook.aclose()
    assert [m.text for m in received.messages] == ["lewat HTTP"]
