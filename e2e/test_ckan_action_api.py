"""CKAN's action API on ndp-ep-api (`/api/3/action/<name>`), driven by the real PyPI `ckanapi`
client (its Python API and its command line) on the SQLite and the PostgreSQL catalog: CKAN's
envelope and errors, search with q/fq/rows/start/sort, writes with an API token, and private
datasets that never show to whom the policy does not let read them."""
import json
import subprocess
import sys
from pathlib import Path

import ckanapi
import pytest
import requests

from rexec_harness import Gateway, serving

CKANAPI_CLI = Path(sys.executable).parent / "ckanapi"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gateway(idp, request):
    yield from serving(Gateway(idp, catalog=request.param))


def client(gateway, token=None):
    # The endpoint's root path (/ep): ckanapi calls /ep/api/action/<name>.
    return ckanapi.RemoteCKAN(gateway.base, apikey=token)


@pytest.fixture(scope="module")
def catalog(gateway):
    """Two organizations and 25 datasets written through package_create, one private."""
    writer = client(gateway, "demo-token")
    lab = writer.action.organization_create(name="ocean-lab", title="Ocean Lab", description="Buoys and ships")
    writer.action.organization_create(name="air-lab", title="Air Lab")
    for index in range(24):
        writer.action.package_create(
            name=f"reading-{index:02d}", title=f"Reading {index:02d}", owner_org=lab["id"] if index % 2 else "air-lab",
            notes="buoy temperature series" if index < 12 else "balloon pressure series",
            tags=[{"name": "even"} if index % 2 == 0 else {"name": "odd"}, {"name": "sensor"}],
            extras=[{"key": "site", "value": "north" if index < 6 else "south"}],
            resources=[{"url": f"https://data.example.org/{index}.csv", "name": "data", "format": "NetCDF" if index == 5 else "CSV"}])
    writer.action.package_create(name="secret-buoy", title="Secret", owner_org="ocean-lab", private=True, notes="buoy secrets")
    return lab


def test_search_show_and_list_like_ckan(gateway, catalog):
    anonymous = client(gateway)
    status = anonymous.action.status_show()
    assert status["ckan_version"].startswith("2.") and status["site_title"] == "test-ep"

    found = anonymous.action.package_search(q="buoy", rows=5, sort="name asc")
    # The private dataset is neither counted nor shown to a caller without a token.
    assert found["count"] == 12
    assert [item["name"] for item in found["results"]] == [f"reading-{i:02d}" for i in range(5)]
    second = anonymous.action.package_search(q="buoy", rows=5, start=5, sort="name asc")
    assert [item["name"] for item in second["results"]] == [f"reading-{i:02d}" for i in range(5, 10)]
    assert anonymous.action.package_search(q="buoy", rows=0)["count"] == 12

    item = found["results"][1]
    assert item["organization"]["name"] == "ocean-lab" and item["owner_org"] == catalog["id"]
    assert {tag["name"] for tag in item["tags"]} == {"odd", "sensor"}
    assert {"key": "site", "value": "north"} in item["extras"]
    assert item["resources"][0]["package_id"] == item["id"] and item["num_resources"] == 1
    # The endpoint's marks, as POST /dataset leaves them.
    assert {extra["key"] for extra in item["extras"]} >= {"ndp_group_id", "ndp_user_id", "ndp_creator_md5"}

    # fq clauses, alone and with words; sort descending; the organization by name or id.
    by_org = anonymous.action.package_search(fq=f'owner_org:"{catalog["id"]}" tags:even', rows=100)
    assert by_org["count"] == 0
    odd = anonymous.action.package_search(fq="organization:ocean-lab +tags:odd", q="balloon", rows=100, sort="name desc")
    assert [item["name"] for item in odd["results"]] == [f"reading-{i:02d}" for i in range(23, 11, -2)]
    assert anonymous.action.package_search(fq="res_format:netcdf")["count"] == 1
    assert anonymous.action.package_search(q="extras_site:north tags:even")["count"] == 3
    assert anonymous.action.package_search(fq_list=["tags:sensor", "name:reading-07"])["results"][0]["name"] == "reading-07"
    assert anonymous.action.package_search(q="*:*", rows=1000)["count"] == 24
    newest = anonymous.action.package_search(sort="metadata_created desc", rows=1)["results"][0]
    assert newest["name"] == "reading-23"

    shown = anonymous.action.package_show(id="reading-03")
    assert shown["title"] == "Reading 03" and shown["private"] is False
    assert anonymous.action.package_show(id=shown["id"])["name"] == "reading-03"
    resource = anonymous.action.resource_show(id=shown["resources"][0]["id"])
    assert resource["url"] == "https://data.example.org/3.csv" and resource["package_id"] == shown["id"]

    names = anonymous.action.package_list()
    assert names == sorted(names) and "secret-buoy" not in names and len(names) == 24
    assert anonymous.action.package_list(limit=2, offset=1) == names[1:3]

    assert anonymous.action.organization_list() == ["air-lab", "ocean-lab", "services"]
    organizations = anonymous.action.organization_list(all_fields=True, sort="package_count desc")
    assert [(o["name"], o["package_count"]) for o in organizations] == [("air-lab", 12), ("ocean-lab", 12), ("services", 0)]
    shown_org = anonymous.action.organization_show(id="ocean-lab", include_datasets=True)
    assert shown_org["id"] == catalog["id"] and shown_org["package_count"] == 12
    assert len(shown_org["packages"]) == 12 and all(not p["private"] for p in shown_org["packages"])


