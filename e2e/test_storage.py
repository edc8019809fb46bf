"""S3 object storage through ndp-ep-api (`/s3/buckets*`, `/s3/objects*`) against a real
S3-compatible server (moto_server), with the real `ndp-ep` 0.9.0 client; boto3 checks what the
EP wrote. The strict server checks every call's Signature Version 4."""
import concurrent.futures
import hashlib
import os

import pytest
import requests

from rexec_harness import Gateway, S3Server, attempt, results, run_ndp_ep, serving

WRITER = {"Authorization": "Bearer demo-token"}


@pytest.fixture(scope="module")
def strict_s3():
    server = S3Server(strict=True)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway(idp, strict_s3):
    # 5 MiB parts (S3's minimum) so that a multipart upload needs only tens of MiB.
    yield from serving(Gateway(idp, env={**strict_s3.gateway_env(), "S3_PART_SIZE_MB": "5"}))


def client_results(gateway, body):
    return results(run_ndp_ep("0.9.0", f"client = APIClient(base_url={gateway.base!r}, token='demo-token')\n" + body))


def test_the_clients_storage_methods_against_a_signature_checking_server(gateway, strict_s3):
    s3 = strict_s3.client()
    steps = [
        "client.create_bucket('lab-data')",
        "client.create_bucket('lab-data')",
        "client.list_buckets()",
        "client.get_bucket_info('lab-data')",
        "client.get_bucket_info('no-such-bucket')",
        "client.upload_object('lab-data', 'runs/2026/a b.csv', b'x,y\\n1,2\\n', content_type='text/csv')",
        "client.upload_object('lab-data', 'notes.txt', b'hello')",
        "client.list_objects('lab-data')",
        "client.list_objects('lab-data', prefix='runs/')",
        "client.download_object('lab-data', 'runs/2026/a b.csv')",
        "client.get_object_metadata('lab-data', 'runs/2026/a b.csv')",
        "client.delete_bucket('lab-data')",
        "client.delete_object('lab-data', 'notes.txt')",
        "client.delete_object('lab-data', 'notes.txt')",
        "client.download_object('lab-data', 'notes.txt')",
    ]
    (created, again, buckets, info, missing, uploaded, _, listed, prefixed, downloaded, metadata, not_empty, deleted, deleted_again,
     gone) = client_results(gateway, "".join(attempt(step) for step in steps))

    assert created == {"ok": {"message": "Bucket 'lab-data' created successfully", "success": True}}
    assert "Bucket 'lab-data' already exists" in again["error"]
    assert [b["name"] for b in buckets["ok"]["buckets"]] == ["lab-data"]
    assert buckets["ok"]["buckets"][0]["creation_date"].endswith("Z")
    assert info["ok"]["name"] == "lab-data"
    assert "S3 bucket 'no-such-bucket' not found" in missing["error"]
    assert uploaded["ok"]["bucket"] == "lab-data" and uploaded["ok"]["key"] == "runs/2026/a b.csv" and uploaded["ok"]["size"] == 8
    assert [o["key"] for o in listed["ok"]["objects"]] == ["notes.txt", "runs/2026/a b.csv"]
    assert listed["ok"]["prefix"] is None
    assert prefixed["ok"]["prefix"] == "runs/" and [o["key"] for o in prefixed["ok"]["objects"]] == ["runs/2026/a b.csv"]
    assert {"size": 8, "etag": uploaded["ok"]["etag"]}.items() <= prefixed["ok"]["objects"][0].items()
    assert downloaded == {"ok": "x,y\n1,2\n"}
    assert metadata["ok"]["content_type"] == "text/csv" and metadata["ok"]["size"] == 8
    assert metadata["ok"]["last_modified"].endswith("Z") and metadata["ok"]["metadata"]["content-type"] == "text/csv"
    assert "Bucket 'lab-data' is not empty" in not_empty["error"]
    assert deleted == {"ok": {"message": "Object 'notes.txt' deleted successfully", "success": True}}
    assert "S3 object" in deleted_again["error"] and "not found" in deleted_again["error"]
    assert "not found" in gone["error"]

    # What the EP wrote, as S3 itself reports it.
    stored = s3.get_object(Bucket="lab-data", Key="runs/2026/a b.csv")
    assert stored["Body"].read() == b"x,y\n1,2\n" and stored["ContentType"] == "text/csv"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="lab-data")["Contents"]] == ["runs/2026/a b.csv"]

    s3.delete_object(Bucket="lab-data", Key="runs/2026/a b.csv")
    (emptied,) = client_results(gateway, attempt("client.delete_bucket('lab-data')"))
    assert emptied == {"ok": {"message": "Bucket 'lab-data' deleted successfully", "success": True}}
    assert s3.list_buckets()["Buckets"] == []


