"""A full disk under the EP: a staging copy into a user area on a full filesystem, and the
SQLite catalog on one. Each gets a clear 507, leaves nothing half-written and keeps working
once there is room again. The filesystems are small tmpfs mounts; where this machine cannot
mount one (not root, no CAP_SYS_ADMIN), the tests are skipped with that reason."""
import os
import sqlite3
import subprocess

import pytest
import requests

from rexec_harness import Gateway

WRITER = {"Authorization": "Bearer demo-token"}
DEMO = "demo@example.org"


@pytest.fixture
def small_filesystem(tmp_path):
    """A 2 MiB tmpfs; `grow()` makes it 64 MiB (room again)."""
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0777", "tmpfs", str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")

    class Filesystem:
        path = mount

        @staticmethod
        def grow():
            subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)

    try:
        yield Filesystem
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_staging_copy_onto_a_full_disk_is_507_and_leaves_nothing(idp, tmp_path, small_filesystem):
    source = tmp_path / "source"
    source.mkdir()
    (source / "big.bin").write_bytes(os.urandom(5 << 20))
    (source / "small.txt").write_text("fits\n")
    gateway = Gateway(idp, env={"STAGING_ENABLED": "true", "STAGING_SOURCE_ROOT": str(source),
                                "STAGING_TARGET_ROOT": str(small_filesystem.path)})
    try:
        def stage(name):
            return requests.post(f"{gateway.base}/stage-data/", params={"method": "local_copy"}, headers=WRITER, timeout=60,
                                 json={"data": {"local_path_on_storage": name, "relative_path": f"in/{name}"}})

        full = stage("big.bin")
        assert full.status_code == 507, full.text
        assert "space" in full.text.lower(), full.text
        area = small_filesystem.path / DEMO / "in"
        # Neither the file nor its temporary: all the space is free again.
        assert sorted(os.listdir(area)) == [] if area.exists() else True
        assert stage("small.txt").status_code == 200
        small_filesystem.grow()
        assert stage("big.bin").status_code == 200
        assert (area / "big.bin").stat().st_size == 5 << 20
    finally:
        gateway.stop()


def test_the_catalog_on_a_full_disk_answers_507_stays_intact_and_writes_again_with_room(idp, small_filesystem):
    database = small_filesystem.path / "catalog.sqlite"
    gateway = Gateway(idp, env={"CATALOG_SQLITE_PATH": str(database)})
    try:
        requests.post(f"{gateway.base}/organization", json={"name": "full-lab", "title": "Full"}, headers=WRITER, timeout=10).raise_for_status()
        stored, refused = [], None
        for number in range(2000):
            body = {"name": f"full-{number}", "title": "x", "owner_org": "full-lab", "notes": "padding " * 400,
                    "resources": [{"url": f"https://data.example/{number}.csv", "name": "part"}]}
            response = requests.post(f"{gateway.base}/dataset", json=body, headers=WRITER, timeout=30)
            if response.status_code != 201:
                refused = response
                break
            stored.append(body["name"])
        assert refused is not None, "the 2 MiB filesystem never filled"
        assert refused.status_code == 507, refused.text
        assert "insufficient storage" in refused.text.lower(), refused.text
        # Reads go on; everything acknowledged is there.
        names = requests.get(f"{gateway.base}/api/3/action/package_list", timeout=10).json()["result"]
        assert set(stored) <= set(names) and f"full-{len(stored)}" not in names
        with sqlite3.connect(database) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        small_filesystem.grow()
        body = {"name": "with-room", "title": "x", "owner_org": "full-lab", "resources": []}
        assert requests.post(f"{gateway.base}/dataset", json=body, headers=WRITER, timeout=30).status_code == 201
    finally:
        gateway.stop()