def test_errors_come_back_as_ckanapi_exceptions(gateway, catalog):
    anonymous = client(gateway)
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.resource_show(id="no-such-resource")
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.organization_show(id="no-such-lab")
    with pytest.raises(ckanapi.SearchQueryError, match="unknown field 'colour'"):
        anonymous.action.package_search(q="colour:blue")
    with pytest.raises(ckanapi.SearchQueryError, match="'OR' is not supported"):
        anonymous.action.package_search(q="buoy OR balloon")
    with pytest.raises(ckanapi.SearchQueryError, match="cannot sort by 'colour'"):
        anonymous.action.package_search(sort="colour asc")
    with pytest.raises(ckanapi.ValidationError) as invalid:
        anonymous.action.package_search(rows="many")
    assert invalid.value.error_dict["rows"] == ["Invalid integer"]

    # Writes need a token the policy lets write: none, a viewer's, an outsider's → NotAuthorized.
    for token in (None, "viewer-token", "outsider-token", "not-a-token"):
        with pytest.raises(ckanapi.NotAuthorized):
            client(gateway, token).action.package_create(name="refused", owner_org="ocean-lab")
    writer = client(gateway, "demo-token")
    with pytest.raises(ckanapi.ValidationError) as taken:
        writer.action.package_create(name="reading-01", owner_org="ocean-lab")
    assert taken.value.error_dict["name"] == ["That URL is already in use."]
    with pytest.raises(ckanapi.ValidationError) as missing:
        writer.action.package_create(name="no-owner")
    assert missing.value.error_dict["owner_org"] == ["Missing value"]
    with pytest.raises(ckanapi.ValidationError) as nowhere:
        writer.action.package_create(name="no-owner", owner_org="no-such-lab")
    assert nowhere.value.error_dict["owner_org"] == ["Organization does not exist"]
    with pytest.raises(ckanapi.ValidationError) as badly_named:
        writer.action.package_create(name="Bad Name", owner_org="ocean-lab")
    assert "name" in badly_named.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as duplicate_org:
        writer.action.organization_create(name="ocean-lab")
    assert duplicate_org.value.error_dict["name"] == ["Group name already exists in database"]
    # None of the refused writes left anything.
    assert client(gateway).action.package_search(q="refused no-owner")["count"] == 0

    # The envelope itself, unknown actions, and writes over GET.
    unknown = requests.get(f"{gateway.url}/api/3/action/package_destroy_all", timeout=10)
    assert unknown.status_code == 400
    assert unknown.json()["success"] is False and unknown.json()["error"]["__type"] == "Bad request - Action Error"
    assert unknown.json()["help"].endswith("/api/3/action/help_show?name=package_destroy_all")
    by_get = requests.get(f"{gateway.url}/api/3/action/package_delete?id=reading-01", headers={"Authorization": "admin-token"}, timeout=10)
    assert by_get.status_code == 400 and "must be called with POST" in by_get.json()["error"]["message"]
    assert client(gateway).action.package_show(id="reading-01")["name"] == "reading-01"
    broken = requests.post(f"{gateway.url}/api/3/action/package_search", data="{not json", headers={"Content-Type": "application/json"}, timeout=10)
    assert broken.status_code == 400 and broken.json()["error"]["__type"] == "Bad request - JSON Error"


def test_private_datasets_never_leak(gateway, catalog):
    for token in (None, "viewer-token", "outsider-token"):
        reader = client(gateway, token)
        with pytest.raises(ckanapi.NotFound):
            reader.action.package_show(id="secret-buoy")
        assert reader.action.package_search(q="secrets", include_private=True)["count"] == 0
    creator, admin = client(gateway, "demo-token"), client(gateway, "admin-token")
    # Only with include_private, and only for the creator or an admin, as CKAN does.
    assert creator.action.package_search(q="secrets")["count"] == 0
    mine = creator.action.package_search(q="secrets", include_private=True)
    assert mine["count"] == 1 and mine["results"][0]["private"] is True
    assert admin.action.package_show(id="secret-buoy")["private"] is True
    resource_owner = creator.action.resource_create(package_id="secret-buoy", url="https://data.example.org/secret.csv", name="s")
    with pytest.raises(ckanapi.NotFound):
        client(gateway).action.resource_show(id=resource_owner["id"])
    with pytest.raises(ckanapi.NotFound):
        client(gateway, "viewer-token").action.resource_create(package_id="secret-buoy", url="https://x.example.org/y")
    assert "secret-buoy" not in client(gateway).action.package_list()


