#!/usr/bin/env python3
"""A small S3 client on the standard library, for the checkpoint tools when checkpoints live in a bucket.

    python3 objectstore.py --endpoint http://s3:8333 ensure-bucket s3://flink-checkpoints [--create] [--wait-seconds N]
    python3 objectstore.py --endpoint http://s3:8333 head s3://flink-checkpoints/checkpoints/<job>/chk-N/_metadata

What the tools need and nothing more: list (ListObjectsV2, paginated, never by "folders": some servers list a
deleted checkpoint's prefix for minutes), head, a ranged get, put, batch delete (DeleteObjects), create a bucket.
Requests are signed with AWS Signature V4, path-style (endpoint/bucket/key) or virtual-hosted (bucket.endpoint/key).

Credentials come from an AWS credentials file (`[default]` aws_access_key_id / aws_secret_access_key), by default
the flink user's ~/.aws/credentials, where the stack mounts it read-only and where the S3 plugin's AWS SDK finds it
too; never from arguments or the environment (Flink logs the Python driver's environment, the key id unmasked).
No credential is ever printed: errors name the request, never the key.

Standard library only: it runs in the Flink image (checkpoints.py, submit.py, the stack's bucket step).
"""

from __future__ import annotations

import argparse
import base64
import configparser
import datetime
import hashlib
import hmac
import http.client
import os
import re
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
NAMESPACE = "{http://s3.amazonaws.com/doc/2006-03-01/}"
DEFAULT_CREDENTIALS_FILE = os.path.join(os.path.expanduser("~"), ".aws", "credentials")
# AWS's regional endpoints name their region (s3.eu-west-1.amazonaws.com); other stores accept any region.
AWS_REGION_HOST = re.compile(r"^s3[.-]([a-z0-9-]+)\.amazonaws\.com$")
DEFAULT_REGION = "us-east-1"
DELETE_BATCH = 1000
# How long a request is made again while the store is away: the stack's own server (weed mini) took about 50 s to
# answer again after a restart on the kind cluster.
RETRY_SECONDS = 90.0
RETRY_PAUSE_SECONDS = 2.0


class ObjectStoreError(Exception):
    """A request failed, or the store cannot be reached or used; the message names the request, never a credential."""

    def __init__(self, message: str, status: int = 0, code: str = ""):
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str

    def __repr__(self) -> str:  # never shown, even in a traceback's locals
        return "Credentials(<hidden>)"


def read_credentials(path: str = DEFAULT_CREDENTIALS_FILE, profile: str = "default") -> Credentials:
    """The access key id and secret of `profile` in an AWS credentials file."""
    parser = configparser.ConfigParser()
    try:
        with open(path, encoding="utf-8") as stream:
            parser.read_file(stream)
    except OSError as error:
        raise ObjectStoreError(
            f"cannot read the S3 credentials file {path} ({error.strerror}); the stack mounts it into the Flink "
            "containers with checkpointStorage s3"
        ) from None
    section = parser[profile] if parser.has_section(profile) else None
    access_key = section.get("aws_access_key_id", "").strip() if section else ""
    secret_key = section.get("aws_secret_access_key", "").strip() if section else ""
    if not access_key or not secret_key:
        raise ObjectStoreError(f"{path} has no [{profile}] with aws_access_key_id and aws_secret_access_key")
    return Credentials(access_key, secret_key)


def split_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/some/key -> (bucket, some/key)."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ObjectStoreError(f"{uri!r} is not an s3://<bucket>/<key> URI")
    return parsed.netloc, parsed.path.lstrip("/")


def region_of(endpoint: str) -> str:
    """The signing region: the one an AWS endpoint names, else us-east-1 (what S3-compatible servers accept)."""
    match = AWS_REGION_HOST.match(urllib.parse.urlparse(endpoint).hostname or "")
    return match.group(1) if match else DEFAULT_REGION


def _quote(text: str, safe: str = "-_.~") -> str:
    return urllib.parse.quote(text, safe=safe)


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    # Seconds since the epoch.
    modified: float


def _epoch(timestamp: str) -> float:
    """ListObjectsV2's LastModified (ISO 8601) or a Last-Modified header (RFC 7231) as seconds since the epoch."""
    try:
        return datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(timestamp).timestamp()


