"""Two ndp-ep-api processes federated over CKAN's action API: A keeps its own SQLite catalog; B
reads A as its global catalog (`CKAN_GLOBAL_URL`) and writes to A as its Pre-CKAN
(`PRE_CKAN_URL`, a writer's token as `PRE_CKAN_API_KEY`). The real ndp-ep 0.9.0 client talks
to B; ckanapi checks what landed on A."""
import ckanapi
import pytest
import requests

from conftest import free_port
from rexec_harness import Gateway, attempt, results, run_ndp_ep


@pytest.fixture(scope="module")
def pair(idp):
    a = Gateway(idp)
    writer = ckanapi.RemoteCKAN(a.base, apikey="demo-token")
    writer.action.organization_create(name="glacier-lab", title="Glacier Lab")
    writer.action.organization_create(name="pre-lab", title="Submissions")
    for index, notes in enumerate(["glacier melt series", "glacier mass balance", "sea ice extent"]):
        writer.action.package_create(
            name=f"a-set-{index}", title=f"A set {index}", owner_org="glacier-lab", notes=notes,
            resources=[{"url": f"https://a.example.org/{index}.csv", "name": f"file-{index}", "format": "CSV"}])
    writer.action.package_create(name="a-private", title="Private", owner_org="glacier-lab", notes="glacier secrets", private=True)
    b = Gateway(idp, env={"CKAN_GLOBAL_URL": a.base, "PRE_CKAN_ENABLED": "true", "PRE_CKAN_URL": a.base,
                          "PRE_CKAN_API_KEY": "demo-token", "PRE_CKAN_ORGANIZATION": "pre-lab", "ORGANIZATION": "B Lab"})
    yield a, b
    assert b.stop() == 0
    assert a.stop() == 0


def test_global_search_on_b_finds_a_public_datasets(pair):
    a, b = pair
    client = f"APIClient(base_url={b.base!r}, token='demo-token')"
    script = "".join([
        attempt(f"sorted(d['name'] for d in {client}.search_datasets(['glacier']))"),
        attempt(f"{client}.search_datasets(['glacier'], server='local')"),
        attempt(f"[d for d in {client}.search_datasets(['melt'])][0]"),
        attempt(f"{client}.list_organizations()"),
        attempt(f"sorted(d['name'] for d in {client}.advanced_search({{'search_term': 'glacier', 'server': 'global'}}))"),
    ])
    found, local, melt, organizations, advanced = results(run_ndp_ep("0.9.0", script))
    # Every dataset of glacier-lab holds the word (its organization's name); A's private
    # dataset stays on A: B asks A without a key.
    assert found == {"ok": ["a-set-0", "a-set-1", "a-set-2"]}
    assert local == {"ok": []}
    item = melt["ok"]
    assert item["owner_org"] == "glacier-lab" and item["resources"][0]["url"] == "https://a.example.org/0.csv"
    assert item["extras"]["ndp_group_id"] == "Test Lab"
    assert organizations == {"ok": ["glacier-lab", "pre-lab", "services"]}
    assert advanced == {"ok": ["a-set-0", "a-set-1", "a-set-2"]}

    # Operators see the remote catalogs: counted calls, Pre-CKAN in /status/ and /ready.
    metrics = requests.get(f"{b.url}/metrics", timeout=10).text
    assert 'ckan_requests_total{catalog="global",result="ok"}' in metrics
    assert "ckan_request_duration_seconds" in metrics
    status = requests.get(f"{b.base}/status/", headers={"Authorization": "Bearer demo-token"}, timeout=10).json()
    assert status["pre_ckan_enabled"] is True and status["pre_ckan_connected"] is True
    assert requests.get(f"{b.base}/ready", timeout=10).json()["checks"]["pre_ckan"]["status"] == "up"


def test_an_unreachable_global_catalog_is_upstreams_503(idp):
    b = Gateway(idp, env={"CKAN_GLOBAL_URL": f"http://127.0.0.1:{free_port()}", "CKAN_TIMEOUT_SECONDS": "5"})
    try:
        answer = requests.get(f"{b.base}/search", params={"terms": "glacier"}, timeout=30)
        assert answer.status_code == 503
        assert answer.json()["detail"] == "Global catalog is currently unavailable. Please try again later."
        listing = requests.get(f"{b.base}/organization", timeout=30)
        assert listing.status_code == 503
        # The local catalog is unaffected.
        assert requests.get(f"{b.base}/search", params={"terms": "glacier", "server": "local"}, timeout=30).json() == []
    finally:
        assert b.stop() == 0


