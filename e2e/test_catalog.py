"""The NDP EP catalog with the real ndp-ep 0.9.0 client (docs/specs/ndp-ep.md §2.5–2.9, §5.3),
on the embedded SQLite catalog and on PostgreSQL (every test taking `gateway` runs on both), and
what the access policy lets each user do."""
import json
import os
import subprocess

import pytest
import requests

from conftest import free_port
from rexec_harness import BIN, Gateway, attempt, results, run_ndp_ep, serving


@pytest.fixture(scope="module", params=["sqlite", "postgres", "ckan"])
def gateway(idp, request):
    yield from serving(Gateway(idp, catalog=request.param))


def test_organizations_with_the_real_client(gateway):
    writer = f"APIClient(base_url={gateway.base!r}, token='demo-token')"
    viewer = f"APIClient(base_url={gateway.base!r}, token='viewer-token')"
    anonymous = f"APIClient(base_url={gateway.base!r})"
    script = "".join([
        attempt(f"{writer}.register_organization({{'name': 'lab-one', 'title': 'Lab One', 'description': 'A lab'}})"),
        attempt(f"{writer}.register_organization({{'name': 'lab-one', 'title': 'Again'}})"),
        attempt(f"{viewer}.register_organization({{'name': 'lab-two', 'title': 'Lab Two'}})"),
        attempt(f"{anonymous}.list_organizations(server='local')"),
        attempt(f"{anonymous}.list_organizations(name='ONE')"),
        attempt(f"{viewer}.delete_organization('lab-one')"),
        attempt(f"{writer}.delete_organization('lab-one')"),
        attempt(f"{writer}.delete_organization('lab-one')"),
        attempt(f"{anonymous}.list_organizations(server='local')"),
    ])
    created, duplicate, refused, listed, filtered, viewer_delete, deleted, missing, after = results(run_ndp_ep("0.9.0", script))
    assert set(created["ok"]) == {"id", "message"} and created["ok"]["message"] == "Organization created successfully"
    # The client recognises upstream's duplicate text.
    assert duplicate == {"error": "Error creating organization: Organization name already exists"}
    assert "writer or admin role" in refused["error"]
    # The services organization is made at start-up, as upstream.
    assert listed == {"ok": ["lab-one", "services"]}
    assert filtered == {"ok": ["lab-one"]}
    # Deleting is no longer public: the creator or an admin (the policy's default).
    assert "Object.Creator or Endpoint.Admin" in viewer_delete["error"]
    assert deleted == {"ok": {"message": "Organization deleted successfully"}}
    assert missing == {"error": "Error deleting organization: Not found"}
    assert after == {"ok": ["services"]}


def test_mine_status_and_bad_input(gateway):
    headers = {"Authorization": "Bearer demo-token"}
    created = requests.post(f"{gateway.base}/organization", json={"name": "mine-lab", "title": "Mine"}, headers=headers, timeout=10)
    assert created.status_code == 201
    assert requests.get(f"{gateway.base}/organization?mine=true", headers=headers, timeout=10).json() == ["mine-lab"]
    assert requests.get(f"{gateway.base}/organization?mine=true", headers={"Authorization": "Bearer admin-token"}, timeout=10).json() == []
    anonymous_mine = requests.get(f"{gateway.base}/organization?mine=true", timeout=10)
    assert anonymous_mine.status_code == 401 and "filter organizations by 'mine'" in anonymous_mine.json()["detail"]
    for body in ({"name": "Bad Name", "title": "x"}, {"title": "no name"}, {"name": "ok-name"}):
        bad = requests.post(f"{gateway.base}/organization", json=body, headers=headers, timeout=10)
        assert bad.status_code == 422, body
    assert requests.get(f"{gateway.base}/organization?server=elsewhere", timeout=10).status_code == 422
    assert requests.get(f"{gateway.base}/organization?server=pre_ckan", timeout=10).json()["detail"] == "Pre-CKAN is disabled and cannot be used."
    status = requests.get(f"{gateway.base}/status/", headers=headers, timeout=10).json()
    assert status["local_catalog_backend"] == gateway.catalog and status["backend_connected"] is True
    assert requests.get(f"{gateway.base}/ready", timeout=10).json()["checks"]["local_catalog"]["status"] == "up"
    # A catalog of its own per gateway: the file is where CATALOG_SQLITE_PATH says (none on PostgreSQL).
    assert ("catalog.sqlite" in os.listdir(gateway.catalog_dir)) == (gateway.catalog == "sqlite")