class ObjectStore:
    """One S3 endpoint with one set of credentials."""

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials,
        path_style: bool = True,
        timeout: float = 30.0,
        clock=lambda: datetime.datetime.now(datetime.timezone.utc),
        retry_seconds: float = RETRY_SECONDS,
        sleep=time.sleep,
        monotonic=time.monotonic,
    ):
        url = urllib.parse.urlparse(endpoint)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ObjectStoreError(f"S3 endpoint {endpoint!r} must be http(s)://host[:port]")
        self.endpoint = endpoint
        self.https, self.netloc = url.scheme == "https", url.netloc
        self.credentials, self.path_style, self.timeout = credentials, path_style, timeout
        self.region = region_of(endpoint)
        self.clock = clock
        self.retry_seconds, self.sleep, self.monotonic = retry_seconds, sleep, monotonic

    def _signed_headers(
        self, method: str, host: str, path: str, query: dict[str, str], headers: dict[str, str], payload_hash: str
    ) -> dict[str, str]:
        now = self.clock()
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        signed = {
            **{name.lower(): value.strip() for name, value in headers.items()},
            "host": host,
            "x-amz-date": amz_date,
            "x-amz-content-sha256": payload_hash,
        }
        names = sorted(signed)
        canonical = "\n".join(
            [
                method,
                path,
                "&".join(f"{_quote(k)}={_quote(v)}" for k, v in sorted(query.items())),
                "".join(f"{name}:{signed[name]}\n" for name in names),
                ";".join(names),
                payload_hash,
            ]
        )
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("AWS4" + self.credentials.secret_key).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        signed["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.credentials.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )
        return signed

    def request(
        self,
        method: str,
        bucket: str,
        key: str = "",
        query: dict[str, str] | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> tuple[http.client.HTTPResponse, bytes]:
        """One request, made again while the store is away (no connection, no answer in time, a 5xx answer) for up
        to retry_seconds: a store restarting takes tens of seconds, and every request here can be repeated (S3's PUT
        and DELETE of a key are idempotent). Each retry is said on stderr; a 4xx answer is final."""
        deadline = self.monotonic() + self.retry_seconds
        while True:
            try:
                return self._request_once(method, bucket, key, query, body, headers)
            except ObjectStoreError as error:
                transient = error.status == 0 or error.status >= 500
                left = deadline - self.monotonic()
                if not transient or left <= 0:
                    raise
                print(f"objectstore: {error}; retrying for up to {left:.0f} s more", file=sys.stderr)
                self.sleep(min(RETRY_PAUSE_SECONDS, left))

    def _request_once(
        self,
        method: str,
        bucket: str,
        key: str,
        query: dict[str, str] | None,
        body: bytes,
        headers: dict[str, str] | None,
    ) -> tuple[http.client.HTTPResponse, bytes]:
        query = query or {}
        host = self.netloc if self.path_style else f"{bucket}.{self.netloc}"
        path = "/" + _quote(f"{bucket}/{key}" if self.path_style else key, safe="-_.~/")
        payload_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        signed = self._signed_headers(method, host, path, query, headers or {}, payload_hash)
        target = path + ("?" + "&".join(f"{_quote(k)}={_quote(v)}" for k, v in sorted(query.items())) if query else "")
        what = f"{method} s3://{bucket}/{key} at {self.endpoint}"
        connection_class = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        connection = connection_class(host, timeout=self.timeout)
        try:
            connection.request(method, target, body=body or None, headers=signed)
            response = connection.getresponse()
            data = response.read()
        except OSError as error:
            raise ObjectStoreError(f"{what}: {error}") from None
        finally:
            connection.close()
        if response.status not in (200, 204, 206):
            code, message = "", data[:200].decode(errors="replace").strip()
            if data.startswith(b"<"):
                try:
                    root = ElementTree.fromstring(data)
                    code, message = root.findtext("Code") or "", root.findtext("Message") or ""
                except ElementTree.ParseError:
                    pass
            raise ObjectStoreError(f"{what}: HTTP {response.status} {code} {message}".rstrip(), response.status, code)
        return response, data

    def list(self, bucket: str, prefix: str = "", page_size: int = 1000) -> Iterator[StoredObject]:
        """Every object under `prefix`, page after page (no delimiter: objects, never "folders")."""
        token = None
        while True:
            query = {"list-type": "2", "prefix": prefix, "max-keys": str(page_size)}
            if token:
                query["continuation-token"] = token
            root = ElementTree.fromstring(self.request("GET", bucket, query=query)[1])
            for item in root.iter(NAMESPACE + "Contents"):
                yield StoredObject(
                    key=item.findtext(NAMESPACE + "Key") or "",
                    size=int(item.findtext(NAMESPACE + "Size") or 0),
                    modified=_epoch(item.findtext(NAMESPACE + "LastModified") or "1970-01-01T00:00:00Z"),
                )
            if root.findtext(NAMESPACE + "IsTruncated") != "true":
                return
            token = root.findtext(NAMESPACE + "NextContinuationToken")

    def head(self, bucket: str, key: str) -> StoredObject | None:
        try:
            response, _ = self.request("HEAD", bucket, key)
        except ObjectStoreError as error:
            if error.status == 404:
                return None
            raise
        return StoredObject(
            key, int(response.getheader("Content-Length") or 0), _epoch(response.getheader("Last-Modified") or "")
        )

    def read(self, bucket: str, key: str, length: int | None = None) -> bytes:
        """The object, or its first `length` bytes."""
        headers = {"Range": f"bytes=0-{length - 1}"} if length else {}
        return self.request("GET", bucket, key, headers=headers)[1]

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self.request("PUT", bucket, key, body=body)

    def delete(self, bucket: str, keys: Sequence[str]) -> list[str]:
        """Deletes the keys (DeleteObjects, 1000 a request); returns those the store reported an error for."""
        failed: list[str] = []
        for start in range(0, len(keys), DELETE_BATCH):
            objects = "".join(f"<Object><Key>{_xml_text(k)}</Key></Object>" for k in keys[start : start + DELETE_BATCH])
            body = f"<Delete><Quiet>true</Quiet>{objects}</Delete>".encode()
            checksum = base64.b64encode(hashlib.md5(body).digest()).decode()  # DeleteObjects requires Content-MD5
            answer = self.request(
                "POST",
                bucket,
                query={"delete": ""},
                body=body,
                headers={"Content-MD5": checksum, "Content-Type": "application/xml"},
            )[1]
            failed += [
                error.findtext(NAMESPACE + "Key") or ""
                for error in ElementTree.fromstring(answer).iter(NAMESPACE + "Error")
            ]
        return failed

    def create_bucket(self, bucket: str) -> bool:
        """True when created, False when it existed already (ours)."""
        try:
            self.request("PUT", bucket)
            return True
        except ObjectStoreError as error:
            if error.code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                return False
            raise


def ensure_bucket(
    store: ObjectStore, bucket: str, create: bool, wait_seconds: float, sleep=time.sleep, clock=time.monotonic
) -> str:
    """Waits until the store answers a listing of `bucket` (creating it first with `create`); says what it did.

    A refused connection, an unreachable host or a 5xx is "not yet" until the deadline; an answer that the store
    gives for good (403: wrong credentials, 404 without `create`: no such bucket) ends it at once.
    """
    deadline = clock() + wait_seconds
    while True:
        try:
            created = store.create_bucket(bucket) if create else False
            next(iter(store.list(bucket, page_size=1)), None)
            return f"bucket {bucket} at {store.endpoint}: " + ("created" if created else "exists, readable")
        except ObjectStoreError as error:
            transient = error.status == 0 or error.status >= 500
            if not transient or clock() >= deadline:
                hint = {
                    403: "the credentials are refused: check s3AccessKey / s3SecretKey",
                    404: "no such bucket: create it, or name an existing one in s3Bucket",
                }.get(error.status, f"the store did not answer within {wait_seconds:.0f} s")
                raise ObjectStoreError(f"{error} ({hint})", error.status, error.code) from None
        sleep(1.0)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="objectstore.py", description="Checks (and creates) the checkpoint bucket.")
    parser.add_argument("--endpoint", required=True, help="http(s)://host[:port] of the S3 store")
    parser.add_argument(
        "--path-style", choices=["true", "false"], default="true", help="path-style requests (default true)"
    )
    parser.add_argument("--credentials-file", default=DEFAULT_CREDENTIALS_FILE, help="AWS credentials file")
    commands = parser.add_subparsers(dest="command", required=True)
    ensure = commands.add_parser("ensure-bucket", help="wait for the store, then check (or create) the bucket")
    ensure.add_argument("bucket_uri", help="s3://<bucket>")
    ensure.add_argument("--create", action="store_true", help="create the bucket when it does not exist")
    ensure.add_argument("--wait-seconds", type=float, default=120.0, help="how long the store may take to answer")
    head = commands.add_parser("head", help="one object's size and time; exit 1 when it does not exist")
    head.add_argument("object_uri", help="s3://<bucket>/<key>")
    args = parser.parse_args(argv)
    try:
        # ensure-bucket waits by itself (--wait-seconds), each try at once.
        store = ObjectStore(
            args.endpoint,
            read_credentials(args.credentials_file),
            path_style=args.path_style == "true",
            retry_seconds=0 if args.command == "ensure-bucket" else RETRY_SECONDS,
        )
        if args.command == "head":
            bucket, key = split_uri(args.object_uri)
            found = store.head(bucket, key)
            if found is None:
                print(f"objectstore: {args.object_uri} does not exist", file=sys.stderr)
                return 1
            stamp = datetime.datetime.fromtimestamp(found.modified, datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            print(f"{found.size} bytes {stamp} {args.object_uri}")
            return 0
        bucket, _ = split_uri(args.bucket_uri)
        print(ensure_bucket(store, bucket, args.create, args.wait_seconds), flush=True)
    except ObjectStoreError as error:
        print(f"objectstore: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
