"""A local S3-compatible server for the storage tests: moto's server mode on 127.0.0.1 (no
network), one per test session, a fresh bucket per test. Import the fixtures into a module
(``from tests.s3 import s3_endpoint, s3_storage  # noqa: F401``) to use them."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "ap-southeast-3"  # Jakarta


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@functools.cache
def s3_client(endpoint: str) -> Any:
    """The tests' own client (made once: a boto3 client takes ~0.4 s to build)."""
    return boto3.session.Session(aws_access_key_id="kla-test-key",
                                 aws_secret_access_key="kla-test-secret").client(
        "s3", endpoint_url=endpoint, region_name=REGION)


@pytest.fixture
def s3_storage(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch,
               tmp_path: Path) -> dict[str, str]:
    """``[storage]`` settings for a new, empty bucket; the credentials in the environment,
    as a deployment gives them (and no profile file nor instance metadata is looked at)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "kla-test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "kla-test-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bucket = f"kla-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return {"backend": "s3", "bucket": bucket, "endpoint_url": s3_endpoint, "region": REGION,
            "path": str(tmp_path / "spool")}


def object_keys(storage: dict[str, str]) -> list[str]:
    """The keys in the test's bucket."""
    listed = s3_client(storage["endpoint_url"]).list_objects_v2(Bucket=storage["bucket"])
    return sorted(o["Key"] for o in listed.get("Contents", []))
