"""The evidence store in an S3-compatible bucket (AWS S3, MinIO, Ceph, Wasabi …), via boto3.

Workers on several machines then share one set of files. Files still arrive in the local
temp folder first (hashed, flushed and checked there); the verified temp file is then
streamed to the bucket in parts by boto3's transfer manager — never whole in memory — under
its content-addressed key, which is written once: a key already there is not uploaded
again. The credentials come from the environment (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, or any other source of boto3's standard chain), never from
config.toml, and are never logged.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from kla_bot.config import StorageSettings
from kla_bot.storage import EvidenceStore, Sink, checked_key

# 8 MiB parts, at most 4 at once: an upload holds at most ~32 MiB, whatever the file's size.
TRANSFER = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=8 << 20,
                          max_concurrency=4, use_threads=True)
MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Store(EvidenceStore):
    """Evidence as objects ``<sha[:2]>/<sha>`` in one bucket; temp files in ``spool``."""

    def __init__(self, client: Any, bucket: str, spool: Path) -> None:
        super().__init__(spool)
        self.client = client  # boto3 clients are thread-safe; the store's work runs in threads
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> S3Store:
        session = boto3.session.Session()  # credentials: the environment, boto3's chain
        client = session.client(
            "s3", endpoint_url=settings.endpoint_url or None,
            region_name=settings.region or None,
            config=Config(retries={"max_attempts": 5, "mode": "standard"},
                          connect_timeout=10, read_timeout=60))
        return cls(client, settings.bucket, Path(settings.path) / "tmp")

    def _keep(self, temp: Path, key: str, mime: str) -> bool:
        try:
            if self.exists(key):  # content-addressed: the same bytes are there already
                return True
            self.client.upload_file(str(temp), self.bucket, key, Config=TRANSFER,
                                    ExtraArgs={"ContentType": mime})
            return False
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=checked_key(key))
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True

    def copy_to(self, key: str, out: Sink) -> None:
        key = checked_key(key)
        try:
            self.client.download_fileobj(self.bucket, key, out, Config=TRANSFER)
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(f"s3://{self.bucket}/{key}") from exc
            raise

    def discard(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=checked_key(key))


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in MISSING
