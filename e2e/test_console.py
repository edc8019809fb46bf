"""The web console at /ep/ui/, driven in a real browser: Debian's Chromium through its
chromedriver, with selenium. It signs in as the users of the dev IdP, searches, reads a
dataset, creates an organization, and checks what a browser must never see: inline script
allowed, a token in a URL or in the page, a title's markup run."""
import os
import shutil
from pathlib import Path

import pytest
import requests

from rexec_harness import CONFIDENTIAL_CLIENT, Gateway, S3Server, serving, wait_until

CHROMEDRIVER = shutil.which("chromedriver")
WRITER = {"Authorization": "Bearer demo-token"}

pytestmark = pytest.mark.skipif(CHROMEDRIVER is None, reason="chromium-driver is not installed (scripts/install-deps.sh installs it)")


@pytest.fixture(scope="module")
def s3():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def staging_roots(tmp_path_factory):
    base = tmp_path_factory.mktemp("console-staging")
    (base / "source" / "survey").mkdir(parents=True)
    (base / "target").mkdir()
    (base / "source" / "survey" / "big.bin").write_bytes(bytes(range(256)) * 40_000)
    return base


@pytest.fixture(scope="module")
def gateway(idp, s3, staging_roots):
    requests.post(f"{idp.url}/_dev/reset", timeout=10).raise_for_status()
    yield from serving(Gateway(idp, env={
        "ENABLE_ACCESS_REQUESTS": "True", "AFFINITIES_EP_UUID": "ep-demo", **s3.gateway_env(), "STAGING_ENABLED": "true",
        "STAGING_SOURCE_ROOT": str(staging_roots / "source"), "STAGING_TARGET_ROOT": str(staging_roots / "target")}))


@pytest.fixture(scope="module")
def catalog(gateway):
    """An organization with a few datasets, one of them with markup in its title."""
    def post(path, body):
        answer = requests.post(f"{gateway.base}{path}", json=body, headers=WRITER, timeout=10)
        assert answer.status_code in (200, 201), answer.text
    post("/organization", {"name": "ocean-lab", "title": "Ocean Lab"})
    for index in range(25):
        post("/dataset", {"name": f"buoy-{index:02d}", "title": f"Buoy {index:02d}", "owner_org": "ocean-lab", "notes": "sea surface buoys",
                          "resources": [{"url": f"https://example.org/buoy-{index}.csv", "name": "readings", "format": "CSV"}]})
    post("/dataset", {"name": "markup", "title": "<script>window.pwned = 1</script><b>bold</b>", "owner_org": "ocean-lab",
                      "notes": "<img src=x onerror=\"window.pwned = 2\">",
                      "resources": [{"url": "https://example.org/<b>", "name": "<i>trap</i>", "format": "HTML"}]})


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--disable-gpu"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "console"