def test_publish_copies_a_dataset_of_b_to_a(pair):
    a, b = pair
    headers = {"Authorization": "Bearer demo-token"}
    assert requests.post(f"{b.base}/organization", json={"name": "b-lab", "title": "B Lab"}, headers=headers, timeout=10).status_code == 201
    created = requests.post(f"{b.base}/dataset", headers=headers, timeout=10, json={
        "name": "b-survey", "title": "B survey", "owner_org": "b-lab", "notes": "fjord soundings", "tags": ["fjord"],
        "extras": {"vessel": "RV Polar"},
        "resources": [{"url": "https://b.example.org/soundings.csv", "name": "soundings", "format": "CSV"},
                      {"url": "https://b.example.org/readme.txt", "name": "readme"}]})
    assert created.status_code == 201, created.text

    # Who may publish: whoever may update the local dataset (a viewer may not).
    refused = requests.post(f"{b.base}/dataset/b-survey/publish", headers={"Authorization": "Bearer viewer-token"}, timeout=30)
    assert refused.status_code == 403
    assert requests.post(f"{b.base}/dataset/no-such-set/publish", headers=headers, timeout=30).status_code == 404

    published = requests.post(f"{b.base}/dataset/b-survey/publish", headers=headers, timeout=30)
    assert published.status_code == 201, published.text
    answer = published.json()
    assert answer["message"] == "Dataset published to PRE-CKAN successfully" and answer["name"] == "b-survey" and answer["warning"] is None

    on_a = ckanapi.RemoteCKAN(a.base).action.package_show(id="b-survey")
    assert on_a["id"] == answer["id"] and on_a["organization"]["name"] == "pre-lab" and on_a["notes"] == "fjord soundings"
    assert [(r["name"], r["url"]) for r in on_a["resources"]] == [
        ("soundings", "https://b.example.org/soundings.csv"), ("readme", "https://b.example.org/readme.txt")]
    extras = {e["key"]: e["value"] for e in on_a["extras"]}
    assert extras["status"] == "submitted" and extras["vessel"] == "RV Polar" and extras["ndp_group_id"] == "B Lab"
    local = requests.get(f"{b.base}/search", params={"terms": "fjord", "server": "local"}, timeout=10).json()
    assert local[0]["extras"]["status"] == "submitted"

    # Publishing again: the name is taken on A, so the copy is renamed and the answer says so.
    again = requests.post(f"{b.base}/dataset/b-survey/publish", headers=headers, timeout=30).json()
    assert again["name"].startswith("b-survey-") and "already exists" in again["warning"]
    assert ckanapi.RemoteCKAN(a.base).action.package_show(id=again["name"])["title"].startswith("B survey (")

    # server=pre_ckan: the catalog routes write to A.
    client = f"APIClient(base_url={b.base!r}, token='demo-token')"
    script = attempt(f"{client}.register_general_dataset({{'name': 'via-pre-ckan', 'title': 'Via', 'owner_org': 'pre-lab'}}, server='pre_ckan')")
    [registered] = results(run_ndp_ep("0.9.0", script))
    assert registered["ok"]["name"] == "via-pre-ckan"
    assert ckanapi.RemoteCKAN(a.base).action.package_show(id="via-pre-ckan")["id"] == registered["ok"]["id"]
    assert requests.get(f"{b.base}/search", params={"terms": "via-pre-ckan", "server": "local"}, timeout=10).json() == []


def test_a_publish_that_fails_leaves_nothing_on_pre_ckan(idp, pair):
    a, _ = pair
    # B2 publishes into an organization A does not have: A refuses the copy; nothing is left on
    # A and B2's dataset is not marked.
    b2 = Gateway(idp, env={"PRE_CKAN_ENABLED": "true", "PRE_CKAN_URL": a.base, "PRE_CKAN_API_KEY": "demo-token",
                           "PRE_CKAN_ORGANIZATION": "no-such-lab"})
    try:
        headers = {"Authorization": "Bearer demo-token"}
        requests.post(f"{b2.base}/organization", json={"name": "b2-lab", "title": "B2"}, headers=headers, timeout=10)
        requests.post(f"{b2.base}/dataset", headers=headers, timeout=10, json={
            "name": "b2-set", "title": "B2 set", "owner_org": "b2-lab", "resources": [{"url": "https://b2.example.org/x", "name": "x"}]})
        failed = requests.post(f"{b2.base}/dataset/b2-set/publish", headers=headers, timeout=30)
        assert failed.status_code == 400
        assert failed.json()["detail"] == "Pre-CKAN has no organization 'no-such-lab' (PRE_CKAN_ORGANIZATION); nothing was published."
        with pytest.raises(ckanapi.NotFound):
            ckanapi.RemoteCKAN(a.base, apikey="admin-token").action.package_show(id="b2-set")
        local = requests.get(f"{b2.base}/search", params={"terms": "b2", "server": "local"}, timeout=10).json()
        assert "status" not in local[0]["extras"]
        # A Pre-CKAN that refuses the key is this endpoint's configuration problem: 502.
        b3 = Gateway(idp, env={"PRE_CKAN_ENABLED": "true", "PRE_CKAN_URL": a.base, "PRE_CKAN_API_KEY": "viewer-token",
                               "PRE_CKAN_ORGANIZATION": "pre-lab"})
        try:
            requests.post(f"{b3.base}/organization", json={"name": "b3-lab", "title": "B3"}, headers=headers, timeout=10)
            requests.post(f"{b3.base}/dataset", headers=headers, timeout=10, json={"name": "b3-set", "title": "B3", "owner_org": "b3-lab"})
            refused = requests.post(f"{b3.base}/dataset/b3-set/publish", headers=headers, timeout=30)
            assert refused.status_code == 502 and "refused this endpoint's API key" in refused.json()["detail"], refused.text
        finally:
            assert b3.stop() == 0
    finally:
        assert b2.stop() == 0
    # Pre-CKAN off: upstream's 400.
    off = requests.post(f"{a.base}/dataset/a-set-0/publish", headers={"Authorization": "Bearer demo-token"}, timeout=30)
    assert off.status_code == 400 and off.json()["detail"] == "Pre-CKAN is disabled and cannot be used."