def test_a_large_upload_goes_up_in_parts_and_comes_back_whole(gateway, strict_s3):
    s3 = strict_s3.client()
    s3.create_bucket(Bucket="big-files")
    payload = os.urandom(23 << 20)  # 23 MiB: five parts of 5 MiB (the last 3 MiB)
    answer = requests.post(f"{gateway.base}/s3/objects/big-files", headers=WRITER, timeout=120,
                           data={"object_key": "sim/output.bin"}, files={"file": ("output.bin", payload, "application/x-hdf5")})
    assert answer.status_code == 200, answer.text
    assert answer.json()["size"] == len(payload)
    head = s3.head_object(Bucket="big-files", Key="sim/output.bin")
    assert head["ContentLength"] == len(payload) and head["ContentType"] == "application/x-hdf5"
    assert head["ETag"].strip('"').endswith("-5"), head["ETag"]  # a multipart upload's ETag names its parts
    assert s3.list_multipart_uploads(Bucket="big-files").get("Uploads", []) == []

    with requests.get(f"{gateway.base}/s3/objects/big-files/sim/output.bin", headers=WRITER, stream=True, timeout=120) as download:
        assert download.status_code == 200
        assert download.headers["Content-Disposition"] == 'attachment; filename="output.bin"'
        assert download.headers["Content-Type"] == "application/x-hdf5"
        digest = hashlib.sha256()
        for chunk in download.iter_content(1 << 20):
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(payload).hexdigest()


def test_object_key_may_follow_a_small_file_but_not_a_started_large_one(gateway, strict_s3):
    s3 = strict_s3.client()
    s3.create_bucket(Bucket="ordered")
    url = f"{gateway.base}/s3/objects/ordered"
    # requests puts `data` fields before `files`; a list of files keeps the order given.
    late_key = requests.post(url, headers=WRITER, timeout=30,
                             files=[("file", ("upload.txt", b"small")), ("object_key", (None, "named/late.txt"))])
    assert late_key.status_code == 200, late_key.text
    assert late_key.json()["key"] == "named/late.txt"
    assert s3.get_object(Bucket="ordered", Key="named/late.txt")["Body"].read() == b"small"

    big = os.urandom(6 << 20)  # more than the 5 MiB part: its first part goes up under the file's name
    refused = requests.post(url, headers=WRITER, timeout=60,
                            files=[("file", ("big.bin", big)), ("object_key", (None, "named/big.bin"))])
    assert refused.status_code == 422, refused.text
    assert "object_key must come before a file larger than one part" in refused.text
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="ordered").get("Contents", [])]
    assert keys == ["named/late.txt"]  # neither big.bin nor named/big.bin
    assert s3.list_multipart_uploads(Bucket="ordered").get("Uploads", []) == []

    same_key = requests.post(url, headers=WRITER, timeout=60,
                             files=[("file", ("big.bin", big)), ("object_key", (None, "big.bin"))])
    assert same_key.status_code == 200 and same_key.json()["size"] == len(big)

    bad_late_key = requests.post(url, headers=WRITER, timeout=30,
                                 files=[("file", ("fine.txt", b"x")), ("object_key", (None, "bad\u0001key"))])
    assert bad_late_key.status_code == 422
    assert "fine.txt" not in [o["Key"] for o in s3.list_objects_v2(Bucket="ordered").get("Contents", [])]


def test_a_listing_follows_every_page(gateway, strict_s3):
    s3 = strict_s3.client()
    s3.create_bucket(Bucket="many-objects")
    keys = [f"part-{index:05d}.txt" for index in range(5000)]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket="many-objects", Key=key, Body=b"x"), keys))
    answer = requests.get(f"{gateway.base}/s3/objects/many-objects", headers=WRITER, timeout=120)
    assert answer.status_code == 200
    assert [o["key"] for o in answer.json()["objects"]] == keys


