"""Object storage: a local folder, or any S3-compatible service through boto3."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

CHUNK_BYTES = 1024 * 1024
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.\-]{0,500}$")


class StorageError(Exception):
    """The storage service failed (retryable in jobs)."""


class ObjectNotFound(KeyError):
    pass


def check_key(key: str) -> str:
    # No "..", no absolute paths: keys become file paths in the local implementation.
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
    name: str

    async def put(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None: ...

    async def get(self, key: str) -> bytes: ...

    # Files too large to hold in memory (a lead list of hundreds of megabytes) go through these,
    # streamed from and to a file object.
    async def put_file(
        self, key: str, source: IO[bytes], *, content_type: str = "application/octet-stream"
    ) -> None: ...

    async def get_file(self, key: str, target: IO[bytes]) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...


class LocalStorage:
    name = "local"

    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None:
        await self._write(key, lambda out: out.write(data))

    async def put_file(
        self, key: str, source: IO[bytes], *, content_type: str = "application/octet-stream"
    ) -> None:
        await self._write(key, lambda out: shutil.copyfileobj(source, out, CHUNK_BYTES))

    async def _write(self, key: str, fill: Callable[[IO[bytes]], object]) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a reader never sees half a file.
            tmp = path.with_name(path.name + ".part")
            try:
                with tmp.open("wb") as out:
                    fill(out)
                tmp.replace(path)
            finally:
                tmp.unlink(missing_ok=True)

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc

    async def get_file(self, key: str, target: IO[bytes]) -> None:
        path = self._path(key)

        def copy() -> None:
            with path.open("rb") as source:
                shutil.copyfileobj(source, target, CHUNK_BYTES)

        try:
            await asyncio.to_thread(copy)
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).exists)


class S3Storage:
    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
    ):
        import boto3

        self.bucket = bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
        )

    async def _call(self, method: str, **kwargs: Any) -> Any:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return await asyncio.to_thread(getattr(self.client, method), Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise ObjectNotFound(kwargs.get("Key", "")) from exc
            raise StorageError(f"S3 {method} failed: {code or exc}") from exc
        except (BotoCoreError, Boto3Error) as exc:
            # Boto3Error: the managed transfers' own (a multipart upload that failed).
            raise StorageError(f"S3 {method} failed: {exc}") from exc

    async def put(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None:
        await self._call("put_object", Key=check_key(key), Body=data, ContentType=content_type)

    async def put_file(
        self, key: str, source: IO[bytes], *, content_type: str = "application/octet-stream"
    ) -> None:
        # boto3's managed transfer: a multipart upload past 8 MB, read from the file in parts.
        await self._call(
            "upload_fileobj", Fileobj=source, Key=check_key(key), ExtraArgs={"ContentType": content_type}
        )

    async def get(self, key: str) -> bytes:
        response = await self._call("get_object", Key=check_key(key))
        body: bytes = await asyncio.to_thread(response["Body"].read)
        return body

    async def get_file(self, key: str, target: IO[bytes]) -> None:
        await self._call("download_fileobj", Key=check_key(key), Fileobj=target)

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Key=check_key(key))

    async def exists(self, key: str) -> bool:
        try:
            await self._call("head_object", Key=check_key(key))
        except ObjectNotFound:
            return False
        return True
