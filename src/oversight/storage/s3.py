"""An S3-compatible bucket (boto3): AWS, SeaweedFS, MinIO, Backblaze, Wasabi, …

- `put` sends an object smaller than one part (`chunk_size_bytes`, at least 5 MiB) in one
  request with `Content-MD5`, so the server refuses a body that arrived damaged; anything
  larger is a multipart upload with `Content-MD5` on every part, completed only when every
  part is in. Then the ETag the server answered for this very request is compared with the
  MD5 (single part) or the MD5 of the parts' MD5s (`…-N`) — not a later `HEAD`, which could
  see a concurrent writer's object. An interrupted `put` aborts its multipart upload:
  nothing ever appears under the final name. An upload killed before it could abort leaves a
  pending multipart upload, invisible to listings, removed by `clean_partials`.
- Permissions: the upload key needs `s3:PutObject`, `s3:GetObject`, `s3:ListBucket`,
  `s3:ListBucketMultipartUploads` and `s3:AbortMultipartUpload` on the prefix; only the prune
  key needs `s3:DeleteObject` (a `put` never deletes, except an object whose checksum did not
  match after completion, which only happens when the server misbehaves).
- Objects live under the URL's prefix (`s3://bucket/prefix` → keys `prefix/<name>`); nothing
  outside it is listed, read or removed.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import unquote, urlsplit

import boto3
import botocore.exceptions
from botocore.config import Config

from oversight.config.storage import StorageTarget
from oversight.storage.base import (
    PARTIAL_GRACE,
    ChecksumMismatch,
    ObjectInfo,
    ObjectNotFound,
    Source,
    Storage,
    StorageAuthError,
    StorageError,
    StorageFull,
    StorageUnavailable,
    check_name,
    one_line,
    read_full,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIN_PART = 5 * 1024 * 1024  # S3's smallest part but the last
_AUTH = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "AllAccessDisabled",
    "AuthorizationHeaderMalformed",
    "403",
}
_FULL = {"QuotaExceeded", "XMinioStorageFull", "InsufficientStorage", "EntityTooLarge", "507"}
_TRANSIENT = {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "503", "500"}
_MISSING = {"NoSuchKey", "404", "NotFound"}


class S3Storage(Storage):
    """Objects are keys `<prefix>/<name>` in one bucket; one boto3 client per instance."""

    def __init__(self, target: StorageTarget) -> None:
        parts = urlsplit(target.url)
        self.bucket = parts.hostname or ""
        if not self.bucket:
            raise StorageError(f"storage {target.url!r}: an S3 URL needs a bucket (s3://bucket)")
        prefix = unquote(parts.path).strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self.display = f"s3://{self.bucket}/{self.prefix}" + (
            f" at {target.endpoint_url}" if target.endpoint_url else ""
        )
        self.part_size = max(target.chunk_size_bytes, MIN_PART)
        config = Config(
            s3={"addressing_style": "path" if target.endpoint_url else "auto"},
            retries={"max_attempts": target.retries + 1, "mode": "standard"},
            connect_timeout=target.timeout_seconds,
            read_timeout=target.timeout_seconds,
            # Content-MD5 is ours; the newer default CRC headers are not understood everywhere.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        secret = target.secret_access_key
        if (target.access_key_id is None) != (secret is None):
            raise StorageAuthError(
                f"storage {self.display}: set both access_key_id and secret_access_key, "
                "or neither (the environment's AWS credentials)"
            )
        self.client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=target.endpoint_url,
            region_name=target.region or "us-east-1",
            aws_access_key_id=target.access_key_id,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=config,
        )
        self._bucket_checked = False

    def close(self) -> None:
        self.client.close()

    def _key(self, name: str) -> str:
        return self.prefix + check_name(name)

    def _error(self, action: str, name: str, exc: Exception) -> StorageError:
        where = f"storage {self.display}"
        if isinstance(exc, StorageError):
            return exc
        if isinstance(exc, botocore.exceptions.ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code == "NoSuchBucket":
                return StorageError(f"{where}: the bucket {self.bucket} does not exist")
            if code in _MISSING:
                return ObjectNotFound(f"{where}: no object {name}")
            if code in _AUTH:
                return StorageAuthError(
                    f"{where}: access refused {action} {name} ({code}: key or permission)"
                )
            if code in _FULL:
                return StorageFull(f"{where}: no space left {action} {name} ({code})")
            if code == "BadDigest":
                return ChecksumMismatch(f"{where}: {name} arrived damaged (BadDigest)")
            if code in _TRANSIENT or code.startswith("5"):
                return StorageUnavailable(f"{where}: server error {action} {name} ({code})")
            message = one_line(f"{code} {error.get('Message', '')}")
            return StorageError(f"{where}: {action} {name} failed: {message}")
        if isinstance(exc, botocore.exceptions.NoCredentialsError):
            return StorageAuthError(f"{where}: no access_key_id / secret_access_key set")
        if isinstance(exc, botocore.exceptions.EndpointConnectionError):
            return StorageUnavailable(f"{where}: cannot connect to the endpoint")
        if isinstance(
            exc,
            botocore.exceptions.ConnectTimeoutError
            | botocore.exceptions.ReadTimeoutError
            | botocore.exceptions.ConnectionClosedError
            | botocore.exceptions.HTTPClientError
            | botocore.exceptions.ResponseStreamingError
            | ConnectionError
            | TimeoutError,
        ):
            return StorageUnavailable(f"{where}: connection failed {action} {name}")
        return StorageError(f"{where}: {action} {name} failed: {type(exc).__name__}")

    def _check_bucket(self) -> None:
        """Once per instance: the bucket exists and the key is accepted (one clear line)."""
        if self._bucket_checked:
            return
        try:
            self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        except Exception as exc:
            raise self._error("listing", "the bucket", exc) from exc
        self._bucket_checked = True

    # ------------------------------------------------------------------ put

    def put(self, name: str, stream: BinaryIO, *, size: int | None = None) -> ObjectInfo:
        key = self._key(name)
        self._check_bucket()
        sha256 = hashlib.sha256()
        source = Source(stream)
        first = read_full(source, self.part_size)
        sha256.update(first)
        try:
            if len(first) < self.part_size:
                _check_size(self, name, len(first), size)
                written, response = len(first), self._put_single(key, first)
                expected = hashlib.md5(first, usedforsecurity=False).hexdigest()
            else:
                written, response, expected = self._put_multipart(
                    key, name, first, source, sha256, size
                )
            # The answer to *this* request: a HEAD could already see another writer's object.
            etag = str(response["ETag"]).strip('"')
            if etag != expected:
                self._remove_damaged(key, etag)
                raise ChecksumMismatch(
                    f"storage {self.display}: {name} checksum after upload differs "
                    "(ETag); the object was removed"
                )
        except Exception as exc:
            if source.failed:
                raise
            raise self._error("writing", name, exc) from exc
        return ObjectInfo(
            name=name,
            size=written,
            modified=_response_time(response),
            sha256=sha256.hexdigest(),
            md5=expected if "-" not in expected else None,
        )

    def _put_single(self, key: str, data: bytes) -> Any:
        digest = hashlib.md5(data, usedforsecurity=False).digest()
        return self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentLength=len(data),
            ContentMD5=base64.b64encode(digest).decode(),
        )

    def _put_multipart(
        self,
        key: str,
        name: str,
        first: bytes,
        stream: Source,
        sha256: Any,
        size: int | None,
    ) -> tuple[int, Any, str]:
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        try:
            parts: list[dict[str, Any]] = []
            md5s: list[bytes] = []
            written = 0
            data = first
            while data:
                digest = hashlib.md5(data, usedforsecurity=False).digest()
                response = self.client.upload_part(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=len(parts) + 1,
                    Body=data,
                    ContentLength=len(data),
                    ContentMD5=base64.b64encode(digest).decode(),
                )
                if response["ETag"].strip('"') != digest.hex():
                    raise ChecksumMismatch(
                        f"storage {self.display}: part {len(parts) + 1} of {name} stored "
                        "with another checksum; the upload was aborted"
                    )
                parts.append({"ETag": response["ETag"], "PartNumber": len(parts) + 1})
                md5s.append(digest)
                written += len(data)
                data = read_full(stream, self.part_size)
                sha256.update(data)
            _check_size(self, name, written, size)
            response_complete = self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise
        combined = hashlib.md5(b"".join(md5s), usedforsecurity=False).hexdigest()
        return written, response_complete, f"{combined}-{len(parts)}"

    def _remove_damaged(self, key: str, etag: str) -> None:
        """Remove the damaged object if it is still the one this upload made (not another
        writer's); best effort: an upload credential without delete rights leaves it to the
        pruner, and listings of a backup set ignore objects that do not verify."""
        with contextlib.suppress(Exception):
            head = self.client.head_object(Bucket=self.bucket, Key=key)
            if str(head.get("ETag", "")).strip('"') == etag:
                self.client.delete_object(Bucket=self.bucket, Key=key)

    # ------------------------------------------------------------------ reading

    @contextlib.contextmanager
    def get(self, name: str) -> Iterator[BinaryIO]:
        key = self._key(name)
        self._check_bucket()
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise self._error("reading", name, exc) from exc
        body = response["Body"]
        try:
            yield io.BufferedReader(_BodyReader(body, self, name))
        finally:
            body.close()

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        self._check_bucket()
        found: list[ObjectInfo] = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(self.prefix) :]
                    if not _valid(name):
                        continue
                    etag = item.get("ETag", "").strip('"')
                    found.append(
                        ObjectInfo(
                            name=name,
                            size=item["Size"],
                            modified=item["LastModified"].astimezone(UTC),
                            md5=etag if etag and "-" not in etag else None,
                        )
                    )
        except Exception as exc:
            raise self._error("listing", prefix or "/", exc) from exc
        yield from sorted(found, key=lambda info: info.name)

    def stat(self, name: str) -> ObjectInfo:
        key = self._key(name)
        self._check_bucket()
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise self._error("reading", name, exc) from exc
        etag = head.get("ETag", "").strip('"')
        return ObjectInfo(
            name=name,
            size=head["ContentLength"],
            modified=head["LastModified"].astimezone(UTC),
            md5=etag if etag and "-" not in etag else None,
        )

    def delete(self, name: str) -> None:
        key = self._key(name)
        self._check_bucket()
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            error = self._error("deleting", name, exc)
            if isinstance(error, ObjectNotFound):
                return
            raise error from exc

    def clean_partials(self, older_than: timedelta = PARTIAL_GRACE) -> int:
        cutoff = datetime.now(UTC) - older_than
        removed = 0
        try:
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    if upload["Initiated"].astimezone(UTC) <= cutoff:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        removed += 1
        except Exception as exc:
            raise self._error("cleaning", "pending multipart uploads", exc) from exc
        return removed


class _BodyReader(io.RawIOBase):
    """A response body as a raw stream whose network failures are `StorageError`s."""

    def __init__(self, body: Any, storage: S3Storage, name: str) -> None:
        self._body = body
        self._storage = storage
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data: bytes = self._body.read(len(buffer))
        except Exception as exc:
            raise self._storage._error("reading", self._name, exc) from exc
        buffer[: len(data)] = data
        return len(data)


def _response_time(response: Any) -> datetime:
    """When the server stored the object: the `Date` of its answer (else now)."""
    header = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(header).astimezone(UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def _check_size(storage: S3Storage, name: str, written: int, size: int | None) -> None:
    if size is not None and written != size:
        raise StorageError(f"storage {storage.display}: {name} is {written} bytes, expected {size}")


def _valid(name: str) -> bool:
    try:
        check_name(name)
    except StorageError:
        return False
    return True
