"""The access-request workflow of ndp-ep-api end to end with the dev IdP as the AAI: a user the
group gate refuses asks to be let in, an admin approves, the AAI adds them to the endpoint's
group (and assigns the role), and their next request passes the gate."""
import pytest
import requests

from rexec_harness import Gateway, serving

ENDPOINT_GROUP = "ep-uuid-42"


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gateway(idp, request):
    # Each gateway starts from the dev IdP's users as configured (no earlier approval).
    requests.post(f"{idp.url}/_dev/reset", timeout=10).raise_for_status()
    yield from serving(Gateway(idp, catalog=request.param, env={
        "ENABLE_ACCESS_REQUESTS": "True", "AFFINITIES_EP_UUID": ENDPOINT_GROUP, "GROUP_NAMES": "/ndp_ep/ep-demo"}))


def call(gateway, method, path, token=None, **kwargs):
    return requests.request(method, f"{gateway.base}{path}", headers=auth(token) if token else {}, timeout=30, **kwargs)


def test_a_refused_user_gets_in_after_approval(gateway, idp):
    assert call(gateway, "GET", "/user/info", "outsider-token").status_code == 403

    filed = call(gateway, "POST", "/user/access-requests", "outsider-token", json={"justification": "I run the lab's sensors."})
    assert filed.status_code == 201, filed.text
    request = filed.json()
    assert {"status": "pending", "username": "outsider@example.org", "email": "outsider@example.org",
            "justification": "I run the lab's sensors.", "decided_at": None, "grant_type": None}.items() <= request.items()
    again = call(gateway, "POST", "/user/access-requests", "outsider-token", json={})
    assert again.status_code == 409 and again.json()["detail"] == "You already have a pending access request."

    not_admin = call(gateway, "GET", "/user/access-requests", "demo-token")
    assert not_admin.status_code == 403 and "Administrator role required." in not_admin.json()["detail"]
    pending = call(gateway, "GET", "/user/access-requests", "admin-token").json()
    assert [r["id"] for r in pending] == [request["id"]]

    # The AAI fails: nothing is approved, the reason is kept, the request stays pending.
    requests.post(f"{idp.url}/_dev/faults", json={"aai_status": 500}, timeout=10).raise_for_status()
    failed = call(gateway, "POST", f"/user/access-requests/{request['id']}/approve", "admin-token", json={"grant_type": "writer"})
    assert failed.status_code == 502 and "/group/add-user" in failed.json()["detail"]
    still = call(gateway, "GET", "/user/access-requests", "admin-token").json()
    assert still[0]["status"] == "pending" and "HTTP 500" in still[0]["last_error"]
    assert call(gateway, "GET", "/user/info", "outsider-token").status_code == 403
    requests.post(f"{idp.url}/_dev/faults", json={}, timeout=10).raise_for_status()

    bad_grant = call(gateway, "POST", f"/user/access-requests/{request['id']}/approve", "admin-token", json={"grant_type": "owner"})
    assert bad_grant.status_code == 422
    approved = call(gateway, "POST", f"/user/access-requests/{request['id']}/approve", "admin-token",
                    json={"grant_type": "writer", "notes": "welcome"})
    assert approved.status_code == 200, approved.text
    assert {"status": "approved", "grant_type": "writer", "decision_notes": "welcome", "decided_by_username": "admin@example.org",
            "last_error": None}.items() <= approved.json().items()

    # At once, not after the cache's TTL: the EP dropped the user's cached identity.
    info = call(gateway, "GET", "/user/info", "outsider-token")
    assert info.status_code == 200, info.text
    assert ENDPOINT_GROUP in info.json()["groups"] and info.json()["effective_role"] == "writer"

    twice = call(gateway, "POST", f"/user/access-requests/{request['id']}/approve", "admin-token", json={"grant_type": "writer"})
    assert twice.status_code == 409
    assert call(gateway, "POST", "/user/access-requests/no-such-id/reject", "admin-token", json={}).status_code == 404


def test_rejection_and_listing_by_status(gateway):
    filed = call(gateway, "POST", "/user/access-requests", "viewer-token")
    assert filed.status_code == 201, filed.text
    rejected = call(gateway, "POST", f"/user/access-requests/{filed.json()['id']}/reject", "admin-token", json={"notes": "not now"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected" and rejected.json()["decision_notes"] == "not now"
    listed = call(gateway, "GET", "/user/access-requests?status=rejected", "admin-token").json()
    assert filed.json()["id"] in [r["id"] for r in listed]
    assert all(r["status"] == "rejected" for r in listed)
    assert len(call(gateway, "GET", "/user/access-requests?status=all", "admin-token").json()) >= 2
    assert call(gateway, "GET", "/user/access-requests?status=maybe", "admin-token").status_code == 422
    # A rejected user may ask again.
    assert call(gateway, "POST", "/user/access-requests", "viewer-token", json={"justification": "x" * 2001}).status_code == 422
    assert call(gateway, "POST", "/user/access-requests", "viewer-token", json={"justification": "please"}).status_code == 201


def test_disabled_workflow_answers_503_after_authentication(idp):
    gateway = Gateway(idp)
    try:
        assert call(gateway, "POST", "/user/access-requests", json={}).status_code == 401
        disabled = call(gateway, "POST", "/user/access-requests", "outsider-token", json={})
        assert disabled.status_code == 503 and disabled.json()["detail"] == "Access-request workflow is disabled on this deployment."
    finally:
        assert gateway.stop() == 0
