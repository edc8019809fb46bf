#!/usr/bin/env python3
"""The local stack's S3-compatible server: moto in server mode, with its buckets and objects
kept in a folder so that they survive a restart of `make up`.

moto keeps everything in memory. This launcher serves moto's own WSGI application and, through
the S3 API itself (no moto internals), copies what changed into the folder: at most every
SNAPSHOT_SECONDS after a write, and once more on SIGINT/SIGTERM before it exits. On start it
puts everything back. A crash loses at most the last SNAPSHOT_SECONDS of writes.

Kept: buckets (with their region), objects' newest version with their content type and user
metadata. Not kept: versions, bucket policies and other bucket configuration, incomplete
multipart uploads.

Layout of the folder:
  manifest.json        {"buckets": {name: {"region": r, "objects": {key: {...}}}}}
  blobs/<sha256>       one file per object, named by the hash of bucket and key (keys are
                       free text: hashing keeps every name inside the folder)

usage: s3_server.py --host H --port P --data-dir DIR
"""
import argparse
import hashlib
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

SNAPSHOT_SECONDS = 2.0
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
# moto accepts any key pair; these sign the launcher's own calls.
ACCESS_KEY, SECRET_KEY = "stack-s3-launcher", "stack-s3-launcher"


class WriteTracker:
    """WSGI middleware: notes that a request that may have changed something has finished,
    and answers GET /stack-ready (503 until the kept data is back, then 200) for `make up`."""

    def __init__(self, app):
        self.app = app
        self.changed = threading.Event()
        self.restored = threading.Event()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/stack-ready":
            ready = self.restored.is_set()
            start_response("200 OK" if ready else "503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"ready\n" if ready else b"restoring\n"]
        try:
            return self.app(environ, start_response)
        finally:
            if environ.get("REQUEST_METHOD", "GET") not in READ_ONLY_METHODS:
                self.changed.set()


class FolderMirror:
    """Buckets and objects of an S3 server, mirrored into a folder and restored from it."""

    def __init__(self, endpoint: str, folder: Path):
        self.s3 = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 2}, proxies={}))
        self.folder = folder
        self.blobs = folder / "blobs"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.manifest_path = folder / "manifest.json"
        self.manifest = self._read_manifest()

    def _read_manifest(self) -> dict:
        try:
            return json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            return {"buckets": {}}

    def _write_manifest(self) -> None:
        temporary = self.manifest_path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(self.manifest, indent=1, sort_keys=True))
        os.replace(temporary, self.manifest_path)

    def _blob(self, bucket: str, key: str) -> Path:
        return self.blobs / hashlib.sha256(f"{bucket}\0{key}".encode()).hexdigest()

    def restore(self) -> tuple[int, int]:
        """Puts every kept bucket and object back; (buckets, objects) restored."""
        objects = 0
        for bucket, kept in self.manifest["buckets"].items():
            region = kept.get("region") or "us-east-1"
            arguments = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            self.s3.create_bucket(Bucket=bucket, **arguments)
            for key, entry in list(kept["objects"].items()):
                blob = self._blob(bucket, key)
                if not blob.exists():  # removed by hand: forget it
                    del kept["objects"][key]
                    continue
                with blob.open("rb") as body:
                    put = self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=entry.get("content_type") or "binary/octet-stream",
                                             Metadata=entry.get("metadata") or {})
                # A multipart object comes back whole: its ETag changes; note the new one so
                # the next snapshot does not copy it again.
                entry["etag"] = put["ETag"]
                objects += 1
        self._write_manifest()
        return len(self.manifest["buckets"]), objects

    def snapshot(self) -> None:
        """Copies into the folder what changed on the server since the last snapshot."""
        buckets = {}
        for bucket in self.s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            before = self.manifest["buckets"].get(name, {})
            region = before.get("region") or self.s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
            objects = {}
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=name):
                for item in page.get("Contents", []):
                    key = item["Key"]
                    known = before.get("objects", {}).get(key)
                    if known and known["etag"] == item["ETag"] and known["size"] == item["Size"]:
                        objects[key] = known
                        continue
                    fetched = self._copy_object(name, key)
                    if fetched:
                        objects[key] = fetched
            buckets[name] = {"region": region, "objects": objects}
        self._forget_removed(buckets)
        self.manifest = {"buckets": buckets}
        self._write_manifest()

    def _copy_object(self, bucket: str, key: str) -> dict | None:
        try:
            answer = self.s3.get_object(Bucket=bucket, Key=key)
        except self.s3.exceptions.NoSuchKey:  # deleted meanwhile
            return None
        blob = self._blob(bucket, key)
        temporary = blob.with_suffix(".partial")
        size = 0
        with temporary.open("wb") as out:
            for chunk in answer["Body"].iter_chunks(1 << 20):
                out.write(chunk)
                size += len(chunk)
        os.replace(temporary, blob)
        return {"etag": answer["ETag"], "size": size, "content_type": answer.get("ContentType"), "metadata": answer.get("Metadata", {})}

    def _forget_removed(self, buckets: dict) -> None:
        for bucket, kept in self.manifest["buckets"].items():
            for key in kept.get("objects", {}):
                if key not in buckets.get(bucket, {}).get("objects", {}):
                    self._blob(bucket, key).unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--data-dir", type=Path, required=True)
    arguments = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

    tracker = WriteTracker(DomainDispatcherApplication(create_backend_app))
    try:
        server = make_server(arguments.host, arguments.port, tracker, threaded=True, request_handler=MotoRequestHandler)
    except OSError as error:
        print(f"cannot listen on {arguments.host}:{arguments.port}: {error.strerror} (S3_PORT moves it)", file=sys.stderr, flush=True)
        return 1
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()

    mirror = FolderMirror(f"http://{arguments.host}:{arguments.port}", arguments.data_dir)
    buckets, objects = mirror.restore()
    tracker.changed.clear()  # the restore's own writes
    tracker.restored.set()
    print(f"S3 server on http://{arguments.host}:{arguments.port}; restored {buckets} bucket(s), {objects} object(s) from {arguments.data_dir}",
          flush=True)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.is_set():
        if tracker.changed.wait(timeout=0.5) and not stop.wait(SNAPSHOT_SECONDS):
            tracker.changed.clear()
            try:
                mirror.snapshot()
            except Exception as error:  # keep serving; the next write tries again
                print(f"snapshot failed: {error}", file=sys.stderr, flush=True)
                tracker.changed.set()
    mirror.snapshot()
    server.shutdown()
    print("S3 data saved; stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
