"""The web console at /ep/ui/, driven in a real browser: Debian's Chromium through its
chromedriver, with selenium. It signs in as the users of the dev IdP, searches, reads a
dataset, creates an organization, and checks what a browser must never see: inline script
allowed, a token in a URL or in the page, a title's markup run."""
import shutil

import pytest
import requests

from rexec_harness import Gateway, serving, wait_until

CHROMEDRIVER = shutil.which("chromedriver")
WRITER = {"Authorization": "Bearer demo-token"}

pytestmark = pytest.mark.skipif(CHROMEDRIVER is None, reason="chromium-driver is not installed (scripts/install-deps.sh installs it)")


@pytest.fixture(scope="module")
def gateway(idp):
    yield from serving(Gateway(idp, env={"ENABLE_ACCESS_REQUESTS": "True", "AFFINITIES_EP_UUID": "ep-demo"}))


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
    find(browser, "input[name=username]").send_keys(username)
    find(browser, "input[name=password]").send_keys(password)
    find(browser, "form button[type=submit]").click()


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
    assert "page=2" in browser.current_url and "token" not in browser.current_url

    # A title with markup is text (the API refuses javascript: URLs; the console links only http(s)).
    browser.get(f"{gateway.base}/ui/datasets/markup")
    text_appears(browser, "<script>window.pwned = 1</script><b>bold</b>")
    assert browser.execute_script("return window.pwned === undefined")
    text_appears(browser, "<i>trap</i>")
    assert "<b>bold</b>" not in browser.page_source.replace("&lt;b&gt;", "")

    # A new organization, then it is listed.
    browser.get(f"{gateway.base}/ui/organizations")
    find(browser, "input[name=name]").send_keys("console-lab")
    find(browser, "input[name=title]").send_keys("Console Lab")
    find(browser, "form.card button[type=submit]").click()
    wait_until("console-lab listed", lambda: "console-lab" in (text_of(browser, "#organizations") or ""))
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


def test_a_reader_sees_no_write_action(gateway, catalog, browser):
    sign_in(browser, gateway, "viewer@example.org", "viewer-password")
    text_appears(browser, "Find data")
    browser.get(f"{gateway.base}/ui/datasets/buoy-01")
    text_appears(browser, "Buoy 01")
    assert not browser.find_elements("css selector", "button.danger")
    browser.get(f"{gateway.base}/ui/organizations")
    text_appears(browser, "ocean-lab")
    assert not browser.find_elements("css selector", "input[name=name]")


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
