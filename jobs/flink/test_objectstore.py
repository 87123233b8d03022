import datetime
import http.server
import socket
import threading

import pytest
from objectstore import (
    Credentials,
    ObjectStore,
    ObjectStoreError,
    ensure_bucket,
    read_credentials,
    region_of,
    split_uri,
)

# AWS's own example of a signed GET (Signature Version 4, "Example: GET Object" in the S3 API reference).
AWS_EXAMPLE = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
AWS_EXAMPLE_TIME = datetime.datetime(2013, 5, 24, tzinfo=datetime.timezone.utc)
CREDENTIALS = Credentials("access", "secret")


def test_a_request_is_signed_as_aws_signs_it():
    store = ObjectStore("https://s3.amazonaws.com", AWS_EXAMPLE, path_style=False, clock=lambda: AWS_EXAMPLE_TIME)
    headers = store._signed_headers(
        "GET",
        "examplebucket.s3.amazonaws.com",
        "/test.txt",
        {},
        {"Range": "bytes=0-9"},
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    )
    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_the_region_is_the_one_an_aws_endpoint_names_else_us_east_1():
    assert region_of("https://s3.eu-west-1.amazonaws.com") == "eu-west-1"
    assert region_of("https://s3-us-west-2.amazonaws.com") == "us-west-2"
    assert region_of("http://s3:8333") == "us-east-1"


def test_credentials_come_from_the_default_profile_and_never_show(tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[default]\naws_access_key_id = ID123\naws_secret_access_key = SECRET456\n")
    credentials = read_credentials(str(path))
    assert (credentials.access_key, credentials.secret_key) == ("ID123", "SECRET456")
    assert "ID123" not in repr(credentials) and "SECRET456" not in repr(credentials)


def test_a_missing_or_incomplete_credentials_file_is_named_without_its_content(tmp_path):
    with pytest.raises(ObjectStoreError, match="cannot read the S3 credentials file .*nowhere"):
        read_credentials(str(tmp_path / "nowhere"))
    path = tmp_path / "credentials"
    path.write_text("[default]\naws_access_key_id = ID123\n")
    with pytest.raises(
        ObjectStoreError, match=r"has no \[default\] with aws_access_key_id and aws_secret_access_key"
    ) as caught:
        read_credentials(str(path))
    assert "ID123" not in str(caught.value)


def test_an_s3_uri_splits_into_bucket_and_key():
    assert split_uri("s3://bucket/a/b/_metadata") == ("bucket", "a/b/_metadata")
    with pytest.raises(ObjectStoreError, match="is not an s3://<bucket>/<key> URI"):
        split_uri("file:///checkpoints_flink")


class _Store:
    """Answers create_bucket and list as a store that is down for `down` calls, then up."""

    endpoint = "http://s3:8333"

    def __init__(self, down: int, status: int = 0):
        self.down, self.status, self.calls = down, status, 0

    def create_bucket(self, bucket):
        self.calls += 1
        if self.calls <= self.down:
            raise ObjectStoreError("refused", self.status)
        return True

    def list(self, bucket, page_size=1000):
        return iter([])


def test_the_bucket_step_waits_for_a_store_that_is_not_up_yet():
    store = _Store(down=3)
    assert (
        ensure_bucket(store, "b", create=True, wait_seconds=60, sleep=lambda _: None)
        == "bucket b at http://s3:8333: created"
    )
    assert store.calls == 4


def test_the_bucket_step_stops_at_once_on_refused_credentials_and_names_the_keys():
    with pytest.raises(ObjectStoreError, match="the credentials are refused: check s3AccessKey / s3SecretKey"):
        ensure_bucket(_Store(down=5, status=403), "b", create=True, wait_seconds=60, sleep=lambda _: None)


def test_the_bucket_step_gives_up_at_its_deadline():
    times = iter(range(0, 1000, 10))
    with pytest.raises(ObjectStoreError, match="did not answer within 30 s"):
        ensure_bucket(
            _Store(down=100), "b", create=True, wait_seconds=30, sleep=lambda _: None, clock=lambda: next(times)
        )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Answers(http.server.BaseHTTPRequestHandler):
    """A store that answers 503 to its first `failures` requests, then 200 with an empty body."""

    failures = 0
    seen = 0

    def do_GET(self):  # noqa: N802 (the handler's protocol)
        type(self).seen += 1
        status = 503 if type(self).seen <= type(self).failures else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_store_that_is_away_is_asked_again_until_it_answers_each_retry_said(capsys):
    _Answers.failures, _Answers.seen = 2, 0
    server = http.server.HTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        store = ObjectStore(
            f"http://127.0.0.1:{server.server_port}", CREDENTIALS, retry_seconds=30, sleep=lambda _: None
        )
        assert store.read("b", "k") == b""
    finally:
        server.shutdown()
    assert _Answers.seen == 3
    assert capsys.readouterr().err.count("HTTP 503") == 2


def test_a_refused_connection_is_retried_until_the_deadline_then_named():
    now = iter(range(0, 1000, 10))
    store = ObjectStore(
        f"http://127.0.0.1:{_closed_port()}",
        CREDENTIALS,
        retry_seconds=30,
        sleep=lambda _: None,
        monotonic=lambda: next(now),
    )
    with pytest.raises(ObjectStoreError, match="Connection refused"):
        store.read("b", "k")


def test_an_answer_the_store_gives_for_good_is_not_asked_again():
    _Answers.failures, _Answers.seen = 0, 0

    class Forbidden(_Answers):
        def do_GET(self):  # noqa: N802
            type(self).seen += 1
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()

    Forbidden.seen = 0
    server = http.server.HTTPServer(("127.0.0.1", 0), Forbidden)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        store = ObjectStore(
            f"http://127.0.0.1:{server.server_port}", CREDENTIALS, retry_seconds=30, sleep=lambda _: None
        )
        with pytest.raises(ObjectStoreError, match="HTTP 403"):
            store.read("b", "k")
    finally:
        server.shutdown()
    assert Forbidden.seen == 1