def test_bad_input_is_refused_and_changes_nothing(gateway, strict_s3):
    s3 = strict_s3.client()
    s3.create_bucket(Bucket="checked")

    def call(method, path, **kwargs):
        return requests.request(method, f"{gateway.base}{path}", headers=kwargs.pop("headers", WRITER), timeout=30, **kwargs)

    bad_name = call("POST", "/s3/buckets/", json={"name": "Bad_Name"})
    assert bad_name.status_code == 400 and "Invalid bucket name 'Bad_Name'" in bad_name.json()["detail"]
    assert call("POST", "/s3/buckets/", json={}).status_code == 422
    no_file = call("POST", "/s3/objects/checked", files={"object_key": (None, "k")})
    assert no_file.status_code == 422
    not_a_form = call("POST", "/s3/objects/checked", json={"file": "x"})
    assert not_a_form.status_code == 422
    missing_bucket = call("POST", "/s3/objects/nowhere-bucket", files={"file": ("a.txt", b"abc")})
    assert missing_bucket.status_code == 404 and missing_bucket.json()["detail"] == "Bucket 'nowhere-bucket' not found"
    for expires in (0, 604801, "soon", 1.5):
        refused = call("POST", "/s3/objects/checked/a.txt/presigned-download", json={"expires_in": expires})
        assert refused.status_code == 422, (expires, refused.text)
    viewer = call("GET", "/s3/buckets/", headers={"Authorization": "Bearer viewer-token"})
    assert viewer.status_code == 403
    anonymous = call("GET", "/s3/buckets/", headers={})
    assert anonymous.status_code == 401
    assert [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"] in ("Bad_Name", "nowhere-bucket")] == []
    assert s3.list_objects_v2(Bucket="checked").get("KeyCount") == 0


def test_status_and_readiness_report_the_s3_server(gateway):
    status = requests.get(f"{gateway.base}/status/", headers=WRITER, timeout=30).json()
    assert status["s3_enabled"] is True and status["s3_connected"] is True
    ready = requests.get(f"{gateway.base}/ready", timeout=30).json()
    assert ready["checks"]["minio"]["status"] == "up"


def test_presigned_urls_work_with_plain_http(idp):
    # moto checks signatures only on signed calls, not on presigned URLs (the signer's
    # presigned form is checked against AWS's published example in SigV4SignerTests).
    server = S3Server(strict=False)
    gateway = Gateway(idp, env=server.gateway_env())
    try:
        s3 = server.client()
        s3.create_bucket(Bucket="shared")
        upload, download, default = client_results(gateway, "".join([
            attempt("client.generate_presigned_upload_url('shared', 'in/data.bin', expiration=120)"),
            attempt("client.generate_presigned_download_url('shared', 'in/data.bin', expiration=600)"),
            attempt("client.generate_presigned_download_url('shared', 'in/data.bin')"),
        ]))
        # The 0.9.0 client sends `expiration`, which upstream ignored (always 3600).
        assert upload["ok"]["expires_in"] == 120 and download["ok"]["expires_in"] == 600 and default["ok"]["expires_in"] == 3600
        assert "X-Amz-Signature=" in upload["ok"]["url"] and "X-Amz-Expires=120" in upload["ok"]["url"]
        assert upload["ok"]["url"].startswith(server.url + "/shared/in/data.bin?")
        assert requests.put(upload["ok"]["url"], data=b"via a presigned URL", timeout=30).status_code == 200
        assert s3.get_object(Bucket="shared", Key="in/data.bin")["Body"].read() == b"via a presigned URL"
        fetched = requests.get(download["ok"]["url"], timeout=30)
        assert fetched.status_code == 200 and fetched.content == b"via a presigned URL"
    finally:
        assert gateway.stop() == 0
        server.stop()


def test_enabled_but_unconfigured_answers_503(idp):
    gateway = Gateway(idp, env={"S3_ENABLED": "True", "S3_ENDPOINT": "", "S3_ACCESS_KEY": ""})
    try:
        answer = requests.get(f"{gateway.base}/s3/buckets/", headers=WRITER, timeout=30)
        assert answer.status_code == 503 and answer.json()["detail"] == "S3 service is not configured"
        (listed,) = client_results(gateway, attempt("client.list_buckets()"))
        assert "S3 service is not configured" in listed["error"]
    finally:
        assert gateway.stop() == 0


def test_wrong_credentials_are_a_clear_gateway_error(idp, strict_s3):
    gateway = Gateway(idp, env={**strict_s3.gateway_env(), "S3_SECRET_KEY": "not-the-secret"})
    try:
        answer = requests.get(f"{gateway.base}/s3/buckets/", headers=WRITER, timeout=30)
        assert answer.status_code == 502, answer.text
        assert "SignatureDoesNotMatch" in answer.json()["detail"] and "S3_SECRET_KEY" in answer.json()["detail"]
        status = requests.get(f"{gateway.base}/status/", headers=WRITER, timeout=30).json()
        assert status["s3_connected"] is False
    finally:
        assert gateway.stop() == 0
