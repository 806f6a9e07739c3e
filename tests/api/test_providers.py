"""Providers: local and S3-compatible storage (against moto's S3 server on 127.0.0.1), PDF through
WeasyPrint read back with pdftotext, and the operators' provider-status page."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from reos.providers import registry
from reos.providers.pdf import PdfRenderer
from reos.providers.storage import LocalStorage, ObjectNotFound, S3Storage, Storage
from reos.settings import ConfigurationError, Settings
from tests.fixtures.api import Member


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _s3(endpoint: str, bucket: str = "reos-test") -> S3Storage:
    storage = S3Storage(
        bucket=bucket,
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id="test",
        secret_access_key="test",
    )
    storage.client.create_bucket(Bucket=bucket)
    return storage


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path)
    return _s3(request.getfixturevalue("s3_endpoint"))


async def test_storage_round_trip(storage: Storage) -> None:
    key = "teams/abc/memos/deal-1.pdf"
    assert not await storage.exists(key)
    await storage.put(key, b"%PDF-1.7 hello", content_type="application/pdf")
    assert await storage.exists(key)
    assert await storage.get(key) == b"%PDF-1.7 hello"
    await storage.put(key, b"second version")
    assert await storage.get(key) == b"second version"
    await storage.delete(key)
    assert not await storage.exists(key)
    with pytest.raises(ObjectNotFound):
        await storage.get(key)


async def test_storage_streams_a_file_larger_than_one_s3_part(storage: Storage, tmp_path: Path) -> None:
    """put_file / get_file move a file through a file object (boto3 splits this one into
    multipart parts of 8 MB); the bytes come back the same."""
    data = os.urandom(3 * 1024 * 1024) * 7  # 21 MiB
    source = tmp_path / "big.csv"
    source.write_bytes(data)
    key = "imports/team/draft/source.csv"
    with source.open("rb") as handle:
        await storage.put_file(key, handle, content_type="text/csv")
    copy = tmp_path / "copy.csv"
    with copy.open("wb") as out:
        await storage.get_file(key, out)
    assert copy.stat().st_size == len(data) and copy.read_bytes() == data
    assert await storage.get(key) == data
    with pytest.raises(ObjectNotFound), (tmp_path / "missing").open("wb") as out:
        await storage.get_file("imports/team/none/source.csv", out)


class _BreaksAfterOneBlock(io.RawIOBase):
    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.reads += 1
        if self.reads > 1:
            raise OSError("the upload's connection dropped")
        buffer[:4] = b"abcd"
        return 4


async def test_a_local_file_that_fails_half_way_leaves_nothing(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    key = "imports/team/draft/source.csv"
    await storage.put(key, b"the earlier file")
    with pytest.raises(OSError, match="dropped"):
        await storage.put_file(key, io.BufferedReader(_BreaksAfterOneBlock()))
    assert await storage.get(key) == b"the earlier file"
    assert sorted(p.name for p in (tmp_path / "imports/team/draft").iterdir()) == ["source.csv"]


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs/path", "a/../../b", "", "spaces are bad"])
async def test_storage_refuses_unsafe_keys(storage: Storage, key: str) -> None:
    with pytest.raises(ValueError):
        await storage.put(key, b"x")


def test_s3_needs_its_credentials_in_production() -> None:
    base = {
        "app_mode": "production",
        "secret_key": "x" * 40,
        "database_url": "postgresql://a@h/d",
        "database_owner_url": "postgresql://o@h/d",
        "public_url": "https://reos.example.com",
        "provider_storage": "s3",
        "s3_bucket": "files",
        "s3_access_key_id": "AKIA",
    }
    with pytest.raises(ConfigurationError, match="S3_SECRET_ACCESS_KEY"):
        Settings(**base)  # type: ignore[arg-type]
    assert Settings(**base, s3_secret_access_key="real").storage_provider == "s3"  # type: ignore[arg-type]


def test_s3_is_chosen_by_the_registry(s3_endpoint: str) -> None:
    settings = Settings(
        provider_storage="s3",
        s3_bucket="chosen",
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id="test",
        s3_secret_access_key="test",
    )
    providers = registry.build(settings)
    assert providers.implementations() == {"email": "mock", "storage": "s3", "pdf": "weasyprint"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
async def test_pdf_renders_html_that_reads_back() -> None:
    html = "<html><body><h1>Investor memo</h1><p>4417 Quillfeather Ln — ARV $238,000</p></body></html>"
    pdf = await PdfRenderer().render(html)
    assert pdf.startswith(b"%PDF")
    done = await asyncio.to_thread(
        subprocess.run, ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    )
    text = done.stdout.decode()
    assert "Investor memo" in text and "Quillfeather" in text


async def test_provider_status_for_operators(
    client: httpx.AsyncClient, admin: Member, owner_conn: psycopg.Connection
) -> None:
    assert (await client.get("/api/v1/ops/providers", headers=admin.headers)).status_code == 403
    owner_conn.execute("update accounts set is_operator = true where email = %s", (admin.email,))
    # A delivered email records the provider's last success.
    await client.post("/api/v1/auth/password-reset", json={"email": admin.email})
    from tests.fixtures.jobs import run_jobs

    await run_jobs()
    rows = {r["name"]: r for r in (await client.get("/api/v1/ops/providers", headers=admin.headers)).json()}
    assert set(rows) == {"email", "storage", "pdf"}
    assert rows["email"]["implementation"] == "mock" and rows["email"]["last_success_at"] is not None