def test_writes_with_an_api_token(gateway, catalog):
    writer = client(gateway, "demo-token")
    created = writer.action.package_create(
        name="edited-set", title="Edited", owner_org="ocean-lab", notes="first", tags=["a", "b"], license_id="cc-by",
        resources=[{"url": "https://data.example.org/one.csv", "name": "one"}, {"url": "https://data.example.org/two.csv", "name": "two"}])
    one = created["resources"][0]["id"]

    # Patch: given fields change, the others stay; given resources replace the list, ids kept.
    patched = writer.action.package_patch(id="edited-set", notes="second", resources=[created["resources"][0]])
    assert patched["notes"] == "second" and patched["license_id"] == "cc-by" and [t["name"] for t in patched["tags"]] == ["a", "b"]
    assert [r["id"] for r in patched["resources"]] == [one]

    # Update: the dictionary is the whole dataset; what it leaves out is emptied (CKAN's rule).
    shown = writer.action.package_show(id="edited-set")
    shown["title"] = "Edited again"
    shown["extras"] = [{"key": "k", "value": "v"}]
    updated = writer.action.package_update(**shown)
    assert updated["title"] == "Edited again" and updated["license_id"] == "cc-by" and updated["extras"] == [{"key": "k", "value": "v"}]
    bare = writer.action.package_update(id="edited-set", name="edited-set", owner_org="ocean-lab")
    assert bare["notes"] == "" and bare["tags"] == [] and bare["resources"] == [] and bare["license_id"] is None

    added = writer.action.resource_create(package_id="edited-set", url="https://data.example.org/three.csv", format="CSV")
    assert added["name"] == "three.csv" and added["position"] == 0
    assert [r["id"] for r in writer.action.package_show(id="edited-set")["resources"]] == [added["id"]]

    # Another writer may update (the policy's public-dataset rule) but only the creator or an
    # admin may delete.
    with pytest.raises(ckanapi.NotAuthorized):
        client(gateway, "member-token").action.package_delete(id="edited-set")
    assert writer.action.package_delete(id="edited-set") is None
    with pytest.raises(ckanapi.NotFound):
        writer.action.package_show(id="edited-set")

    # The same token as Bearer, or in X-CKAN-API-Key alone; GET and form-encoded POST.
    for headers in ({"Authorization": "Bearer demo-token"}, {"X-CKAN-API-Key": "demo-token"}):
        answer = requests.post(
            f"{gateway.base}/api/3/action/package_create", json={"name": "via-header", "owner_org": "air-lab"}, headers=headers, timeout=10)
        assert answer.status_code == 200 and answer.json()["success"] is True, answer.text
        deleted = requests.post(f"{gateway.base}/api/3/action/package_delete", data={"id": "via-header"}, headers=headers, timeout=10)
        assert deleted.status_code == 200 and deleted.json() == {
            "help": f"{gateway.base}/api/3/action/help_show?name=package_delete",
            "success": True, "result": None}
    shown = requests.get(f"{gateway.url}/api/action/package_show", params={"id": "reading-02"}, timeout=10).json()
    assert shown["success"] is True and shown["result"]["name"] == "reading-02"


def test_the_ckanapi_command_line(gateway, catalog):
    found = subprocess.run(
        [str(CKANAPI_CLI), "action", "package_search", "-r", gateway.base, "q=balloon", "fq=tags:even", "rows=3", "sort=name asc"],
        capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert result["count"] == 6 and [item["name"] for item in result["results"]] == ["reading-12", "reading-14", "reading-16"]
    created = subprocess.run(
        [str(CKANAPI_CLI), "action", "package_create", "-r", gateway.base, "-a", "demo-token", "name=from-the-cli", "owner_org=air-lab"],
        capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["organization"]["name"] == "air-lab"
    refused = subprocess.run(
        [str(CKANAPI_CLI), "action", "package_delete", "-r", gateway.base, "id=from-the-cli"], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "NotAuthorized" in refused.stdout + refused.stderr
    # What the action API wrote, the endpoint's own search finds.
    assert [item["name"] for item in requests.get(f"{gateway.base}/search", params={"terms": "from-the-cli", "server": "local"}, timeout=10).json()] == [
        "from-the-cli"]