@pytest.mark.parametrize("env", [{"LOCAL_CATALOG_BACKEND": "none"}, {"CKAN_LOCAL_ENABLED": "False"}])
def test_the_catalog_can_be_turned_off(idp, env):
    gateway = Gateway(idp, env=env)
    try:
        headers = {"Authorization": "Bearer demo-token"}
        assert requests.post(f"{gateway.base}/organization", json={"name": "x-lab", "title": "x"}, headers=headers, timeout=10).status_code == 404
        status = requests.get(f"{gateway.base}/status/", headers=headers, timeout=10).json()
        assert status["local_catalog_backend"] == "none" and status["backend_connected"] is False
        assert requests.get(f"{gateway.base}/ready", timeout=10).json()["checks"]["local_catalog"]["status"] == "disabled"
        assert os.listdir(gateway.catalog_dir) == []
    finally:
        assert gateway.stop() == 0


def test_backends_this_endpoint_does_not_have_stop_start_up_clearly():
    result = subprocess.run([str(BIN / "ndp-ep-api"), "--port", "0"], env={"PATH": os.environ["PATH"], "LOCAL_CATALOG_BACKEND": "mongodb"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 78
    assert "invalid value 'mongodb' for LOCAL_CATALOG_BACKEND: expected sqlite (default), postgres, ckan or none" in result.stderr


def test_a_ckan_catalog_that_does_not_answer_stops_start_up_clearly():
    url = f"http://127.0.0.1:{free_port()}"
    result = subprocess.run([str(BIN / "ndp-ep-api"), "--port", "0"],
                            env={"PATH": os.environ["PATH"], "LOCAL_CATALOG_BACKEND": "ckan", "CKAN_URL": url, "CKAN_API_KEY": "secret-key"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 78
    assert f"the catalog at CKAN_URL {url} does not answer CKAN's action API" in result.stderr
    assert "secret-key" not in result.stderr + result.stdout


def test_general_datasets_with_the_real_client(gateway):
    writer = f"APIClient(base_url={gateway.base!r}, token='demo-token')"
    viewer = f"APIClient(base_url={gateway.base!r}, token='viewer-token')"
    anonymous = f"APIClient(base_url={gateway.base!r})"
    dataset = {
        "name": "ocean-temps", "title": "Ocean temperatures", "owner_org": "data-lab", "notes": "Buoy readings from 2024",
        "tags": ["ocean", "climate"], "extras": {"region": "pacific", "depth": 20},
        "resources": [{"url": "https://example.org/buoys.csv", "name": "buoys", "format": "CSV"}],
    }
    script = "".join([
        attempt(f"{writer}.register_organization({{'name': 'data-lab', 'title': 'Data Lab'}})"),
        attempt(f"{writer}.register_general_dataset({dataset!r})"),
        attempt(f"{writer}.register_general_dataset({dataset!r})"),
        attempt(f"{viewer}.register_general_dataset({{**{dataset!r}, 'name': 'viewer-set'}})"),
        attempt(f"{anonymous}.search_datasets(['buoy'])"),
        attempt(f"{anonymous}.search_datasets(['pacific', 'ocean'], keys=['region', None], server='local')"),
        attempt(f"{anonymous}.search_datasets(['atlantic'])"),
        attempt(f"{writer}.update_general_dataset('ocean-temps', {{'title': 'Ocean temperatures v2', 'extras': {{'depth': 40}}}})"),
        attempt(f"{writer}.patch_general_dataset('ocean-temps', {{'resources': [{{'url': 'https://example.org/buoys.csv', 'name': 'buoys', 'format': 'TSV'}}, {{'url': 's3://bucket/raw', 'name': 'raw'}}]}})"),
        attempt(f"{anonymous}.search_datasets(['v2'])"),
        attempt(f"{writer}.update_general_dataset('no-such-set', {{'title': 'x'}})"),
        attempt(f"{viewer}.delete_resource_by_name('ocean-temps')"),
        attempt(f"{writer}.delete_resource_by_name('ocean-temps')"),
        attempt(f"{writer}.delete_resource_by_name('ocean-temps')"),
    ])
    (org, created, renamed, refused, found, keyed, none, updated, patched, after_update, missing, viewer_delete, deleted,
     gone) = results(run_ndp_ep("0.9.0", script))
    assert created["ok"]["name"] == "ocean-temps" and created["ok"]["warning"] is None
    # A taken name is registered again with a timestamp suffix, and the answer says so.
    assert renamed["ok"]["name"].startswith("ocean-temps-") and "already exists" in renamed["ok"]["warning"]
    assert "writer or admin role" in refused["error"]
    item = next(entry for entry in found["ok"] if entry["id"] == created["ok"]["id"])
    assert item["owner_org"] == "data-lab" and item["notes"] == "Buoy readings from 2024"
    assert item["resources"][0]["url"] == "https://example.org/buoys.csv" and item["resources"][0]["format"] == "CSV"
    assert item["extras"]["region"] == "pacific" and item["extras"]["ndp_group_id"] == "Test Lab"
    assert len(item["extras"]["ndp_user_id"]) == 16 and len(item["extras"]["ndp_creator_md5"]) == 32
    assert {entry["name"] for entry in keyed["ok"]} == {"ocean-temps", renamed["ok"]["name"]}
    assert none == {"ok": []}
    assert updated == {"ok": {"message": "Dataset updated successfully"}}
    assert patched == {"ok": {"message": "Dataset updated successfully"}}
    [v2] = after_update["ok"]
    assert v2["title"] == "Ocean temperatures v2" and v2["extras"]["depth"] == 40 and v2["extras"]["region"] == "pacific"
    assert [(r["name"], r["format"]) for r in v2["resources"]] == [("buoys", "TSV"), ("raw", "")]
    # The client recognises "Dataset not found".
    assert missing == {"error": "Error updating dataset: Not found"}
    assert "Object.Creator or Endpoint.Admin" in viewer_delete["error"]
    assert deleted == {"ok": {"message": "ocean-temps deleted successfully"}}
    assert "not found" in gone["error"].lower()


def test_private_datasets_are_invisible_to_others(gateway):
    writer = {"Authorization": "Bearer demo-token"}
    requests.post(f"{gateway.base}/organization", json={"name": "secret-lab", "title": "Secret"}, headers=writer, timeout=10)
    body = {"name": "hidden-set", "title": "Hidden", "owner_org": "secret-lab", "private": True, "notes": "zebrafish",
            "resources": [{"url": "https://secret.example/zebra.csv", "name": "zebra-file"}]}
    assert requests.post(f"{gateway.base}/dataset", json=body, headers=writer, timeout=10).status_code == 201
    def names(headers):
        return [entry["name"] for entry in requests.get(f"{gateway.base}/search?terms=zebrafish", headers=headers, timeout=10).json()]
    assert names(writer) == ["hidden-set"]
    assert names({"Authorization": "Bearer admin-token"}) == ["hidden-set"]
    assert names({"Authorization": "Bearer viewer-token"}) == [] and names({}) == []
    # Its resources neither: not listed, and GET says there is no such resource.
    [hidden] = requests.get(f"{gateway.base}/search?terms=zebrafish", headers=writer, timeout=10).json()
    resource_url = f"{gateway.base}/resource/{hidden['resources'][0]['id']}"
    assert requests.get(resource_url, headers=writer, timeout=10).status_code == 200
    for headers in ({"Authorization": "Bearer viewer-token"}, {}):
        assert requests.get(resource_url, headers=headers, timeout=10).status_code == 404
        assert requests.get(f"{gateway.base}/resources/search", params={"q": "zebra"}, headers=headers, timeout=10).json()["count"] == 0
    assert requests.get(f"{gateway.base}/resources/search", params={"q": "zebra"}, headers=writer, timeout=10).json()["count"] == 1
    # Nor can they change it.
    other = requests.put(f"{gateway.base}/dataset/hidden-set", json={"title": "x"}, headers={"Authorization": "Bearer outsider-token"}, timeout=10)
    assert other.status_code == 403
    bad = [
        ({"name": "x", "title": "t", "owner_org": "secret-lab"}, 422),
        ({"name": "ok-set", "title": "t"}, 422),
        ({"name": "ok-set", "title": "t", "owner_org": "nowhere"}, 400),
        ({"name": "ok-set", "title": "t", "owner_org": "secret-lab", "extras": {"title": "clash"}}, 400),
        ({"name": "ok-set", "title": "t", "owner_org": "secret-lab", "resources": [{"url": "ftp://x", "name": "r"}]}, 422),
    ]
    for body, status in bad:
        answer = requests.post(f"{gateway.base}/dataset", json=body, headers=writer, timeout=10)
        assert answer.status_code == status, (body, answer.text)
    assert requests.get(f"{gateway.base}/search?terms=a&terms=b&keys=title", timeout=10).status_code == 400
    # Nothing was stored by the refused registrations.
    assert names(writer) == ["hidden-set"] and requests.get(f"{gateway.base}/search?terms=ok-set", timeout=10).json() == []


def test_registration_numbers_as_text_are_taken_as_pydantic_takes_them(gateway):
    """Clients written for upstream's FastAPI service send what pydantic's lax mode accepts."""
    headers = {"Authorization": "Bearer demo-token"}
    requests.post(f"{gateway.base}/organization", json={"name": "lax-lab", "title": "Lax Lab"}, headers=headers, timeout=10)
    topic = {"dataset_name": "lax-topic", "dataset_title": "Lax", "owner_org": "lax-lab", "kafka_topic": "t", "kafka_host": "k",
             "kafka_port": "9092"}
    created = requests.post(f"{gateway.base}/kafka", json=topic, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    refused = requests.post(f"{gateway.base}/kafka", json={**topic, "dataset_name": "lax-two", "kafka_port": "ninety"},
                            headers=headers, timeout=10)
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "kafka_port"] and problem["type"] == "int_parsing", problem
    found = requests.get(f"{gateway.base}/search", params={"terms": "lax"}, headers=headers, timeout=10).json()
    assert [dataset["name"] for dataset in found] == ["lax-topic"]


def test_typed_registrations_with_the_real_client(gateway):
    writer = f"APIClient(base_url={gateway.base!r}, token='demo-token')"
    kafka = {"dataset_name": "wind-stream", "dataset_title": "Wind stream", "owner_org": "stream-lab", "kafka_topic": "wind",
             "kafka_host": "kafka.example.org", "kafka_port": 9092, "mapping": {"speed": "m/s"}, "extras": {"site": "roof"}}
    url = {"resource_name": "tide-csv", "resource_title": "Tides", "owner_org": "stream-lab", "resource_url": "https://example.org/tides.csv",
           "file_type": "CSV", "notes": "hourly tides"}
    s3 = {"resource_name": "raw-bucket", "resource_title": "Raw data", "owner_org": "stream-lab", "resource_s3": "s3://raw/2024/"}
    service = {"service_name": "tile-server", "service_title": "Tiles", "owner_org": "services", "service_url": "https://tiles.example.org",
               "service_type": "API", "health_check_url": "https://tiles.example.org/health"}
    script = "".join([
        attempt(f"{writer}.register_organization({{'name': 'stream-lab', 'title': 'Stream Lab'}})"),
        attempt(f"{writer}.register_kafka_topic({kafka!r})"),
        attempt(f"{writer}.register_kafka_topic({{**{kafka!r}, 'dataset_name': 'other', 'owner_org': 'nowhere'}})"),
        attempt(f"{writer}.register_url({url!r})"),
        attempt(f"{writer}.register_s3_link({s3!r})"),
        attempt(f"{writer}.register_s3_link({{**{s3!r}, 'resource_name': 'x-s3', 'extras': {{'collection': 'c'}}}})"),
        attempt(f"{writer}.register_service({service!r})"),
        attempt(f"{writer}.register_service({service!r})"),
        attempt(f"{writer}.register_service({{**{service!r}, 'service_name': 'misplaced', 'owner_org': 'stream-lab'}})"),
        attempt(f"{writer}.update_kafka_topic('wind-stream', {{'kafka_topic': 'gusts', 'dataset_description': 'gusts now'}})"),
        attempt(f"{writer}.update_kafka_topic('tide-csv', {{'kafka_topic': 'x'}})"),
        attempt(f"{writer}.update_url_resource('tide-csv', {{'resource_url': 'https://example.org/tides-v2.csv'}})"),
        attempt(f"{writer}.patch_s3_resource('raw-bucket', {{'resource_s3': 's3://raw/2025/'}})"),
        attempt(f"{writer}.update_service('tile-server', {{'service_title': 'Map tiles'}})"),
        attempt(f"APIClient(base_url={gateway.base!r}).search_datasets(['gusts'])"),
        attempt(f"APIClient(base_url={gateway.base!r}).search_datasets(['services'], keys=['owner_org'])"),
    ])
    (org, kafka_id, missing_org, url_id, s3_id, reserved, service_id, duplicate, misplaced, kafka_update, wrong_kind, url_update,
     s3_patch, service_update, gusts, services) = results(run_ndp_ep("0.9.0", script))
    for created in (kafka_id, url_id, s3_id, service_id):
        assert set(created.get("ok", {})) == {"id"}, created
    assert missing_org == {"error": "Error creating Kafka dataset: Organization (owner_org) does not exist"}
    # The client recognises "Reserved key error".
    assert reserved == {"error": "Error creating S3 resource: Reserved key conflict."}
    assert duplicate == {"error": "Error creating service: A service with the given name or URL already exists"}
    assert misplaced == {"error": "Error creating service: owner_org must be 'services' for service registration"}
    assert kafka_update == {"ok": {"message": "Kafka dataset updated successfully"}}
    assert wrong_kind == {"error": "Error updating Kafka dataset: Not found"}
    assert url_update == {"ok": {"message": "Resource updated successfully"}}
    assert s3_patch == {"ok": {"message": "S3 resource updated successfully"}}
    assert service_update == {"ok": {"message": "Service updated successfully"}}
    [wind] = gusts["ok"]
    assert wind["notes"] == "gusts now" and wind["extras"]["topic"] == "gusts" and wind["extras"]["host"] == "kafka.example.org"
    assert wind["extras"]["port"] == "9092" and wind["extras"]["mapping"] == {"speed": "m/s"} and wind["extras"]["site"] == "roof"
    assert wind["resources"] == [{"id": wind["resources"][0]["id"], "url": "", "name": "gusts", "format": "kafka",
                                  "description": "Kafka topic gusts hosted at kafka.example.org:9092"}]
    [tiles] = services["ok"]
    assert tiles["title"] == "Map tiles" and tiles["extras"]["service_type"] == "API"
    assert tiles["resources"][0]["url"] == "https://tiles.example.org" and tiles["resources"][0]["format"] == "service"
    found = requests.get(f"{gateway.base}/search", params={"terms": "tides-v2"}, timeout=10).json()
    assert [(d["name"], d["resources"][0]["url"]) for d in found] == [("tide-csv", "https://example.org/tides-v2.csv")]


def test_resources_with_the_real_client(gateway):
    headers = {"Authorization": "Bearer demo-token"}
    requests.post(f"{gateway.base}/organization", json={"name": "file-lab", "title": "Files"}, headers=headers, timeout=10)
    body = {"name": "survey", "title": "Survey", "owner_org": "file-lab", "resources": [
        {"url": "https://survey.example/a.csv", "name": "part-a", "format": "SurveyCSV", "description": "first half"},
        {"url": "https://survey.example/b.nc", "name": "part-b", "format": "NetCDF"},
        {"url": "s3://bucket/c", "name": "part-c", "format": "surveycsv"}]}
    created = requests.post(f"{gateway.base}/dataset", json=body, headers=headers, timeout=10).json()
    [survey] = requests.get(f"{gateway.base}/search", params={"terms": "survey"}, timeout=10).json()
    a, b, c = [resource["id"] for resource in survey["resources"]]
    writer = f"APIClient(base_url={gateway.base!r}, token='demo-token')"
    viewer = f"APIClient(base_url={gateway.base!r}, token='viewer-token')"
    script = "".join([
        attempt(f"{writer}.get_resource({a!r})"),
        attempt(f"{writer}.get_resource('no-such-resource')"),
        attempt(f"{writer}.patch_resource({a!r}, description='first part')"),
        attempt(f"{viewer}.patch_resource({a!r}, description='viewer')"),
        attempt(f"{writer}.patch_dataset_resource({created['id']!r}, {b!r}, {{'format': 'netcdf4'}})"),
        attempt(f"{writer}.search_resources(format='SURVEYcsv')"),
        attempt(f"{writer}.search_resources(q='survey.example', limit=1, offset=1)"),
        attempt(f"{writer}.delete_dataset_resource({created['id']!r}, {b!r})"),
        attempt(f"{writer}.delete_resource({c!r})"),
        attempt(f"{writer}.search_resources(name='part-')"),
        attempt(f"{writer}.delete_resource('survey')"),
        attempt(f"{writer}.search_resources(name='part-')"),
    ])
    (shown, missing, patched, refused, patched_b, csv, paged, deleted_b, deleted_c, remaining, deleted_dataset,
     empty) = results(run_ndp_ep("0.9.0", script))
    assert shown["ok"]["id"] == a and shown["ok"]["package_id"] == created["id"] and shown["ok"]["format"] == "SurveyCSV"
    assert "not found" in missing["error"].lower()
    assert patched["ok"]["description"] == "first part" and patched["ok"]["name"] == "part-a"
    assert "writer or admin role" in refused["error"]
    assert patched_b["ok"]["format"] == "netcdf4"
    # `format` is matched whole, in any case; the others are substrings.
    assert csv["ok"]["count"] == 2 and {r["name"] for r in csv["ok"]["results"]} == {"part-a", "part-c"}
    assert csv["ok"]["results"][0]["dataset_name"] == "survey" and csv["ok"]["results"][0]["dataset_title"] == "Survey"
    assert paged["ok"]["count"] == 2 and [r["name"] for r in paged["ok"]["results"]] == ["part-b"]
    assert deleted_b == {"ok": {"message": f"Resource '{b}' deleted successfully"}}
    # DELETE /resource/{id} with a resource's id deletes that resource (upstream deleted a dataset).
    assert "deleted successfully" in str(deleted_c["ok"])
    assert [r["name"] for r in remaining["ok"]["results"]] == ["part-a"]
    # With a dataset's name it deletes the dataset, as ndp-ep's delete_resource_by_name expects.
    assert deleted_dataset == {"ok": {"message": "survey deleted successfully"}}
    assert empty["ok"] == {"count": 0, "results": []}
    assert requests.get(f"{gateway.base}/resources/search", params={"limit": 0}, timeout=10).status_code == 422


def test_advanced_search_with_the_real_client(gateway):
    headers = {"Authorization": "Bearer demo-token"}
    requests.post(f"{gateway.base}/organization", json={"name": "geo-lab", "title": "Geo"}, headers=headers, timeout=10)
    for name, fmt, notes in (("quake-catalog", "CSV", "seismic events"), ("quake-maps", "GeoTIFF", "seismic hazard maps"),
                             ("bare-set", None, "seismic but no files")):
        body = {"name": name, "title": name.replace("-", " ").title(), "owner_org": "geo-lab", "notes": notes,
                "tags": ["geo"], "extras": {"instrument": "seismometer" if fmt == "CSV" else "satellite"}}
        if fmt:
            body["resources"] = [{"url": f"https://geo.example/{name}", "name": name, "format": fmt}]
        assert requests.post(f"{gateway.base}/dataset", json=body, headers=headers, timeout=10).status_code == 201
    client = f"APIClient(base_url={gateway.base!r})"
    script = "".join([
        attempt(f"{client}.advanced_search({{'search_term': 'seismic', 'owner_org': 'geo-lab', 'server': 'local'}})"),
        attempt(f"{client}.advanced_search({{'search_term': 'seismic,hazard'}})"),
        attempt(f"{client}.advanced_search({{'filter_list': ['instrument:seismometer'], 'owner_org': 'geo-lab'}})"),
        attempt(f"{client}.advanced_search({{'owner_org': 'geo-lab', 'resource_format': 'geotiff'}})"),
        attempt(f"{client}.advanced_search({{'owner_org': 'geo-lab', 'timestamp': '>2000-01-01T00:00:00Z'}})"),
        attempt(f"{client}.advanced_search({{'owner_org': 'geo-lab', 'timestamp': '/2000-01-01'}})"),
        attempt(f"{client}.advanced_search({{'owner_org': 'geo-lab', 'server': 'pre_ckan'}})"),
    ])
    seismic, hazard, instrument, geotiff, first, before_2000, pre_ckan = results(run_ndp_ep("0.9.0", script))
    # Datasets without resources are left out, as upstream.
    assert sorted(d["name"] for d in seismic["ok"]) == ["quake-catalog", "quake-maps"]
    assert [d["name"] for d in hazard["ok"]] == ["quake-maps"]
    assert [d["name"] for d in instrument["ok"]] == ["quake-catalog"]
    assert [d["name"] for d in geotiff["ok"]] == ["quake-maps"]
    assert [d["name"] for d in first["ok"]] == ["quake-catalog"]
    assert before_2000 == {"ok": []}
    assert "Pre-CKAN is disabled" in pre_ckan["error"]
    assert requests.post(f"{gateway.base}/search", json={"timestamp": "yesterday"}, timeout=10).status_code == 422


def test_the_whole_catalog_walk_with_the_real_client(gateway):
    """The issue's walk, in one client session: organization → every kind of registration →
    updates and patches → GET and POST search → resources → delete dataset → delete
    organization with its datasets."""
    client = f"APIClient(base_url={gateway.base!r}, token='demo-token')"
    org = "walk-lab"
    general = {"name": "walk-general", "title": "Walk general", "owner_org": org, "notes": "glacier melt",
               "resources": [{"url": "https://walk.example/melt.csv", "name": "melt", "format": "CSV"}]}
    kafka = {"dataset_name": "walk-kafka", "dataset_title": "Walk stream", "owner_org": org, "kafka_topic": "glacier-feed",
             "kafka_host": "kafka.walk.example", "kafka_port": 9092}
    url = {"resource_name": "walk-url", "resource_title": "Walk URL", "owner_org": org, "resource_url": "https://walk.example/ice.nc",
           "file_type": "NetCDF", "notes": "glacier ice"}
    s3 = {"resource_name": "walk-s3", "resource_title": "Walk S3", "owner_org": org, "resource_s3": "s3://walk/glacier/"}
    service = {"service_name": "walk-service", "service_title": "Walk service", "owner_org": "services",
               "service_url": "https://glacier.walk.example", "service_type": "API"}
    script = "".join([
        attempt(f"{client}.register_organization({{'name': {org!r}, 'title': 'Walk Lab'}})"),
        attempt(f"{client}.register_general_dataset({general!r})['name']"),
        attempt(f"{client}.register_kafka_topic({kafka!r})['id'] is not None"),
        attempt(f"{client}.register_url({url!r})['id'] is not None"),
        attempt(f"{client}.register_s3_link({s3!r})['id'] is not None"),
        attempt(f"{client}.register_service({service!r})['id'] is not None"),
        attempt(f"{client}.update_general_dataset('walk-general', {{'notes': 'glacier melt v2'}})"),
        attempt(f"{client}.patch_general_dataset('walk-general', {{'extras': {{'season': 'summer'}}}})"),
        attempt(f"{client}.update_kafka_topic('walk-kafka', {{'kafka_topic': 'glacier-feed-2'}})"),
        attempt(f"{client}.update_url_resource('walk-url', {{'file_type': 'NetCDF4'}})"),
        attempt(f"{client}.patch_s3_resource('walk-s3', {{'resource_s3': 's3://walk/glacier-2/'}})"),
        attempt(f"{client}.patch_service('walk-service', {{'service_title': 'Glacier service'}})"),
        attempt(f"sorted(d['name'] for d in {client}.search_datasets(['glacier'], server='local'))"),
        attempt(f"sorted(d['name'] for d in {client}.advanced_search({{'search_term': 'glacier', 'owner_org': {org!r}}}))"),
        attempt(f"{client}.search_resources(q='walk.example')['count']"),
    ])
    (created_org, general_name, *registered, general_put, general_patch, kafka_put, url_put, s3_patch, service_patch, found,
     advanced, resource_count) = results(run_ndp_ep("0.9.0", script))
    assert created_org["ok"]["message"] == "Organization created successfully" and general_name == {"ok": "walk-general"}
    assert registered == [{"ok": True}] * 4
    for answer in (general_put, general_patch, kafka_put, url_put, s3_patch, service_patch):
        assert "updated successfully" in answer["ok"]["message"], answer
    assert found == {"ok": ["walk-general", "walk-kafka", "walk-s3", "walk-service", "walk-url"]}
    assert advanced == {"ok": ["walk-general", "walk-kafka", "walk-s3", "walk-url"]}
    # melt.csv, ice.nc, the service's URL, and the Kafka resource's description ("hosted at kafka.walk.example").
    assert resource_count == {"ok": 4}

    [melt] = requests.get(f"{gateway.base}/search", params={"terms": "walk-general"}, timeout=10).json()
    assert melt["notes"] == "glacier melt v2" and melt["extras"]["season"] == "summer"
    resource_id = melt["resources"][0]["id"]
    script = "".join([
        attempt(f"{client}.patch_resource({resource_id!r}, format='TSV')['format']"),
        attempt(f"{client}.search_resources(format='tsv')['count']"),
        attempt(f"{client}.delete_resource({resource_id!r})['message']"),
        attempt(f"{client}.search_resources(format='tsv')['count']"),
        attempt(f"{client}.delete_resource_by_name('walk-url')"),
        attempt(f"sorted(d['name'] for d in {client}.search_datasets(['glacier'], server='local'))"),
        attempt(f"{client}.delete_organization({org!r})"),
        attempt(f"sorted(d['name'] for d in {client}.search_datasets(['glacier'], server='local'))"),
        attempt(f"{client}.list_organizations(server='local')"),
    ])
    (patched, tsv, deleted_resource, no_tsv, deleted_dataset, remaining, deleted_org, after,
     organizations) = results(run_ndp_ep("0.9.0", script))
    assert patched == {"ok": "TSV"} and tsv == {"ok": 1} and no_tsv == {"ok": 0}
    assert "deleted successfully" in deleted_resource["ok"]
    assert deleted_dataset == {"ok": {"message": "walk-url deleted successfully"}}
    assert remaining == {"ok": ["walk-general", "walk-kafka", "walk-s3", "walk-service"]}
    # The organization goes with its datasets; the service lives on in `services`.
    assert deleted_org == {"ok": {"message": "Organization deleted successfully"}}
    assert after == {"ok": ["walk-service"]}
    assert org not in organizations["ok"]


def test_an_unreachable_postgres_stops_start_up_without_showing_the_password():
    result = subprocess.run(
        [str(BIN / "ndp-ep-api"), "--port", "0"],
        env={"PATH": os.environ["PATH"], "LOCAL_CATALOG_BACKEND": "postgres",
             "CATALOG_POSTGRES_URL": "postgres://ndp:hunter2@127.0.0.1:1/catalog?sslmode=disable"},
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 78, result.stderr
    assert "cannot reach the catalog database postgres://ndp:***@127.0.0.1:1/catalog" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_readiness_follows_the_postgres_database(idp):
    """A dropped database (the server's connections cut) makes /ready fail, /status/ say so,
    and catalog calls answer 503 with upstream's text; nothing hangs."""
    gateway = Gateway(idp, catalog="postgres")
    try:
        headers = {"Authorization": "Bearer demo-token"}
        assert requests.post(f"{gateway.base}/organization", json={"name": "gone-lab", "title": "x"}, headers=headers, timeout=10).status_code == 201
        gateway.postgres.drop()
        ready = requests.get(f"{gateway.base}/ready", timeout=30)
        assert ready.status_code == 503 and ready.json()["checks"]["local_catalog"]["status"] == "down"
        status = requests.get(f"{gateway.base}/status/", headers=headers, timeout=30).json()
        assert status["local_catalog_backend"] == "postgres" and status["backend_connected"] is False
        listed = requests.get(f"{gateway.base}/organization?server=local", timeout=30)
        assert listed.status_code == 503 and listed.json()["detail"] == "Local catalog is currently unavailable. Please try again later."
    finally:
        assert gateway.stop() == 0


def test_bulk_import_beside_the_running_gateway(gateway, tmp_path):
    """`ndp-ep-api --import-datasets` loads JSON Lines into the catalog the gateway serves:
    good lines are stored and found; each refused line is named with its reason; exit 1."""
    headers = {"Authorization": "Bearer demo-token"}
    assert requests.post(f"{gateway.base}/organization", json={"name": "import-lab", "title": "Imports"}, headers=headers,
                         timeout=10).status_code == 201
    lines = [json.dumps({"name": f"imported-{n}", "title": f"Imported {n}", "owner_org": "import-lab", "notes": "tundra survey",
                         "extras": {"ndp_user_id": "0123456789abcdef"},
                         "resources": [{"url": f"https://import.example/{n}.csv", "name": f"part-{n}", "format": "CSV"}]})
             for n in range(300)]
    lines += ["not json", json.dumps({"name": "imported-7", "title": "Again", "owner_org": "import-lab"}),
              json.dumps({"name": "stray-set", "title": "Stray", "owner_org": "no-such-lab"}), json.dumps({"title": "no name"})]
    source = tmp_path / "datasets.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = subprocess.run([str(BIN / "ndp-ep-api"), "--import-datasets", str(source)],
                            env={"PATH": os.environ["PATH"], "ORGANIZATION": "Test Lab", **gateway.catalog_env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["imported"] == 300 and summary["refused"] == 4
    assert "line 301: not a JSON object" in result.stderr
    assert "line 302: Duplicate Dataset: a dataset named 'imported-7' already exists" in result.stderr
    assert "line 303: Organization does not exist: 'no-such-lab'" in result.stderr
    assert "line 304: name: Field required" in result.stderr
    found = requests.get(f"{gateway.base}/search", params={"terms": "tundra", "server": "local"}, timeout=30).json()
    assert len(found) == 300
    # The dump's creator stays the creator; the endpoint's group mark is added.
    assert {d["extras"]["ndp_user_id"] for d in found} == {"0123456789abcdef"} and {d["extras"]["ndp_group_id"] for d in found} == {"Test Lab"}
    listed = requests.get(f"{gateway.base}/resources/search", params={"q": "import.example", "limit": 1000}, timeout=30).json()
    assert listed["count"] == 300
