"""Evidence kept in an S3-compatible bucket (moto's server on 127.0.0.1): a member's upload
lands in the bucket — not in the local folder — and the reviewer's card still carries it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kla_bot.config import Settings
from kla_bot.storage_s3 import S3Store
from tests.both.conftest import Town
from tests.members.conftest import pdf_bytes
from tests.s3 import object_keys, s3_client, s3_endpoint, s3_storage  # noqa: F401

PDF = "application/pdf"


def local_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.fixture
def settings(settings: Settings, s3_storage: dict[str, str]) -> Settings:  # noqa: F811
    """The usual test settings, with the evidence in the test's bucket."""
    return settings.replace(storage=s3_storage)


async def test_an_upload_is_kept_in_the_bucket_and_the_reviewer_gets_it(
        town: Town, s3_storage: dict[str, str]) -> None:  # noqa: F811
    assert isinstance(town.deps.store, S3Store)
    citra = await town.member("Citra")
    ani = await town.member("Ani")
    data = pdf_bytes(text="perbup ktr")
    receipt = await ani.send_file(data, name="ktr.pdf", mime=PDF, caption="K3-17a")
    assert "K3-17a" in receipt[-1].text
    [key] = object_keys(s3_storage)  # recorded only after the upload: the row names it
    body = s3_client(s3_storage["endpoint_url"]).get_object(
        Bucket=s3_storage["bucket"], Key=key)["Body"].read()
    assert body == data
    assert local_files(Path(s3_storage["path"])) == []  # nothing kept locally
    await town.deliver()
    card = citra.last_with("K3-17a")
    assert any(s.file_name == "ktr.pdf" for s in citra.history()), card
    answer = await citra.press(card, "Setujui")
    assert "disetujui" in answer[-1].text