def shoot(browser, name):
    """With CONSOLE_SCREENSHOTS=1 (`make docs`), the page as it is now, for docs/console.md."""
    if os.environ.get("CONSOLE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def find(browser, css, timeout=15):
    """The first element matching `css` once it is on the page."""
    from selenium.webdriver.common.by import By
    return wait_until(f"{css} on the page", lambda: next(iter(browser.find_elements(By.CSS_SELECTOR, css)), None), timeout=timeout)


def text_of(browser, css):
    """The text of the first element matching `css` now (None if none): read in the page, so a
    re-render between finding and reading cannot leave a stale reference."""
    return browser.execute_script("return document.querySelector(arguments[0])?.textContent ?? null", css)


def click(browser, css, timeout=15):
    """Clicks the element matching `css`, found again if the page re-rendered it meanwhile."""
    from selenium.common.exceptions import StaleElementReferenceException

    def clicked():
        try:
            find(browser, css, timeout=timeout).click()
            return True
        except StaleElementReferenceException:
            return None
    wait_until(f"{css} clicked", clicked, timeout=timeout)


def text_appears(browser, text, timeout=15):
    from selenium.webdriver.common.by import By
    wait_until(f"{text!r} on the page", lambda: text in browser.find_element(By.TAG_NAME, "body").text, timeout=timeout)


def sign_in(browser, gateway, username, password):
    browser.get(f"{gateway.base}/ui/")
    find(browser, "input[name=username]")
    shoot(browser, "sign-in")
    find(browser, "input[name=username]").send_keys(username)
    find(browser, "input[name=password]").send_keys(password)
    find(browser, "form button[type=submit]").click()


def signed_in(browser, gateway, username, password):
    """Signed in by password, on the search page once its first answer is shown."""
    sign_in(browser, gateway, username, password)
    wait_until("signed in", lambda: text_of(browser, "#result-count"))


def sign_in_at_provider(browser, username, password):
    """The dev IdP's login form, from the console's OIDC button."""
    click(browser, "#oidc-sign-in")
    find(browser, "#username").send_keys(username)
    find(browser, "#password").send_keys(password)
    if username == "demo@example.org":
        shoot(browser, "dev-idp-sign-in")
    click(browser, "form button[type=submit]")


def test_the_page_is_served_cacheable_and_locked_down(gateway):
    bare = requests.get(f"{gateway.base}/ui", allow_redirects=False, timeout=10)
    assert bare.status_code == 301 and bare.headers["Location"] == "ui/"
    page = requests.get(f"{gateway.base}/ui/datasets/anything", timeout=10)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-cache"
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert requests.get(f"{gateway.base}/ui/", headers={"If-None-Match": page.headers["ETag"]}, timeout=10).status_code == 304
    script = next(part.split('"')[1] for part in page.text.split("src=")[1:] if "/ui/assets/console." in part)
    asset = requests.get(f"{gateway.url}{script}", timeout=10)
    assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    assert asset.headers["Content-Type"].startswith("text/javascript")
    assert requests.get(f"{gateway.base}/ui/assets/console.0000000000000000.js", timeout=10).status_code == 404


def test_a_writer_signs_in_searches_reads_and_creates(gateway, catalog, browser):
    sign_in(browser, gateway, "demo@example.org", "demo-password")
    wait_until("the first search answered", lambda: text_of(browser, "#result-count") == "26 datasets")
    # Search, a page at a time.
    box = find(browser, "input[name=q]")
    box.send_keys("buoys")
    click(browser, "form[role=search] button[type=submit]")
    wait_until("25 results counted", lambda: text_of(browser, "#result-count") == "25 datasets")
    cards = browser.find_elements("css selector", "article.dataset")
    assert len(cards) == 20, browser.page_source
    text_appears(browser, "Page 1 of 2")
    click(browser, "nav.pager button:last-child")
    text_appears(browser, "Page 2 of 2")
    shoot(browser, "search")
    assert "page=2" in browser.current_url and "token" not in browser.current_url

    # A title with markup is text (the API refuses javascript: URLs; the console links only http(s)).
    browser.get(f"{gateway.base}/ui/datasets/markup")
    text_appears(browser, "<script>window.pwned = 1</script><b>bold</b>")
    assert browser.execute_script("return window.pwned === undefined")
    text_appears(browser, "<i>trap</i>")
    shoot(browser, "dataset-with-markup")
    assert "<b>bold</b>" not in browser.page_source.replace("&lt;b&gt;", "")

    # A new organization, then it is listed.
    browser.get(f"{gateway.base}/ui/organizations")
    find(browser, "input[name=name]").send_keys("console-lab")
    find(browser, "input[name=title]").send_keys("Console Lab")
    find(browser, "form.card button[type=submit]").click()
    wait_until("console-lab listed", lambda: "console-lab" in (text_of(browser, "#organizations") or ""))
    shoot(browser, "organizations")
    assert "console-lab" in requests.get(f"{gateway.base}/organization", params={"server": "local"}, timeout=10).json()

    # No token anywhere a browser keeps or shows it, except this tab's session storage.
    assert "demo-token" not in browser.page_source and "token=" not in browser.current_url
    assert browser.execute_script("return Object.keys(localStorage).length") == 0
    # Signing out forgets it.
    find(browser, "header button.secondary").click()
    find(browser, "input[name=username]")
    assert browser.execute_script("return sessionStorage.length") == 0
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE" and "favicon" not in entry["message"]]
    assert severe == [], severe


def test_actions_follow_the_access_policy_not_the_role(gateway, catalog, browser):
    """Deleting a dataset needs its creator or an admin: a writer sees Edit on an admin's
    dataset but no Delete, because the console asks the policy (GET /user/permissions)."""
    admin = {"Authorization": "Bearer admin-token"}
    made = requests.post(f"{gateway.base}/dataset", json={"name": "admins-own", "title": "Admin's own", "owner_org": "ocean-lab"},
                         headers=admin, timeout=10)
    assert made.status_code in (200, 201), made.text
    ask = lambda token, **query: requests.get(f"{gateway.base}/user/permissions", params=query,  # noqa: E731
                                              headers={"Authorization": f"Bearer {token}"} if token else {}, timeout=10)
    assert ask("demo-token", entity="dataset", id="admins-own").json() == {
        "entity": "dataset", "id": "admins-own", "create": True, "read": True, "update": True, "delete": False}
    assert ask("admin-token", entity="dataset", id="admins-own").json()["delete"] is True
    assert ask("demo-token", entity="dataset", id="buoy-01").json()["delete"] is True  # demo made it
    assert ask("viewer-token", entity="storage").json() == {"entity": "storage", "create": False, "read": False, "update": False,
                                                           "delete": False}
    # The access-request queue is private to the admins who decide it: asked about as such.
    assert ask("viewer-token", entity="access_request", visibility="private").json()["read"] is False
    assert ask("admin-token", entity="access_request", visibility="private").json()["update"] is True
    assert ask("demo-token", entity="dataset", id="buoy-01", visibility="private").status_code == 422  # a named one has its own
    assert ask("demo-token", entity="access_request", visibility="secret").status_code == 422
    assert ask("demo-token", entity="spaceship").status_code == 422
    assert ask("demo-token", entity="dataset", id="no-such-dataset").status_code == 404
    assert ask(None, entity="dataset").status_code == 401
    assert ask("outsider-token", entity="dataset").status_code == 403

    signed_in(browser, gateway, "demo@example.org", "demo-password")
    browser.get(f"{gateway.base}/ui/datasets/admins-own")
    text_appears(browser, "Admin's own")
    find(browser, "a[href$='/datasets/admins-own/edit']")
    assert not browser.find_elements("css selector", "button.danger")
    browser.get(f"{gateway.base}/ui/datasets/buoy-01")
    find(browser, "button.danger")


def test_a_reader_sees_no_write_action(gateway, catalog, browser):
    sign_in(browser, gateway, "viewer@example.org", "viewer-password")
    text_appears(browser, "Find data")
    browser.get(f"{gateway.base}/ui/datasets/buoy-01")
    text_appears(browser, "Buoy 01")
    assert not browser.find_elements("css selector", "button.danger")
    assert not browser.find_elements("css selector", "a[href$='/edit']")
    browser.get(f"{gateway.base}/ui/organizations")
    text_appears(browser, "ocean-lab")
    assert not browser.find_elements("css selector", "input[name=name]")
    # No menu entry for what the policy refuses a reader; the policy itself, which every user
    # may read by default, is offered read-only.
    menu = text_of(browser, "header nav")
    assert "New dataset" not in menu and "Storage" not in menu and "Access requests" not in menu and "Policy" in menu
    browser.get(f"{gateway.base}/ui/access-requests")
    text_appears(browser, "The access policy does not allow you to read access_request (private)")


def test_wrong_credentials_and_an_outsider_asking_for_access(gateway, browser):
    sign_in(browser, gateway, "demo@example.org", "wrong")
    find(browser, "p.error")
    assert find(browser, "input[name=username]")
    # By token: the outsider passes the IdP but not the group gate, and may ask to be let in.
    browser.get(f"{gateway.base}/ui/")
    find(browser, "button[role=tab]:nth-child(2)").click()
    find(browser, "input[name=token]").send_keys("outsider-token")
    find(browser, "form button[type=submit]").click()
    find(browser, "textarea[name=justification]").send_keys("I run the buoys.")
    find(browser, "form.card button[type=submit]").click()
    text_appears(browser, "Request submitted.")
    pending = requests.get(f"{gateway.base}/user/access-requests", headers={"Authorization": "Bearer admin-token"}, timeout=10).json()
    assert any(request["username"] == "outsider@example.org" and request["justification"] == "I run the buoys." for request in pending)
    assert "outsider-token" not in browser.page_source


def test_a_dataset_is_created_edited_and_deleted_in_forms(gateway, catalog, browser):
    signed_in(browser, gateway, "demo@example.org", "demo-password")
    click(browser, f"header nav a[href='/ep/ui/datasets/new']")
    find(browser, "input[name=name]").send_keys("tide-gauges")
    find(browser, "input[name=title]").send_keys("Tide gauges")
    find(browser, "textarea[name=notes]").send_keys("hourly sea level")
    find(browser, "input[name=tags]").send_keys("sea, tides")
    find(browser, "input[name=resource-name]").send_keys("levels")
    find(browser, "input[name=resource-url]").send_keys("https://example.org/levels.csv")
    find(browser, "input[name=resource-format]").send_keys("CSV")
    shoot(browser, "dataset-form")
    click(browser, "form.card button[type=submit]")
    wait_until("the dataset's page", lambda: browser.current_url.endswith("/ui/datasets/tide-gauges"))
    text_appears(browser, "hourly sea level")
    text_appears(browser, "https://example.org/levels.csv")
    shoot(browser, "dataset")

    click(browser, "a[href$='/datasets/tide-gauges/edit']")
    title = find(browser, "input[name=title]")
    wait_until("the form is filled", lambda: title.get_attribute("value") == "Tide gauges")
    title.clear()
    title.send_keys("Tide gauges, checked")
    click(browser, "form.card button[type=submit]")
    text_appears(browser, "Tide gauges, checked")
    [found] = requests.get(f"{gateway.base}/search", params={"terms": "tide-gauges", "server": "local"}, timeout=10).json()
    assert found["title"] == "Tide gauges, checked" and [r["url"] for r in found["resources"]] == ["https://example.org/levels.csv"]

    click(browser, "button.danger")
    browser.switch_to.alert.accept()
    wait_until("back to search", lambda: text_of(browser, "#result-count"))
    assert requests.get(f"{gateway.base}/search", params={"terms": "tide-gauges", "server": "local"}, timeout=10).json() == []


def test_storage_buckets_and_objects(gateway, s3, browser, tmp_path):
    upload = tmp_path / "readings.csv"
    upload.write_bytes(b"t,level\n0,1.5\n" * 1000)
    signed_in(browser, gateway, "demo@example.org", "demo-password")
    click(browser, "header nav a[href='/ep/ui/storage']")
    find(browser, "input[name=bucket]").send_keys("console-bucket")
    click(browser, "form.card button[type=submit]")
    click(browser, "#buckets a")
    find(browser, "input[name=file]").send_keys(str(upload))
    click(browser, "form.card button[type=submit]")
    wait_until("the object is listed", lambda: "readings.csv" in (text_of(browser, "#objects") or ""))
    assert s3.client().get_object(Bucket="console-bucket", Key="readings.csv")["Body"].read() == upload.read_bytes()
    click(browser, "#objects button.secondary:nth-child(2)")
    wait_until("a presigned link", lambda: "X-Amz-Signature=" in (text_of(browser, "code.presigned") or ""))
    shoot(browser, "storage")
    assert requests.get(text_of(browser, "code.presigned"), timeout=10).content == upload.read_bytes()
    click(browser, "#objects button.danger")
    text_appears(browser, "This bucket is empty.")
    click(browser, "button.danger")
    wait_until("the bucket is gone", lambda: browser.current_url.endswith("/ui/storage") and "console-bucket" not in (text_of(browser, "main") or ""))


def test_a_service_is_registered_and_reached_through_its_proxy_url(gateway, catalog, browser):
    signed_in(browser, gateway, "demo@example.org", "demo-password")
    browser.get(f"{gateway.base}/ui/services")
    find(browser, "input[name=service_name]").send_keys("ep-health")
    find(browser, "input[name=service_title]").send_keys("The endpoint's own health")
    find(browser, "input[name=service_url]").send_keys(f"{gateway.url}/ep/health")
    find(browser, "input[name=health_check_url]").send_keys(f"{gateway.url}/ep/health")
    click(browser, "form.card button[type=submit]")
    wait_until("the service is listed", lambda: text_of(browser, "code.proxy-url"))
    proxy = text_of(browser, "code.proxy-url")
    click(browser, "#check-health")
    wait_until("the health report", lambda: "1 up, 0 down" in (text_of(browser, "#service-health") or ""), timeout=30)
    shoot(browser, "services")
    assert proxy == f"{gateway.base}/services/redirect/ep-health"
    browser.get(proxy)
    text_appears(browser, '"status":"healthy"')


def test_an_admin_approves_an_outsiders_request_in_the_console(gateway, browser):
    asked = requests.post(f"{gateway.base}/user/access-requests", headers={"Authorization": "Bearer member-token"},
                          json={"justification": "a member asks for more"}, timeout=10)
    assert asked.status_code in (201, 409), asked.text
    signed_in(browser, gateway, "admin@example.org", "admin-password")
    click(browser, "header nav a[href='/ep/ui/access-requests']")
    wait_until("the request is listed", lambda: "member@example.org" in (text_of(browser, "#access-requests") or ""))
    shoot(browser, "access-requests")
    cards = browser.find_elements("css selector", "article.access-request")
    card = next(card for card in cards if "member@example.org" in card.text)
    card.find_element("css selector", "select[name=grant_type] option[value=writer]").click()
    card.find_element("css selector", "button:not(.danger)").click()
    wait_until("approved", lambda: "member@example.org" not in (text_of(browser, "main") or ""))
    decided = requests.get(f"{gateway.base}/user/access-requests", params={"status": "approved"}, headers={"Authorization": "Bearer admin-token"},
                           timeout=10).json()
    assert any(r["username"] == "member@example.org" and r["grant_type"] == "writer" for r in decided)


@pytest.fixture(scope="module")
def oidc_gateway(idp):
    """The endpoint with the console's OIDC sign-in at the dev IdP (a public client)."""
    yield from serving(Gateway(idp, env={
        "OIDC_ENABLED": "true", "OIDC_ISSUER": idp.url, "OIDC_CLIENT_ID": "ep-console", "OIDC_HELP_TEXT": "Your lab account",
        "ENABLE_ACCESS_REQUESTS": "True", "AFFINITIES_EP_UUID": "ep-demo"}))


def test_the_dev_idp_is_an_openid_provider_a_standard_client_accepts(idp):
    """Discovery, the code flow with PKCE, and an ID token PyJWT verifies against the JWKS."""
    import base64
    import hashlib
    import secrets
    from urllib.parse import parse_qs, urlparse

    import jwt

    metadata = requests.get(f"{idp.url}/.well-known/openid-configuration", timeout=10).json()
    assert metadata["issuer"] == idp.url and metadata["code_challenge_methods_supported"] == ["S256"]
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    request = {"response_type": "code", "client_id": "a-client", "redirect_uri": "http://127.0.0.1:1/back", "scope": "openid email",
               "state": "s", "nonce": "n", "code_challenge": challenge, "code_challenge_method": "S256"}
    without_pkce = requests.get(metadata["authorization_endpoint"], params={**request, "code_challenge_method": "plain"},
                                allow_redirects=False, timeout=10)
    assert without_pkce.status_code == 302 and "error=invalid_request" in without_pkce.headers["Location"]
    assert requests.get(metadata["authorization_endpoint"], params={**request, "redirect_uri": "javascript:alert(1)"}, timeout=10).status_code == 400
    refused = requests.post(metadata["authorization_endpoint"], data={**request, "username": "demo@example.org", "password": "nope"}, timeout=10)
    assert refused.status_code == 200 and "Invalid username or password." in refused.text
    signed_in = requests.post(metadata["authorization_endpoint"], data={**request, "username": "demo@example.org", "password": "demo-password"},
                              allow_redirects=False, timeout=10)
    assert signed_in.status_code == 302
    back = parse_qs(urlparse(signed_in.headers["Location"]).query)
    assert back["state"] == ["s"]
    exchange = {"grant_type": "authorization_code", "code": back["code"][0], "client_id": "a-client",
                "redirect_uri": "http://127.0.0.1:1/back", "code_verifier": "x" * 43}
    assert requests.post(metadata["token_endpoint"], data=exchange, timeout=10).json()["error"] == "invalid_grant"  # wrong verifier spends the code
    signed_in = requests.post(metadata["authorization_endpoint"], data={**request, "username": "demo@example.org", "password": "demo-password"},
                              allow_redirects=False, timeout=10)
    exchange["code"] = parse_qs(urlparse(signed_in.headers["Location"]).query)["code"][0]
    tokens = requests.post(metadata["token_endpoint"], data={**exchange, "code_verifier": verifier}, timeout=10)
    assert tokens.status_code == 200 and tokens.headers["Access-Control-Allow-Origin"] == "*"
    key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(tokens.json()["id_token"])
    claims = jwt.decode(tokens.json()["id_token"], key.key, algorithms=["ES256"], audience="a-client", issuer=idp.url)
    assert claims["nonce"] == "n" and claims["sub"] == "0b7d1c52-4a6e-4f0a-9d3e-5a1f2c3b4d5e"
    assert requests.post(metadata["token_endpoint"], data={**exchange, "code_verifier": verifier}, timeout=10).status_code == 400  # single use
    # The access token is one the endpoints' AUTH_API_URL knows.
    user = requests.post(f"{idp.url}/information", json={"token": tokens.json()["access_token"]}, timeout=10).json()
    assert user["username"] == "demo@example.org"


def test_sign_in_and_out_through_the_identity_provider(oidc_gateway, browser):
    browser.get(f"{oidc_gateway.base}/ui/")
    text_appears(browser, "Your lab account")
    sign_in_at_provider(browser, "demo@example.org", "demo-password")
    wait_until("signed in", lambda: text_of(browser, "#result-count"))
    assert browser.current_url == f"{oidc_gateway.base}/ui/"  # the code is gone from the address bar
    assert "demo@example.org" in text_of(browser, "header .who")
    assert "demo-token" not in browser.page_source and browser.execute_script("return localStorage.length") == 0
    # Signing out ends the provider's session too, and comes back to the sign-in screen.
    click(browser, "header button.secondary")
    find(browser, "#oidc-sign-in")
    assert browser.current_url == f"{oidc_gateway.base}/ui/"
    assert browser.execute_script("return sessionStorage.length") == 0


@pytest.fixture(scope="module")
def confidential_gateway(idp):
    """The console as a confidential client: the endpoint exchanges the code with the secret."""
    client, secret = CONFIDENTIAL_CLIENT
    yield from serving(Gateway(idp, env={
        "OIDC_ENABLED": "true", "OIDC_ISSUER": idp.url + "/", "OIDC_CLIENT_ID": client, "OIDC_CLIENT_SECRET": secret}))


def test_a_confidential_client_signs_in_without_the_browser_calling_the_provider(confidential_gateway, idp, browser):
    """The browser only follows redirects to the provider: the endpoint reads its metadata and
    exchanges the code with the client's secret, which no page shows; the provider, asked
    without the secret, refuses the same exchange, and its answer is not readable cross-origin."""
    page = requests.get(f"{confidential_gateway.base}/ui/", timeout=10)
    assert CONFIDENTIAL_CLIENT[1] not in page.text and '"confidential":true' in page.text
    assert idp.url not in page.headers["Content-Security-Policy"]  # no call to the provider from the page
    browser.get(f"{confidential_gateway.base}/ui/")
    sign_in_at_provider(browser, "demo@example.org", "demo-password")
    wait_until("signed in", lambda: text_of(browser, "#result-count"))
    assert "demo@example.org" in text_of(browser, "header .who")
    assert CONFIDENTIAL_CLIENT[1] not in browser.page_source
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == [], severe
    # What the endpoint checks before it calls the provider, and what the provider says to it.
    exchange = lambda **body: requests.post(f"{confidential_gateway.base}/ui/auth/token", json=body, timeout=10)  # noqa: E731
    good = {"code": "c", "code_verifier": "v" * 43, "redirect_uri": f"{confidential_gateway.base}/ui/auth/callback"}
    assert exchange(**{**good, "code_verifier": "short"}).status_code == 422
    assert exchange(**{**good, "redirect_uri": "https://evil.example/steal"}).status_code == 422
    spent = exchange(**good)
    assert spent.status_code == 400 and "unknown, used or expired" in spent.json()["detail"]
    token = {"grant_type": "authorization_code", "code": "c", "client_id": CONFIDENTIAL_CLIENT[0], "redirect_uri": "http://x/ui/auth/callback",
             "code_verifier": "v" * 43}
    without = requests.post(f"{idp.url}/oidc/token", data=token, timeout=10)
    assert without.status_code == 400 and without.json()["error"] == "invalid_client"
    wrong = requests.post(f"{idp.url}/oidc/token", data=token, auth=(CONFIDENTIAL_CLIENT[0], "wrong"), timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client" and "Access-Control-Allow-Origin" not in wrong.headers


def test_a_forged_or_refused_answer_from_the_provider_signs_nobody_in(oidc_gateway, browser):
    browser.get(f"{oidc_gateway.base}/ui/auth/callback?code=stolen&state=forged")
    text_appears(browser, "Sign-in could not be verified. Please try again.")
    assert browser.current_url == f"{oidc_gateway.base}/ui/"
    browser.get(f"{oidc_gateway.base}/ui/auth/callback?error=access_denied&error_description=You+said+no")
    text_appears(browser, "You said no")
    # An outsider signs in at the provider, and the group gate offers the access request.
    sign_in_at_provider(browser, "outsider@example.org", "outsider-password")
    find(browser, "textarea[name=justification]")
    shoot(browser, "access-request-offer")
    assert not text_of(browser, "#result-count")


def test_a_file_is_staged_and_its_job_followed_to_the_end(gateway, staging_roots, browser):
    signed_in(browser, gateway, "demo@example.org", "demo-password")
    click(browser, "header nav a[href='/ep/ui/staging']")
    find(browser, "input[name=local_path_on_storage]").send_keys("survey/big.bin")
    find(browser, "input[name=relative_path]").send_keys("in/big.bin")
    assert not find(browser, "input[name=jupyter_token]").is_displayed()  # only for jupyter_copy
    click(browser, "form.card button[type=submit]")
    # The table updates by itself until the job has succeeded.
    wait_until("the job succeeded", lambda: browser.find_elements("css selector", "#staging-jobs tr.job-succeeded"), timeout=30)
    assert (staging_roots / "target" / "demo@example.org" / "in" / "big.bin").read_bytes() == (staging_roots / "source" / "survey" / "big.bin").read_bytes()
    assert "→ in/big.bin" in text_of(browser, "#staging-jobs")
    shoot(browser, "staging")
    # A path outside the source storage is refused with the API's message, and creates nothing.
    find(browser, "input[name=local_path_on_storage]").send_keys("../../etc/passwd")
    click(browser, "form.card button[type=submit]")
    find(browser, "form.card p.error")
    click(browser, "#staging-jobs tr.job-succeeded button")
    wait_until("the record is removed", lambda: not browser.find_elements("css selector", "#staging-jobs tr.job-succeeded"))


def test_the_platform_pages_on_the_local_stack(stack_factory, browser, tmp_path):
    """Against `make up`'s stack, signed in at its dev IdP (the EP exchanging the code as a
    confidential client): a rexec server, a pod, a batch job with shipped code and a cron job."""
    import sys
    stack = stack_factory()
    stack.wait_for_line("[stack] Ctrl-C stops everything.", timeout=180)
    ep = stack.url("EP_PORT", "/ep")
    browser.get(f"{ep}/ui/")
    sign_in_at_provider(browser, "demo@example.org", "demo-password")
    wait_until("signed in", lambda: text_of(browser, "#result-count"))
    click(browser, "header nav a[href='/ep/ui/rexec']")
    text_appears(browser, "Your server: absent")
    assert 'base_url="' + ep + '"' in text_of(browser, "#rexec-snippet")
    requirements = find(browser, "textarea[name=requirements]")
    requirements.clear()
    requirements.send_keys(f"python=={sys.version_info.major}.{sys.version_info.minor}")
    click(browser, "form.card button[type=submit]")
    # The status refreshes by itself until the server runs and the broker sees it.
    wait_until("the server runs", lambda: "running · broker: live" in (text_of(browser, "#rexec-status") or ""), timeout=180)
    shoot(browser, "rexec")
    status = requests.get(f"{ep}/rexec/status", headers=WRITER, timeout=10).json()
    assert status["ready"] is True
    click(browser, "form.card button.danger")
    text_appears(browser, "Your server: absent", timeout=60)

    # A pod from the served manifests, on kube-sim: created, kept for 30 days (from 7), deleted.
    click(browser, "header nav a[href='/ep/ui/pods']")
    find(browser, "select[name=yaml_url] option[value$='ubuntu.yaml']").click()
    click(browser, "form.card button[type=submit]")
    wait_until("the pod runs", lambda: (text_of(browser, "#pods .pod-status") or "").startswith("Running:"), timeout=120)
    before = text_of(browser, "#pods .pod-expiry")
    find(browser, "#pods select[name=duration] option[value='30d']").click()
    click(browser, "#pods button.secondary")
    wait_until("the expiry moved", lambda: text_of(browser, "#pods .pod-expiry") not in (before, None), timeout=30)
    shoot(browser, "pods")
    click(browser, "#pods button.danger")
    wait_until("the pod is gone", lambda: "You have no pods." in (text_of(browser, "main") or ""), timeout=120)

    # A batch job through kbatch on the local runtime, with a script shipped as its code (zipped
    # by the console): it runs in /code, its log is read, it is deleted.
    click(browser, "header nav a[href='/ep/ui/jobs']")
    # The script waits for a file this test makes, so its log is read while it runs and then
    # follows it to its last line without another click.
    go_on = tmp_path / "go-on"
    script = tmp_path / "hello.py"
    script.write_text("import os, time\nprint('hello from shipped code in', os.path.basename(os.getcwd()), flush=True)\n"
                      f"deadline = time.time() + 120\nwhile not os.path.exists({str(go_on)!r}) and time.time() < deadline:\n"
                      "    time.sleep(0.1)\nprint('and done')\n")
    command = find(browser, "input[name=command]")
    command.clear()
    command.send_keys("python3 hello.py")
    find(browser, "input[name=code]").send_keys(str(script))
    click(browser, "form.card button[type=submit]")
    wait_until("the job runs", lambda: browser.find_elements("css selector", "#jobs tr.job-running"), timeout=120)
    click(browser, "#jobs tr.job-running button.secondary")
    wait_until("its log", lambda: "hello from shipped code in code" in (text_of(browser, "#job-log") or ""), timeout=30)
    assert "and done" not in text_of(browser, "#job-log")
    go_on.touch()
    wait_until("the log followed the job", lambda: "and done" in (text_of(browser, "#job-log") or ""), timeout=60)
    find(browser, "#jobs tr.job-succeeded")
    # The same command on a schedule: a cron job, listed with it, then deleted.
    browser.execute_script("arguments[0].value = ''", find(browser, "input[name=code]"))
    find(browser, "input[name=schedule]").send_keys("*/5 * * * *")
    click(browser, "form.card button[type=submit]")
    wait_until("the cron job", lambda: "*/5 * * * *" in (text_of(browser, "#cronjobs") or ""), timeout=30)
    shoot(browser, "jobs")
    click(browser, "#cronjobs button.danger")
    wait_until("the cron job is gone", lambda: not browser.find_elements("css selector", "#cronjobs"), timeout=30)
    click(browser, "#jobs tr.job-succeeded button.danger")
    wait_until("the job is gone", lambda: not browser.find_elements("css selector", "#jobs tr.job-succeeded"), timeout=60)
    # The dashboard: every capability's card, the machine's numbers, the policy's hash.
    click(browser, "header nav a[href='/ep/ui/dashboard']")
    wait_until("the dashboard", lambda: text_of(browser, "#metrics"))
    assert "Remote execution" in text_of(browser, "#capabilities") and "your server: absent" in text_of(browser, "#capabilities")
    assert requests.get(f"{ep}/policy", timeout=10, headers=WRITER).json()["sha256"] in text_of(browser, "#metrics")
    shoot(browser, "dashboard")
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == [], severe
    assert stack.interrupt() == 0


def test_an_admin_reads_the_policy_in_force_and_the_roles(gateway, browser):
    signed_in(browser, gateway, "admin@example.org", "admin-password")
    click(browser, "header nav a[href='/ep/ui/policy']")
    wait_until("the policy", lambda: text_of(browser, "#policy"))
    in_force = requests.get(f"{gateway.base}/policy", headers={"Authorization": "Bearer admin-token"}, timeout=10).json()
    assert text_of(browser, "#policy-hash") == in_force["sha256"]
    assert "organization" in text_of(browser, "#policy") and "Object.Creator" in text_of(browser, "#policy")
    shoot(browser, "policy")
    browser.get(f"{gateway.base}/ui/roles-help")
    text_appears(browser, "decide access requests")


def test_readable_on_a_phone_sized_window(gateway, catalog, browser):
    browser.set_window_size(390, 844)
    signed_in(browser, gateway, "demo@example.org", "demo-password")
    for page in ("/ui/", "/ui/datasets/buoy-01", "/ui/organizations"):
        browser.get(f"{gateway.base}{page}")
        wait_until(f"{page} drawn", lambda: text_of(browser, "main h1"))
        # Nothing wider than the screen: no sideways scrolling.
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), page
    shoot(browser, "phone")


def test_the_agents_page_lists_the_tools_through_the_mcp_server(gateway, browser):
    """The console as an MCP client of its own endpoint: a session opened, the tools listed,
    the session ended (same origin, so the MCP server's Origin check lets it in)."""
    signed_in(browser, gateway, "viewer@example.org", "viewer-password")
    click(browser, "header nav a[href='/ep/ui/agents']")
    wait_until("the tools", lambda: "search_datasets_search_get" in (text_of(browser, "#mcp-tools") or ""), timeout=30)
    assert text_of(browser, "#mcp-url") == f"{gateway.base}/mcp"
    shoot(browser, "agents")
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == [], severe


def test_the_dashboard_reports_what_the_endpoint_runs(gateway, browser):
    signed_in(browser, gateway, "admin@example.org", "admin-password")
    click(browser, "header nav a[href='/ep/ui/dashboard']")
    text_appears(browser, "Readiness")
    assert "S3 storage" in text_of(browser, "main") and "connected" in text_of(browser, "main")
    assert "Memory" in text_of(browser, "#metrics")


def test_a_url_and_an_s3_location_are_registered(gateway, catalog, browser):
    signed_in(browser, gateway, "demo@example.org", "demo-password")
    click(browser, "header nav a[href='/ep/ui/register']")
    # Kafka is off on this endpoint: not offered.
    assert [o.get_attribute("value") for o in browser.find_elements("css selector", "select[name=kind] option")] == ["url", "s3"]
    find(browser, "input[name=resource_name]").send_keys("tide-table")
    find(browser, "input[name=resource_title]").send_keys("Tide table")
    find(browser, "input[name=resource_url]").send_keys("https://example.org/tides.csv")
    find(browser, "input[name=file_type]").send_keys("CSV")
    click(browser, "form.card button[type=submit]")
    wait_until("the registration's page", lambda: browser.current_url.endswith("/ui/datasets/tide-table"))
    text_appears(browser, "https://example.org/tides.csv")
    browser.get(f"{gateway.base}/ui/register?kind=s3")
    find(browser, "input[name=resource_name]").send_keys("raw-readings")
    find(browser, "input[name=resource_title]").send_keys("Raw readings")
    find(browser, "input[name=resource_s3]").send_keys("s3://console-bucket/raw/")
    click(browser, "form.card button[type=submit]")
    wait_until("the registration's page", lambda: browser.current_url.endswith("/ui/datasets/raw-readings"))
    # A bad URL is refused with the API's message, and nothing is made.
    browser.get(f"{gateway.base}/ui/register")
    find(browser, "input[name=resource_name]").send_keys("bad-url")
    find(browser, "input[name=resource_title]").send_keys("Bad")
    browser.execute_script("document.querySelector('input[name=resource_url]').type = 'text'")
    find(browser, "input[name=resource_url]").send_keys("ftp://example.org/x")
    click(browser, "form.card button[type=submit]")
    find(browser, "form.card p.error")
    assert requests.get(f"{gateway.base}/search", params={"terms": "bad-url", "server": "local"}, timeout=10).json() == []
