// The NDP endpoint's web console: plain JavaScript, no build step. Every page is made from
// the endpoint's own JSON routes, called with the signed-in user's token, so the access
// policy decides what happens; the console only hides actions the user's role cannot take.
// Text reaches the page through textContent only (never innerHTML): no value is markup.

const config = JSON.parse(document.getElementById("console-config").textContent);
const root = config.root;
const base = `${root}/ui`;
const TOKEN_KEY = "ndp-ep-console-token";

// ---------------------------------------------------------------- the API

class APIError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** The text the API gave for a failure: FastAPI's `detail` (a string or a list), or `error`
 * (a string, or an object with its own detail, error or, as JSON-RPC's, message). */
function reason(body, fallback) {
  if (!body) return fallback;
  const detail = body.detail ?? body.error;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((item) => item.msg ?? JSON.stringify(item)).join("; ");
  if (detail && typeof detail === "object") return detail.detail ?? detail.error ?? detail.message ?? JSON.stringify(detail);
  return fallback;
}

/** A call to the endpoint (`path` below its root) or, with `at`, to another service of the
 * platform (the pods backend, kbatch), with the session's token unless `token` is given: its
 * answer parsed (JSON, else the text), or an APIError with the API's reason. */
async function api(method, path, options = {}) {
  return (await send(method, path, options)).body;
}

/** What `api` does, with the response and its text too: for answers that are text (a log),
 * headers to read (MCP's session), a form to send (`form`: URLSearchParams) or extra headers. */
async function send(method, path, { query, json, form, headers: extra, token = session.token, at = root, textReason = false } = {}) {
  const url = new URL(at + path, window.location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, item);
  }
  const headers = { Accept: "application/json", ...extra };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) headers["Content-Type"] = "application/json";
  if (form !== undefined) headers["Content-Type"] = "application/x-www-form-urlencoded";
  let response;
  try {
    response = await fetch(url, { method, headers, body: json !== undefined ? JSON.stringify(json) : form, credentials: "omit" });
  } catch {
    throw new APIError(0, "Cannot connect to the endpoint. Please check your connection.");
  }
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  if (!response.ok) {
    // A text answer's own words are its reason when it has no JSON one.
    const fallback = textReason && text ? text : `${response.status} ${response.statusText}`;
    throw new APIError(response.status, reason(typeof body === "string" ? null : body, fallback));
  }
  return { response, text, body };
}

// ---------------------------------------------------------------- the session

/** The signed-in user: the token lives in this tab's sessionStorage only, never in a URL. */
const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  user: null,
  status: null,
  get role() { return this.user?.effective_role ?? "none"; },
  async start(token) {
    const user = await api("GET", "/user/info", { token });
    sessionStorage.setItem(TOKEN_KEY, token);
    this.user = user;
    // What this endpoint offers beyond the catalog: the page says which optional routes exist.
    const capabilities = config.capabilities ?? {};
    const [status, staging] = await Promise.all([
      api("GET", "/status/").catch(() => ({})),
      capabilities.staging ? api("GET", "/config/allowed-methods/").then((answer) => answer.allowed_methods).catch(() => null) : null,
    ]);
    this.status = status;
    this.stagingMethods = staging;
    this.rexec = Boolean(capabilities.rexec);
    // What the access policy lets this user do to new objects: the menus offer only that.
    // The access-request queue is private to its handlers, so it is asked about as a private one.
    const questions = { dataset: {}, organization: {}, service: {}, storage: {}, policy: {}, access_request: { visibility: "private" } };
    const decided = await Promise.all(Object.entries(questions).map(([entity, query]) =>
      api("GET", "/user/permissions", { query: { entity, ...query } }).catch(() => ({ create: false, read: false, update: false, delete: false }))));
    this.can = Object.fromEntries(Object.keys(questions).map((entity, index) => [entity, decided[index]]));
  },
  can: {},
  stagingMethods: null,
  rexec: false,
  end() {
    sessionStorage.removeItem(TOKEN_KEY);
    this.user = null;
    this.status = null;
    this.stagingMethods = null;
    this.rexec = false;
    this.can = {};
  },
};

// ---------------------------------------------------------------- OIDC sign-in

// Authorization code with PKCE (S256) and a nonce. A public client (as upstream) reads the
// provider's metadata and exchanges the code from the browser; a confidential one
// (`config.oidc.confidential`) asks this endpoint for both, which holds the client's secret, so
// the browser talks to the provider only through redirects. What waits for the provider's
// answer (state, verifier, nonce) stays in this tab's sessionStorage and is removed when it comes.
const OIDC_PENDING = "ndp-ep-console-oidc-pending";
const OIDC_SIGNED_IN = "ndp-ep-console-oidc";

function base64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

function randomText(size) {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

const oidcCallback = () => `${window.location.origin}${base}/auth/callback`;

async function oidcMetadata() {
  if (config.oidc.confidential) return api("GET", "/ui/auth/provider");
  let response;
  try {
    response = await fetch(`${config.oidc.issuer}/.well-known/openid-configuration`, { credentials: "omit" });
  } catch {
    throw new Error("Could not reach the identity provider. Check that OIDC_ISSUER is correct.");
  }
  if (!response.ok) throw new Error(`Could not reach the identity provider (HTTP ${response.status}). Check that OIDC_ISSUER is correct.`);
  return response.json();
}

/** The code exchanged for tokens: by this endpoint for a confidential client, else at the provider. */
async function exchangeCode(metadata, code, verifier) {
  if (config.oidc.confidential) {
    return api("POST", "/ui/auth/token", { token: null, json: { code, code_verifier: verifier, redirect_uri: oidcCallback() } });
  }
  const response = await fetch(metadata.token_endpoint, {
    method: "POST", credentials: "omit",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "authorization_code", code, client_id: config.oidc.client_id, redirect_uri: oidcCallback(), code_verifier: verifier,
    }),
  }).catch(() => null);
  const body = response ? await response.json().catch(() => ({})) : {};
  if (!response?.ok || !body.access_token) throw new Error(body.error_description || body.error || "The identity provider did not issue a token.");
  return body;
}

async function startOIDC() {
  const metadata = await oidcMetadata();
  const pending = { verifier: randomText(32), state: randomText(16), nonce: randomText(16) };
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(pending.verifier))));
  sessionStorage.setItem(OIDC_PENDING, JSON.stringify(pending));
  const url = new URL(metadata.authorization_endpoint);
  const parameters = {
    response_type: "code", client_id: config.oidc.client_id, redirect_uri: oidcCallback(), scope: config.oidc.scope || "openid profile email",
    state: pending.state, nonce: pending.nonce, code_challenge: challenge, code_challenge_method: "S256",
  };
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
  window.location.assign(url.href);
}

/** The provider's answer at ui/auth/callback: the access token, or an error to show. */
async function finishOIDC(parameters) {
  const pending = JSON.parse(sessionStorage.getItem(OIDC_PENDING) ?? "null");
  sessionStorage.removeItem(OIDC_PENDING);
  // Whatever happens, the code leaves the address bar: a reload cannot replay it.
  history.replaceState(null, "", `${base}/`);
  if (parameters.get("error")) {
    throw new Error(parameters.get("error_description") || `Sign-in was not completed (${parameters.get("error")}).`);
  }
  if (!pending || parameters.get("state") !== pending.state) throw new Error("Sign-in could not be verified. Please try again.");
  const metadata = await oidcMetadata();
  const body = await exchangeCode(metadata, parameters.get("code") ?? "", pending.verifier);
  // The ID token came straight from the provider's token endpoint (or through this endpoint's
  // TLS call to it), so its claims are checked without its signature (OpenID Connect Core
  // §3.1.3.7): issuer, audience, expiry, nonce.
  const claims = idTokenClaims(body.id_token);
  const audiences = Array.isArray(claims?.aud) ? claims.aud : [claims?.aud];
  if (!claims || claims.iss !== metadata.issuer || !audiences.includes(config.oidc.client_id) || claims.nonce !== pending.nonce
      || !(claims.exp * 1000 > Date.now())) {
    throw new Error("Sign-in could not be verified: the identity provider's answer does not belong to this sign-in. Please try again.");
  }
  sessionStorage.setItem(OIDC_SIGNED_IN, "1");
  return body.access_token;
}

function idTokenClaims(token) {
  try {
    const payload = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (character) => character.charCodeAt(0))));
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- building the page

/** An element: attributes (on* as listeners), then children (strings become text nodes). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces what `element` holds, as `h` adds children: arrays flattened, text as text. */
function fill(element, ...children) {
  element.replaceChildren(...h("div", {}, ...children).childNodes);
}

/** A link inside the console, followed without reloading the page. */
function link(path, ...children) {
  return h("a", { href: base + path, "data-route": "" }, ...children);
}

function field(label, input, help) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input, help ? h("div", { class: "small muted" }, help) : null);
}

function errorBox(error) {
  return h("p", { class: "error", role: "alert" }, error instanceof Error ? error.message : String(error));
}

function loading(text = "Loading…") {
  return h("p", { class: "loading" }, text);
}

/** Runs `work` with `button` disabled and showing progress; errors land in `errors`. */
async function busy(button, errors, work) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = `${label}…`;
  errors.replaceChildren();
  try {
    return await work();
  } catch (error) {
    if (error.status === 401) return signOut("Your session has expired. Please sign in again.");
    errors.append(errorBox(error));
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

const app = document.getElementById("app");

// ---------------------------------------------------------------- sign-in

function signInScreen(message, denied = null) {
  let mode = "password";
  let deniedToken = denied?.token ?? null;
  const errors = h("div");
  if (message) errors.append(errorBox(message));
  const body = h("div");
  const access = h("div");

  const passwordForm = () => {
    const username = h("input", { name: "username", autocomplete: "username", required: true });
    const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
    const submit = h("button", { type: "submit" }, "Sign in");
    return h("form", {
      onsubmit: (event) => {
        event.preventDefault();
        busy(submit, errors, async () => {
          let login;
          try {
            login = await api("POST", "/user/login", { json: { username: username.value, password: password.value }, token: null });
          } catch (error) {
            if (error.status === 401) throw new Error(error.message || "Invalid username or password");
            if (error.status === 502) throw new Error("Authentication service is unavailable");
            throw error;
          }
          await enter(login.access_token);
        });
      },
    }, field("Username", username), field("Password", password), submit);
  };

  const tokenForm = () => {
    const token = h("input", { name: "token", type: "password", autocomplete: "off", required: true });
    const submit = h("button", { type: "submit" }, "Sign in");
    return h("form", {
      onsubmit: (event) => {
        event.preventDefault();
        busy(submit, errors, () => enter(token.value.trim()));
      },
    }, field("Access token", token), submit);
  };

  async function enter(token) {
    try {
      await session.start(token);
    } catch (error) {
      if (error.status === 401) throw new Error("Invalid token. Please check your token and try again.");
      if (error.status === 403) {
        deniedToken = token;
        offerAccessRequest(error.message);
        return;
      }
      throw error;
    }
    history.replaceState(null, "", window.location.pathname === `${base}/` ? `${base}/` : window.location.pathname);
    render();
  }

  function offerAccessRequest(detail) {
    errors.replaceChildren(errorBox(detail));
    const justification = h("textarea", { maxlength: "2000", name: "justification" });
    const submit = h("button", { type: "submit" }, "Request access to this endpoint");
    const formErrors = h("div");
    access.replaceChildren(h("form", {
      class: "card",
      onsubmit: (event) => {
        event.preventDefault();
        busy(submit, formErrors, async () => {
          try {
            await api("POST", "/user/access-requests", { json: { justification: justification.value || null }, token: deniedToken });
          } catch (error) {
            if (error.status === 409) throw new Error("You already have a pending access request.");
            if (error.status === 503) throw new Error("Access requests are disabled on this deployment.");
            throw error;
          }
          body.replaceChildren();
          errors.replaceChildren();
          access.replaceChildren(h("p", { class: "notice" }, "Request submitted. An administrator of this endpoint will decide on it."));
        });
      },
    }, h("h2", {}, "Ask to be let in"), field("Justification (optional)", justification), formErrors, submit));
  }

  let provider = null;
  if (config.oidc) {
    const secure = window.isSecureContext && Boolean(crypto.subtle);
    const button = h("button", { type: "button", id: "oidc-sign-in", disabled: !secure,
      title: secure ? null : "Requires a secure (https) connection" }, config.oidc.button_label || "Sign in with your identity provider");
    button.addEventListener("click", () => busy(button, errors, startOIDC));
    provider = h("div", { class: "field" }, button,
      secure ? (config.oidc.help_text ? h("p", { class: "small muted" }, config.oidc.help_text) : null)
        : h("p", { class: "small muted" }, "Unavailable over an insecure connection. Use your username and password or an access token below."),
      h("p", { class: "muted small" }, "or"));
  }
  const tabs = h("div", { class: "tabs", role: "tablist" });
  const show = () => {
    tabs.replaceChildren(
      h("button", { type: "button", role: "tab", "aria-selected": String(mode === "password"), onclick: () => { mode = "password"; show(); } }, "Username and password"),
      h("button", { type: "button", role: "tab", "aria-selected": String(mode === "token"), onclick: () => { mode = "token"; show(); } }, "Access token"),
    );
    body.replaceChildren(mode === "password" ? passwordForm() : tokenForm());
  };
  show();
  app.replaceChildren(h("main", { class: "signin" },
    h("div", { class: "card" },
      h("h1", {}, config.ep_name ? `NDP EndPoint · ${config.ep_name}` : "NDP EndPoint"),
      h("p", { class: "muted" }, config.organization || "Sign in to find data and run code next to it."),
      errors, access, provider, tabs, body)));
  if (denied) offerAccessRequest(denied.detail);
}

function signOut(message) {
  session.end();
  const throughProvider = sessionStorage.getItem(OIDC_SIGNED_IN) && config.oidc && !message;
  sessionStorage.removeItem(OIDC_SIGNED_IN);
  history.pushState(null, "", `${base}/`);
  if (throughProvider) {
    // End the provider's session too, when it offers an end-session endpoint.
    return oidcMetadata().then((metadata) => {
      if (!metadata.end_session_endpoint) return signInScreen();
      const url = new URL(metadata.end_session_endpoint);
      url.searchParams.set("client_id", config.oidc.client_id);
      url.searchParams.set("post_logout_redirect_uri", `${window.location.origin}${base}/`);
      window.location.assign(url.href);
    }).catch(() => signInScreen());
  }
  signInScreen(message);
}

// ---------------------------------------------------------------- the shell and routing

// Each page: its path below ui/, and `nav` (its menu entry) with `shown`, which says whether
// the menu offers it to this user on this endpoint (the API still decides every call).
const pages = [
  { path: /^\/?$/, title: "Search", view: searchPage, nav: "Search", href: "/" },
  { path: /^\/search$/, title: "Search", view: searchPage },
  { path: /^\/datasets\/new$/, title: "New dataset", view: (content) => datasetForm(content, null), nav: "New dataset", href: "/datasets/new",
    shown: () => session.can.dataset?.create && hasCatalog() },
  { path: /^\/datasets\/([^/]+)\/edit$/, title: "Edit dataset", view: datasetForm },
  { path: /^\/register$/, title: "Register", view: registerPage, nav: "Register", href: "/register",
    shown: () => session.can.dataset?.create && hasCatalog() },
  { path: /^\/datasets\/([^/]+)$/, title: "Dataset", view: datasetPage },
  { path: /^\/organizations$/, title: "Organizations", view: organizationsPage, nav: "Organizations", href: "/organizations", shown: hasCatalog },
  { path: /^\/services$/, title: "Services", view: servicesPage, nav: "Services", href: "/services", shown: hasCatalog },
  { path: /^\/storage$/, title: "Storage", view: storagePage, nav: "Storage", href: "/storage",
    shown: () => session.can.storage?.read && session.status?.s3_enabled === true },
  { path: /^\/access-requests$/, title: "Access requests", view: accessRequestsPage, nav: "Access requests", href: "/access-requests",
    shown: () => session.can.access_request?.read },
  { path: /^\/staging$/, title: "Staging", view: stagingPage, nav: "Staging", href: "/staging", shown: () => Boolean(session.stagingMethods) },
  { path: /^\/rexec$/, title: "Remote execution", view: rexecPage, nav: "Remote execution", href: "/rexec", shown: () => session.rexec },
  { path: /^\/pods$/, title: "My pods", view: podsPage, nav: "My pods", href: "/pods", shown: () => Boolean(config.services?.pods) },
  { path: /^\/jobs$/, title: "Batch jobs", view: jobsPage, nav: "Batch jobs", href: "/jobs", shown: () => Boolean(config.services?.kbatch) },
  { path: /^\/dashboard$/, title: "Dashboard", view: dashboardPage, nav: "Dashboard", href: "/dashboard" },
  { path: /^\/agents$/, title: "AI agents", view: agentsPage, nav: "Agents", href: "/agents", shown: () => Boolean(config.capabilities?.mcp) },
  { path: /^\/policy$/, title: "Access policy", view: policyPage, nav: "Policy", href: "/policy", shown: () => session.can.policy?.read },
  { path: /^\/roles-help$/, title: "Roles", view: rolesHelpPage },
];

// A page that refreshes itself (a job's progress) stops when the user moves on.
let refresh = null;
function every(milliseconds, work) {
  clearTimeout(refresh);
  const path = window.location.href;
  const tick = async () => {
    if (window.location.href !== path) return;
    if (await work() !== false) refresh = setTimeout(tick, milliseconds);
  };
  refresh = setTimeout(tick, milliseconds);
}

function hasCatalog() {
  const backend = session.status?.local_catalog_backend;
  return Boolean(backend) && backend !== "none";
}

function shell(current, content) {
  const nav = pages.filter((page) => page.nav && (!page.shown || page.shown())).map((page) =>
    h("a", { href: base + page.href, "data-route": "", "aria-current": current === page ? "page" : null }, page.nav));
  return [
    h("header", { class: "bar" },
      h("a", { class: "brand", href: `${base}/`, "data-route": "" }, h("img", { src: document.querySelector("link[rel=icon]").href, alt: "" }), "NDP EndPoint"),
      h("nav", { "aria-label": "Console" }, nav),
      h("span", { class: "who" }, `${session.user.username ?? session.user.email ?? ""} · ${session.role}`),
      h("button", { class: "secondary", type: "button", onclick: () => signOut() }, "Sign out")),
    h("main", {}, content),
    h("footer", {}, `NDP EndPoint ${config.version}`),
  ];
}

async function render() {
  const callback = new URLSearchParams(window.location.search);
  if (config.oidc && window.location.pathname === `${base}/auth/callback` && (callback.has("code") || callback.has("error"))) {
    app.replaceChildren(loading("Finishing the sign-in…"));
    let token;
    try {
      token = await finishOIDC(callback);
    } catch (error) {
      return signInScreen(error.message);
    }
    try {
      await session.start(token);
    } catch (error) {
      sessionStorage.removeItem(OIDC_SIGNED_IN);
      if (error.status === 403) return signInScreen(null, { token, detail: error.message });
      return signInScreen("You signed in successfully, but this endpoint could not validate the resulting token. "
        + `This is a configuration problem on the endpoint, not a problem with your credentials. (${error.message})`);
    }
  }
  if (!session.user) {
    const token = session.token;
    if (!token) return signInScreen();
    app.replaceChildren(loading("Validating your session…"));
    try {
      await session.start(token);
    } catch (error) {
      session.end();
      return signInScreen(error.status === 0 ? error.message : "Your session has expired. Please sign in again.");
    }
  }
  const path = decodeURI(window.location.pathname.slice(base.length)) || "/";
  const page = pages.find((candidate) => candidate.path.test(path));
  const content = h("div");
  app.replaceChildren(...shell(page, content));
  if (!page) {
    content.append(h("h1", {}, "Not found"), h("p", {}, "There is no such page in the console. ", link("/", "Search the catalog.")));
    return;
  }
  document.title = `${page.title} · NDP EndPoint`;
  const match = path.match(page.path);
  try {
    await page.view(content, ...match.slice(1).map(decodeURIComponent));
  } catch (error) {
    if (error.status === 401) return signOut("Your session has expired. Please sign in again.");
    content.append(errorBox(error));
  }
}

function go(path) {
  history.pushState(null, "", base + path);
  render();
}

document.addEventListener("click", (event) => {
  const anchor = event.target.closest("a[data-route]");
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  history.pushState(null, "", anchor.getAttribute("href"));
  render();
});
window.addEventListener("popstate", render);

// ---------------------------------------------------------------- pages

const PAGE_SIZE = 20;

/** The catalog, searched a page at a time through CKAN's action API (never all of it). */
async function searchPage(content) {
  const params = new URLSearchParams(window.location.search);
  const q = params.get("q") ?? "";
  const format = params.get("format") ?? "";
  const organization = params.get("organization") ?? "";
  const page = Math.max(1, Number.parseInt(params.get("page") ?? "1", 10) || 1);

  const qInput = h("input", { name: "q", type: "search", value: q, placeholder: "words, or field:value" });
  const formatInput = h("input", { name: "format", value: format, placeholder: "CSV" });
  const organizationInput = h("input", { name: "organization", value: organization });
  const submit = (nextPage = 1) => {
    const next = new URLSearchParams();
    if (qInput.value.trim()) next.set("q", qInput.value.trim());
    if (formatInput.value.trim()) next.set("format", formatInput.value.trim());
    if (organizationInput.value.trim()) next.set("organization", organizationInput.value.trim());
    if (nextPage > 1) next.set("page", String(nextPage));
    go(`/search${next.toString() ? `?${next}` : ""}`);
  };
  const results = h("div", {}, loading("Searching…"));
  content.append(
    h("h1", {}, "Find data"),
    h("form", { role: "search", onsubmit: (event) => { event.preventDefault(); submit(); } },
      h("div", { class: "row" },
        h("div", { class: "grow" }, field("Search", qInput)),
        h("div", {}, field("Format", formatInput)),
        h("div", {}, field("Organization", organizationInput)),
        h("div", { class: "field" }, h("button", { type: "submit" }, "Search")))),
    results);

  const filters = [];
  if (format) filters.push(`res_format:"${format.replaceAll('"', "")}"`);
  if (organization) filters.push(`organization:"${organization.replaceAll('"', "")}"`);
  const found = await api("GET", "/api/3/action/package_search", {
    query: { q: q || "*:*", fq: filters.join(" AND "), rows: PAGE_SIZE, start: (page - 1) * PAGE_SIZE, include_private: "true" },
  });
  const answer = found.result ?? found;
  const pages = Math.max(1, Math.ceil(answer.count / PAGE_SIZE));
  fill(results, 
    h("p", { class: "muted", id: "result-count" }, `${answer.count} dataset${answer.count === 1 ? "" : "s"}`),
    answer.results.length === 0
      ? h("div", { class: "card" }, h("p", {}, "Nothing matches. Try fewer words, or another format."))
      : answer.results.map(datasetCard),
    pages > 1
      ? h("nav", { class: "pager", "aria-label": "Pages" },
        h("button", { type: "button", class: "secondary", disabled: page <= 1, onclick: () => submit(page - 1) }, "Previous"),
        h("span", {}, `Page ${page} of ${pages}`),
        h("button", { type: "button", class: "secondary", disabled: page >= pages, onclick: () => submit(page + 1) }, "Next"))
      : null);
}

function datasetCard(dataset) {
  const formats = [...new Set((dataset.resources ?? []).map((resource) => resource.format).filter(Boolean))];
  return h("article", { class: "card dataset" },
    h("h3", {}, link(`/datasets/${encodeURIComponent(dataset.name)}`, dataset.title || dataset.name)),
    h("div", { class: "small muted" }, dataset.organization?.title ?? dataset.organization?.name ?? dataset.owner_org ?? ""),
    dataset.notes ? h("p", {}, dataset.notes.length > 280 ? `${dataset.notes.slice(0, 280)}…` : dataset.notes) : null,
    formats.length ? h("ul", { class: "tags", "aria-label": "Formats" }, formats.map((name) => h("li", {}, name))) : null);
}

async function datasetPage(content, name) {
  content.append(loading());
  const shown = await api("GET", "/api/3/action/package_show", { query: { id: name } });
  const dataset = shown.result ?? shown;
  const errors = h("div");
  const actions = [];
  // The policy's answer for this dataset (its creator, its visibility), not a guess from the role.
  const allowed = await api("GET", "/user/permissions", { query: { entity: "dataset", id: dataset.name } })
    .catch(() => ({ update: false, delete: false }));
  if (allowed.update) {
    actions.push(h("a", { class: "button secondary", href: `${base}/datasets/${encodeURIComponent(dataset.name)}/edit`, "data-route": "" }, "Edit"));
  }
  if (allowed.delete) {
    const remove = h("button", { type: "button", class: "danger" }, "Delete dataset");
    remove.addEventListener("click", () => {
      if (!window.confirm(`Delete the dataset ${dataset.name}? This cannot be undone.`)) return;
      busy(remove, errors, async () => {
        // Upstream deletes a dataset through its resource routes (ndp-ep: delete_resource_by_id).
        await api("DELETE", "/resource", { query: { resource_id: dataset.id, server: "local" } });
        go("/");
      });
    });
    actions.push(remove);
  }
  // CKAN's form: a list of {key, value}; the endpoint's own routes: an object.
  const extras = (Array.isArray(dataset.extras) ? dataset.extras.map((extra) => [extra.key, extra.value]) : Object.entries(dataset.extras ?? {}))
    .map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]);
  fill(content, 
    h("p", {}, link("/", "← Search")),
    h("h1", {}, dataset.title || dataset.name),
    h("p", { class: "muted" }, `${dataset.name} · ${dataset.organization?.title ?? dataset.owner_org ?? ""}`),
    dataset.notes ? h("p", {}, dataset.notes) : null,
    (dataset.tags ?? []).length ? h("ul", { class: "tags" }, dataset.tags.map((tag) => h("li", {}, tag.name ?? tag))) : null,
    h("h2", {}, "Resources"),
    (dataset.resources ?? []).length
      ? h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Format"), h("th", { class: "optional" }, "Description"), h("th", {}, "Link"))),
        h("tbody", {}, dataset.resources.map((resource) => h("tr", {},
          h("td", {}, resource.name ?? ""),
          h("td", {}, resource.format ?? ""),
          h("td", { class: "optional" }, resource.description ?? ""),
          h("td", {}, safeLink(resource.url))))))
      : h("p", { class: "muted" }, "This dataset has no resources."),
    extras.length ? [h("h2", {}, "More about it"), h("table", {}, h("tbody", {}, extras.map(([key, value]) => h("tr", {}, h("th", {}, key), h("td", {}, value)))))] : null,
    errors,
    actions.length ? h("div", { class: "row" }, actions) : null);
}

/** A link for http(s) URLs only; anything else (javascript:, data:) is shown as text. */
function safeLink(url) {
  if (!url) return "";
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") return h("a", { href: parsed.href, rel: "noopener noreferrer", target: "_blank" }, url);
  } catch { /* not a URL: text */ }
  return h("code", { class: "copy" }, url);
}

async function organizationsPage(content) {
  const errors = h("div");
  const list = h("div", {}, loading());
  content.append(h("h1", {}, "Organizations"));
  if (session.can.organization?.create) {
    const name = h("input", { name: "name", required: true, pattern: "[a-z0-9_\\-]{2,100}", autocomplete: "off" });
    const title = h("input", { name: "title", required: true });
    const description = h("textarea", { name: "description" });
    const submit = h("button", { type: "submit" }, "Create organization");
    content.append(h("form", {
      class: "card",
      onsubmit: (event) => {
        event.preventDefault();
        busy(submit, errors, async () => {
          await api("POST", "/organization", { query: { server: "local" }, json: { name: name.value, title: title.value, description: description.value } });
          render();
        });
      },
    }, h("h2", {}, "New organization"),
    field("Name", name, "Lowercase letters, digits, - and _."), field("Title", title), field("Description", description), errors, submit));
  }
  content.append(list);
  const names = await api("GET", "/organization", { query: { server: "local" } });
  fill(list, names.length
    ? h("ul", { class: "card", id: "organizations" }, names.map((organization) => h("li", {}, link(`/search?organization=${encodeURIComponent(organization)}`, organization))))
    : h("p", { class: "card muted" }, "No organizations yet."));
}

async function dashboardPage(content) {
  content.append(h("h1", {}, "Dashboard"), loading());
  const [measured, ready, rexec] = await Promise.all([
    api("GET", "/status/metrics"),
    api("GET", "/ready").catch((error) => ({ checks: {}, error: error.message })),
    session.rexec ? api("GET", "/rexec/status").catch(() => null) : null,
  ]);
  const status = measured.services;
  const rexecPhase = rexec ? rexec.phase ?? (rexec.ready ? "running" : "absent") : null;
  const flags = [
    ["Catalog", status.local_catalog_backend && status.local_catalog_backend !== "none",
      `${status.local_catalog_backend}${measured.num_datasets === null || measured.num_datasets === undefined ? "" : ` · ${measured.num_datasets} datasets`}`],
    ["S3 storage", status.s3_enabled, status.s3_enabled ? (status.s3_connected ? "connected" : "not connected") : "off"],
    ["Kafka", status.kafka_enabled, status.kafka_enabled ? `${status.kafka_host}:${status.kafka_port}` : "off"],
    ["JupyterLab", status.jupyterlab_enabled, status.jupyterlab_enabled ? status.jupyterlab_url : "off"],
    ["Remote execution", status.rexec_enabled, status.rexec_enabled ? `your server: ${rexecPhase ?? "unknown"}${rexec?.broker ? ` · broker ${rexec.broker.state}` : ""}` : "off"],
    ["Federation (pre-CKAN)", status.pre_ckan_enabled, status.pre_ckan_enabled ? (status.pre_ckan_connected ? "connected" : "not connected") : "off"],
  ];
  fill(content,
    h("h1", {}, "Dashboard"),
    h("p", { class: "muted" }, `${status.ep_name ?? ""} · ${status.organization ?? ""} · API ${status.api_version ?? ""}`),
    h("div", { class: "grid", id: "capabilities" }, flags.map(([name, on, detail]) => h("div", { class: "card" },
      h("h3", {}, name), h("p", { class: on ? "status-up" : "status-disabled" }, on ? "on" : "off"), h("p", { class: "small muted" }, detail ?? "")))),
    h("h2", {}, "This endpoint's machine"),
    h("table", { id: "metrics" }, h("tbody", {},
      [["CPU", measured.cpu], ["Memory", measured.memory], ["Disk", measured.disk], ["Public address", measured.public_ip],
        ["Access policy (SHA-256)", h("code", {}, status.policy_sha256 ?? "")],
        ["Prometheus metrics", h("code", {}, `${root}/metrics`)],
        ["Federation metrics collector (as configured)", `${status.metrics_endpoint ?? ""} · every ${status.metrics_interval_seconds ?? "?"} s`]]
        .map(([name, value]) => h("tr", {}, h("th", {}, name), h("td", {}, value))))),
    h("h2", {}, "Readiness"),
    h("table", {}, h("tbody", {}, Object.entries(ready.checks ?? {}).map(([name, check]) => h("tr", {},
      h("th", {}, name), h("td", { class: `status-${check.status}` }, check.status), h("td", { class: "small muted" }, check.error ?? ""))))));
}

// ---------------------------------------------------------------- datasets: create and edit

/** The form for a new dataset (`name` null) or for editing one; resources are rows. */
async function datasetForm(content, name) {
  content.append(loading());
  const organizations = await api("GET", "/organization", { query: { server: "local" } });
  let dataset = { name: "", title: "", owner_org: organizations[0] ?? "", notes: "", tags: [], resources: [] };
  if (name) {
    const shown = await api("GET", "/api/3/action/package_show", { query: { id: name } });
    dataset = shown.result ?? shown;
  }
  const errors = h("div");
  const nameInput = h("input", { name: "name", value: dataset.name, required: true, pattern: "[a-z0-9_\\-]{2,100}", disabled: Boolean(name) });
  const title = h("input", { name: "title", value: dataset.title ?? "", required: true });
  const organization = h("select", { name: "owner_org", required: true },
    organizations.map((org) => h("option", { value: org, selected: org === (dataset.organization?.name ?? dataset.owner_org) }, org)));
  const notes = h("textarea", { name: "notes" }, dataset.notes ?? "");
  const tags = h("input", { name: "tags", value: (dataset.tags ?? []).map((tag) => tag.name ?? tag).join(", ") });
  const rows = h("tbody");
  const addRow = (resource = {}) => {
    const row = h("tr", { class: "resource" },
      h("td", {}, h("input", { name: "resource-name", "aria-label": "Resource name", value: resource.name ?? "" })),
      h("td", {}, h("input", { name: "resource-url", "aria-label": "Resource URL", value: resource.url ?? "", placeholder: "https://…" })),
      h("td", {}, h("input", { name: "resource-format", "aria-label": "Resource format", value: resource.format ?? "" })),
      h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => row.remove() }, "Remove")));
    rows.append(row);
  };
  (dataset.resources ?? []).forEach(addRow);
  if (!name) addRow();
  const submit = h("button", { type: "submit" }, name ? "Save" : "Create dataset");
  fill(content,
    h("h1", {}, name ? `Edit ${dataset.title || dataset.name}` : "New dataset"),
    organizations.length ? null : h("p", { class: "error" }, "Create an organization first: ", link("/organizations", "Organizations")),
    h("form", {
      class: "card",
      onsubmit: (event) => {
        event.preventDefault();
        const resources = [...rows.querySelectorAll("tr.resource")].map((row) => ({
          name: row.querySelector("[name=resource-name]").value.trim(),
          url: row.querySelector("[name=resource-url]").value.trim(),
          format: row.querySelector("[name=resource-format]").value.trim(),
        })).filter((resource) => resource.url || resource.name);
        const body = {
          title: title.value.trim(), owner_org: organization.value, notes: notes.value,
          tags: tags.value.split(",").map((tag) => tag.trim()).filter(Boolean), resources,
        };
        busy(submit, errors, async () => {
          if (name) {
            await api("PUT", `/dataset/${encodeURIComponent(name)}`, { query: { server: "local" }, json: body });
            go(`/datasets/${encodeURIComponent(name)}`);
          } else {
            await api("POST", "/dataset", { query: { server: "local" }, json: { name: nameInput.value.trim(), ...body } });
            go(`/datasets/${encodeURIComponent(nameInput.value.trim())}`);
          }
        });
      },
    },
    field("Name", nameInput, name ? "A dataset's name does not change." : "Lowercase letters, digits, - and _; part of its address."),
    field("Title", title), field("Organization", organization), field("Description", notes),
    field("Tags", tags, "Separated by commas."),
    h("h2", {}, "Resources"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "URL"), h("th", {}, "Format"), h("th", {}, ""))), rows),
    h("p", {}, h("button", { type: "button", class: "secondary", onclick: () => addRow() }, "Add a resource")),
    errors, submit));
}

// ---------------------------------------------------------------- services

async function servicesPage(content) {
  content.append(h("h1", {}, "Services"));
  const errors = h("div");
  if (session.can.service?.create) {
    const name = h("input", { name: "service_name", required: true, pattern: "[a-z0-9_\\-]{2,100}" });
    const title = h("input", { name: "service_title", required: true });
    const url = h("input", { name: "service_url", type: "url", required: true, placeholder: "https://…" });
    const type = h("select", { name: "service_type" }, ["API", "UI", "Trigger"].map((kind) => h("option", { value: kind }, kind)));
    const health = h("input", { name: "health_check_url", type: "url", placeholder: "https://…/health" });
    const protectedBox = h("input", { name: "requires_auth", type: "checkbox" });
    const submit = h("button", { type: "submit" }, "Register service");
    content.append(h("form", {
      class: "card",
      onsubmit: (event) => {
        event.preventDefault();
        const body = {
          service_name: name.value.trim(), service_title: title.value.trim(), owner_org: "services", service_url: url.value.trim(),
          service_type: type.value, extras: protectedBox.checked ? { requires_auth: "true" } : {},
        };
        if (health.value.trim()) body.health_check_url = health.value.trim();
        busy(submit, errors, async () => {
          await api("POST", "/services", { query: { server: "local" }, json: body });
          render();
        });
      },
    }, h("h2", {}, "Register a service"), field("Name", name), field("Title", title), field("URL", url), field("Type", type),
    field("Health check URL (optional)", health),
    h("div", { class: "field" }, h("label", {}, protectedBox, " Requires authentication (callers need a token)")), errors, submit));
  }
  const list = h("div", {}, loading());
  const health = h("div", { id: "service-health" });
  const check = h("button", { type: "button", class: "secondary", id: "check-health" }, "Check every service's health");
  check.addEventListener("click", () => busy(check, errors, async () => {
    const answer = await api("GET", "/services/health");
    fill(health, h("p", { class: "small muted" }, `${answer.up} up, ${answer.down} down · checked ${answer.checked_at}`),
      h("table", {}, h("tbody", {}, (answer.services ?? []).map((service) => h("tr", {}, h("th", {}, service.name),
        h("td", { class: `status-${service.status === "up" || service.status === "down" ? service.status : "disabled"}` }, service.status),
        h("td", { class: "small muted" }, service.error ?? (service.status_code ? `HTTP ${service.status_code}` : "")))))));
  }));
  content.append(h("div", { class: "row" }, check), health, list);
  const found = await api("GET", "/api/3/action/package_search", { query: { fq: "organization:services", q: "*:*", rows: 100 } });
  const services = (found.result ?? found).results;
  const proxyBase = `${window.location.origin}${root}/services/redirect/`;
  fill(list, services.length === 0 ? h("p", { class: "card muted" }, "No services registered.") : services.map((service) => {
    const extras = Object.fromEntries((service.extras ?? []).map((extra) => [extra.key, extra.value]));
    return h("article", { class: "card service" },
      h("h3", {}, service.title || service.name),
      h("p", { class: "small muted" }, `${extras.service_type ?? ""}${/^(true|1|yes|on)$/i.test(extras.requires_auth ?? "") ? " · requires a token" : ""}`),
      h("p", {}, "Through the endpoint: ", h("code", { class: "copy proxy-url" }, proxyBase + service.name)),
      h("p", { class: "small" }, "Upstream: ", safeLink((service.resources ?? [])[0]?.url ?? "")));
  }));
}

// ---------------------------------------------------------------- S3 storage

async function storagePage(content) {
  const params = new URLSearchParams(window.location.search);
  const bucket = params.get("bucket");
  const errors = h("div");
  content.append(h("h1", {}, bucket ? `Storage · ${bucket}` : "Storage"), errors);
  if (!bucket) {
    const name = h("input", { name: "bucket", required: true, pattern: "[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]" });
    const submit = h("button", { type: "submit" }, "Create bucket");
    content.append(h("form", {
      class: "card",
      onsubmit: (event) => {
        event.preventDefault();
        busy(submit, errors, async () => {
          await api("POST", "/s3/buckets/", { json: { name: name.value.trim() } });
          render();
        });
      },
    }, field("New bucket", name, "3 to 63 lowercase letters, digits, dots and hyphens."), submit));
    const listed = await api("GET", "/s3/buckets/");
    content.append(listed.buckets.length === 0 ? h("p", { class: "card muted" }, "No buckets yet.")
      : h("ul", { class: "card", id: "buckets" }, listed.buckets.map((entry) => h("li", {}, link(`/storage?bucket=${encodeURIComponent(entry.name)}`, entry.name)))));
    return;
  }
  const file = h("input", { name: "file", type: "file", required: true });
  const key = h("input", { name: "object_key", placeholder: "the file's name" });
  const progress = h("progress", { max: "100", value: "0", hidden: true });
  const submit = h("button", { type: "submit" }, "Upload");
  content.append(
    h("p", {}, link("/storage", "← Buckets")),
    h("form", {
      class: "card",
      onsubmit: (event) => {
        event.preventDefault();
        if (!file.files[0]) return;
        busy(submit, errors, async () => {
          progress.hidden = false;
          await upload(bucket, key.value.trim() || file.files[0].name, file.files[0], (done) => { progress.value = String(done); });
          render();
        });
      },
    }, field("File", file), field("Key (optional)", key), progress, submit));
  const listed = await api("GET", `/s3/objects/${encodeURIComponent(bucket)}`);
  const objects = listed.objects ?? [];
  const remove = h("button", { type: "button", class: "danger" }, "Delete bucket");
  remove.addEventListener("click", () => busy(remove, errors, async () => {
    await api("DELETE", `/s3/buckets/${encodeURIComponent(bucket)}`);
    go("/storage");
  }));
  content.append(objects.length === 0 ? h("div", { class: "card" }, h("p", { class: "muted" }, "This bucket is empty."), remove)
    : h("table", { id: "objects" },
      h("thead", {}, h("tr", {}, h("th", {}, "Key"), h("th", { class: "optional" }, "Size"), h("th", {}, ""))),
      h("tbody", {}, objects.map((object) => objectRow(bucket, object, errors)))));
}

function objectRow(bucket, object, errors) {
  const path = `/s3/objects/${encodeURIComponent(bucket)}/${object.key.split("/").map(encodeURIComponent).join("/")}`;
  const download = h("button", { type: "button", class: "secondary" }, "Download");
  download.addEventListener("click", () => busy(download, errors, async () => {
    // A plain link would carry no token: fetch with it, then hand the browser the bytes.
    const response = await fetch(root + path, { headers: { Authorization: `Bearer ${session.token}` }, credentials: "omit" });
    if (!response.ok) throw new APIError(response.status, reason(await response.json().catch(() => null), response.statusText));
    const url = URL.createObjectURL(await response.blob());
    h("a", { href: url, download: object.key.split("/").pop() }).click();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }));
  const share = h("button", { type: "button", class: "secondary" }, "Link");
  const shared = h("div", { class: "small" });
  share.addEventListener("click", () => busy(share, errors, async () => {
    const presigned = await api("POST", `${path}/presigned-download`, { json: { expires_in: 3600 } });
    fill(shared, "For an hour: ", h("code", { class: "copy presigned" }, presigned.url));
  }));
  const remove = h("button", { type: "button", class: "danger" }, "Delete");
  remove.addEventListener("click", () => busy(remove, errors, async () => {
    await api("DELETE", path);
    render();
  }));
  return h("tr", {}, h("td", {}, object.key, shared), h("td", { class: "optional nowrap" }, formatBytes(object.size)),
    h("td", { class: "actions" }, h("div", { class: "row nowrap" }, download, share, remove)));
}

/** The endpoint's multipart upload, with progress (fetch reports none for uploads). */
function upload(bucket, key, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("object_key", key);
    form.append("file", file, key);
    const request = new XMLHttpRequest();
    request.open("POST", `${root}/s3/objects/${encodeURIComponent(bucket)}`);
    request.setRequestHeader("Authorization", `Bearer ${session.token}`);
    request.upload.addEventListener("progress", (event) => { if (event.lengthComputable) onProgress(Math.round((100 * event.loaded) / event.total)); });
    request.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(request.responseText); } catch { /* not JSON */ }
      if (request.status >= 200 && request.status < 300) resolve(body);
      else reject(new APIError(request.status, reason(body, `${request.status} ${request.statusText}`)));
    });
    request.addEventListener("error", () => reject(new APIError(0, "The upload did not reach the endpoint.")));
    request.send(form);
  });
}

function formatBytes(size) {
  if (typeof size !== "number") return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

// ---------------------------------------------------------------- access requests (admins)

async function accessRequestsPage(content) {
  const params = new URLSearchParams(window.location.search);
  const status = params.get("status") ?? "pending";
  const errors = h("div");
  const filter = h("select", { name: "status", onchange: (event) => go(`/access-requests?status=${event.target.value}`) },
    ["pending", "approved", "rejected", "all"].map((value) => h("option", { value, selected: value === status }, value)));
  content.append(h("h1", {}, "Access requests"), h("p", {}, link("/roles-help", "What each grant allows")), field("Show", filter), errors);
  const requests = await api("GET", "/user/access-requests", { query: { status } });
  if (requests.length === 0) {
    content.append(h("p", { class: "card muted" }, `No ${status === "all" ? "" : `${status} `}requests.`));
    return;
  }
  content.append(h("div", { id: "access-requests" }, requests.map((request) => {
    const grant = h("select", { name: "grant_type", "aria-label": `Grant ${request.username}` },
      ["member", "viewer", "writer", "admin"].map((value) => h("option", { value, selected: value === "viewer" }, value)));
    const approve = h("button", { type: "button" }, "Approve");
    const reject = h("button", { type: "button", class: "danger" }, "Reject");
    approve.addEventListener("click", () => busy(approve, errors, async () => {
      await api("POST", `/user/access-requests/${encodeURIComponent(request.id)}/approve`, { json: { grant_type: grant.value } });
      render();
    }));
    reject.addEventListener("click", () => busy(reject, errors, async () => {
      await api("POST", `/user/access-requests/${encodeURIComponent(request.id)}/reject`, { json: {} });
      render();
    }));
    return h("article", { class: "card access-request" },
      h("h3", {}, request.username ?? request.email ?? request.user_sub),
      h("p", { class: "small muted" }, `${request.status} · asked ${request.created_at ?? ""}`),
      request.justification ? h("p", {}, request.justification) : null,
      request.status === "pending" && session.can.access_request?.update ? h("div", { class: "row" }, grant, approve, reject) : h("p", { class: "small" }, `${request.grant_type ?? ""} ${request.decided_by_username ? `by ${request.decided_by_username}` : ""}`));
  })));
}

// ---------------------------------------------------------------- data staging

async function stagingPage(content) {
  const errors = h("div");
  const methods = session.stagingMethods ?? [];
  const method = h("select", { name: "method" }, methods.map((name) => h("option", { value: name }, name)));
  const source = h("input", { name: "local_path_on_storage", required: true, placeholder: "examples/hello.txt" });
  const target = h("input", { name: "relative_path", placeholder: "the same path" });
  const jupyterToken = h("input", { name: "jupyter_token", type: "password", autocomplete: "off" });
  const jupyterField = field("Your Jupyter token", jupyterToken, "Only for jupyter_copy: the token of your Jupyter server.");
  const showJupyter = () => { jupyterField.hidden = method.value !== "jupyter_copy"; };
  method.addEventListener("change", showJupyter);
  showJupyter();
  const submit = h("button", { type: "submit" }, "Stage");
  const jobs = h("div", {}, loading());
  content.append(h("h1", {}, "Data staging"),
    h("form", {
      class: "card",
      onsubmit: (event) => {
        event.preventDefault();
        const body = { data: { local_path_on_storage: source.value.trim() } };
        if (target.value.trim()) body.data.relative_path = target.value.trim();
        if (method.value === "jupyter_copy") body.jupyter_token = jupyterToken.value;
        busy(submit, errors, async () => {
          await api("POST", "/stage-data/", { query: { method: method.value, async: "true" }, json: body });
          if (await showJobs()) every(1000, showJobs);
        });
      },
    }, h("p", { class: "muted small" }, "From the endpoint's source storage into your area, or into your Jupyter server."),
    field("Method", method), field("Path on the source storage", source), field("Where, in your area", target), jupyterField, errors, submit),
    h("h2", {}, "Your jobs"), jobs);

  async function showJobs() {
    const listed = await api("GET", "/stage-data/jobs");
    const all = Array.isArray(listed) ? listed : listed.jobs ?? [];
    fill(jobs, all.length === 0 ? h("p", { class: "card muted" }, "No staging jobs yet.")
      : h("table", { id: "staging-jobs" },
        h("thead", {}, h("tr", {}, h("th", {}, "Source"), h("th", {}, "Method"), h("th", {}, "Status"), h("th", {}, ""))),
        h("tbody", {}, all.map((job) => {
          const running = job.status === "queued" || job.status === "running";
          const cancel = h("button", { type: "button", class: running ? "danger" : "secondary" }, running ? "Cancel" : "Remove");
          cancel.addEventListener("click", () => busy(cancel, errors, async () => {
            await api("DELETE", `/stage-data/jobs/${encodeURIComponent(job.id ?? job.job_id)}`);
            await showJobs();
          }));
          const done = job.bytes_total ? Math.round((100 * (job.bytes_done ?? 0)) / job.bytes_total) : null;
          return h("tr", { class: `job job-${job.status}` },
            h("td", {}, job.source ?? "", job.destination ? h("div", { class: "small muted" }, `→ ${job.destination}`) : null,
              job.error ? h("div", { class: "small error" }, job.error) : null),
            h("td", {}, job.method ?? ""),
            h("td", {}, job.status, running && done !== null ? h("progress", { max: "100", value: String(done) }) : null),
            h("td", {}, cancel));
        }))));
    return all.some((job) => job.status === "queued" || job.status === "running");
  }
  // Progress updates by itself while a job is queued or running.
  if (await showJobs()) every(1000, showJobs);
}

// ---------------------------------------------------------------- remote execution

async function rexecPage(content) {
  const errors = h("div");
  const state = h("div", {}, loading());
  const requirements = h("textarea", { name: "requirements" }, "python==3.11\nnumpy");
  const spawn = h("button", { type: "submit" }, "Start my rexec server");
  const terminate = h("button", { type: "button", class: "danger" }, "Stop it");
  terminate.addEventListener("click", () => busy(terminate, errors, async () => {
    await api("DELETE", "/rexec/terminate");
    if (await show()) every(2000, show);
  }));
  content.append(h("h1", {}, "Remote execution"),
    h("p", { class: "muted" }, "Your own rexec server runs the Python functions you call with scidx-rexec, next to the data."),
    state, errors,
    h("form", {
      class: "card",
      onsubmit: (event) => {
        event.preventDefault();
        const form = new URLSearchParams();
        for (const line of requirements.value.split("\n").map((text) => text.trim()).filter(Boolean)) form.append("requirments", line);
        busy(spawn, errors, async () => {
          await send("POST", "/rexec/spawn", { form });
          if (await show()) every(2000, show);
        });
      },
    }, field("Requirements, one per line", requirements, "One python==X.Y pin, then packages as pip takes them."), h("div", { class: "row" }, spawn, terminate)),
    h("h2", {}, "Call it from Python"),
    h("pre", { class: "card" }, h("code", { class: "copy", id: "rexec-snippet" }, [
      "pip install ndp-ep==0.9.0 scidx-rexec==0.1.0",
      "from ndp_ep import APIClient",
      "from rexec.client_api import remote_func",
      `client = APIClient(base_url="${window.location.origin}${root}", token="<your token>")`,
      "@remote_func",
      "def where(n):",
      "    import platform",
      "    return platform.node(), sum(range(n))",
      "print(where(10))",
    ].join("\n"))));

  async function show() {
    const status = await api("GET", "/rexec/status");
    const phase = status.phase ?? (status.ready ? "running" : "absent");
    fill(state, h("div", { class: "card", id: "rexec-status" },
      h("p", {}, "Your server: ", h("strong", { class: `phase-${phase}` }, phase),
        status.broker ? ` · broker: ${status.broker.state}` : ""),
      (status.requirements ?? []).length ? h("p", { class: "small muted" }, status.requirements.join(", ")) : null));
    terminate.hidden = phase === "absent";
    return phase === "starting" || phase === "terminating";
  }
  if (await show()) every(2000, show);
}

// ---------------------------------------------------------------- my pods (user-pods-backend)

async function podsPage(content) {
  const at = config.services.pods;
  const user = session.user.username;
  const errors = h("div");
  const manifests = config.services.pod_manifests ?? [];
  const manifest = manifests.length
    ? h("select", { name: "yaml_url" }, manifests.map((url) => h("option", { value: url }, url.split("/").pop())))
    : h("input", { name: "yaml_url", type: "url", required: true, placeholder: "https://…/jupyter.yaml" });
  const submit = h("button", { type: "submit" }, "Create pod");
  const list = h("div", {}, loading());
  content.append(h("h1", {}, "My pods"), h("form", {
    class: "card",
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, errors, async () => {
        await api("POST", "/create_pod", { at, json: { user_id: user, yaml_url: manifest.value } });
        await watch();
      });
    },
  }, field("Manifest", manifest), errors, submit), list);

  async function show() {
    const pods = (await api("POST", "/get_pods", { at, json: { user_id: user } })) ?? [];
    fill(list, pods.length === 0 ? h("p", { class: "card muted" }, "You have no pods.") : h("div", { id: "pods" }, pods.map((pod) => {
      // extend_pod sets the expiry to now + the duration (never earlier than it was).
      const duration = h("select", { name: "duration", "aria-label": `Keep ${pod.pod_name} for` },
        [["1d", "a day"], ["7d", "a week"], ["30d", "30 days"]].map(([value, label]) => h("option", { value }, `Keep for ${label}`)));
      const extend = h("button", { type: "button", class: "secondary" }, "Extend");
      extend.addEventListener("click", () => busy(extend, errors, async () => {
        await api("POST", "/extend_pod", { at, json: { user_id: user, pod_name: pod.pod_name, duration: duration.value } });
        await watch();
      }));
      const remove = h("button", { type: "button", class: "danger" }, "Delete");
      remove.addEventListener("click", () => busy(remove, errors, async () => {
        await api("POST", "/delete_pod", { at, json: { user_id: user, pod_name: pod.pod_name } });
        await watch();
      }));
      return h("article", { class: "card pod" },
        h("h3", {}, pod.pod_name),
        h("p", { class: "small muted pod-status" }, `${pod.status} · ${pod.image_name ?? ""}`),
        h("p", { class: "small pod-expiry" }, pod.expires_at ? `Expires ${pod.expires_at}${pod.expiring_soon ? " (soon)" : ""}` : "No expiry"),
        pod.ssh_url ? h("p", { class: "small" }, "ssh: ", h("code", { class: "copy" }, pod.ssh_url)) : null,
        pod.url ? h("p", { class: "small" }, "Web: ", safeLink(pod.url)) : null,
        h("div", { class: "row" }, h("div", {}, duration), extend, remove));
    })));
    return pods.some((pod) => /^(Creating|Deleting|Pending)/.test(pod.status));
  }
  // The list updates by itself while a pod is being made or removed (not otherwise: a choice
  // in a form would be lost).
  const watch = async () => { if (await show()) every(2000, show); };
  await watch();
}

// ---------------------------------------------------------------- batch jobs (kbatch)

async function jobsPage(content) {
  const at = config.services.kbatch;
  const errors = h("div");
  const name = h("input", { name: "job_name", required: true, pattern: "[a-z0-9][a-z0-9\\-]{0,40}", value: "job" });
  const image = h("input", { name: "image", required: true, value: "python:3.12-slim" });
  const command = h("input", { name: "command", required: true, value: 'python3 -c "print(\'hello from a batch job\')"' });
  const code = h("input", { name: "code", type: "file", multiple: true });
  const schedule = h("input", { name: "schedule", placeholder: "e.g. 0 3 * * *", pattern: "\\S+( \\S+){4}" });
  const submit = h("button", { type: "submit" }, "Submit");
  const list = h("div", {}, loading());
  const crons = h("div");
  const logs = h("pre", { class: "card", id: "job-log", hidden: true });
  content.append(h("h1", {}, "Batch jobs"), h("form", {
    class: "card",
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, errors, async () => {
        // What the kbatch client sends: the Job (or CronJob) in the Kubernetes client's
        // snake_case and the code as a ConfigMap's zip, unpacked into /code where it runs.
        const shipped = code.files.length > 0 ? await zipFiles([...code.files]) : null;
        const container = { name: "job", image: image.value.trim(), command: ["sh", "-c", command.value] };
        if (shipped) container.working_dir = "/code";
        const jobSpec = { backoff_limit: 0, template: { spec: { restart_policy: "Never", containers: [container] } } };
        const cron = schedule.value.trim();
        const job = { metadata: { generate_name: `${name.value.trim()}-` }, spec: cron ? { schedule: cron, job_template: { spec: jobSpec } } : jobSpec };
        const codeMap = shipped ? { binary_data: { code: shipped } } : null;
        await api("POST", cron ? "/cronjobs/" : "/jobs/", { at, json: { job, code: codeMap } });
        await watch();
      });
    },
  }, field("Name", name), field("Image", image), field("Command (run by sh -c)", command),
  field("Code (optional)", code, "Files shipped with the job into /code, where the command runs (at most 700 KiB zipped)."),
  field("Schedule (optional)", schedule, "A cron schedule makes it a cron job that runs a job at each tick."),
  errors, submit), list, crons, logs);

  const watch = async () => { if (await show()) every(2000, show); };

  async function show() {
    const [jobs, cronJobs] = await Promise.all([
      api("GET", "/jobs/", { at }).then((answer) => answer.items ?? []),
      api("GET", "/cronjobs/", { at }).then((answer) => answer.items ?? []),
    ]);
    fill(list, jobs.length === 0 ? h("p", { class: "card muted" }, "No batch jobs.") : h("table", { id: "jobs" },
      h("thead", {}, h("tr", {}, h("th", {}, "Job"), h("th", {}, "Status"), h("th", {}, ""))),
      h("tbody", {}, jobs.map((job) => {
        const jobName = job.metadata.name;
        const status = job.status ?? {};
        const state = status.succeeded ? "succeeded" : status.failed ? "failed" : status.active ? "running" : "pending";
        const read = h("button", { type: "button", class: "secondary" }, "Log");
        read.addEventListener("click", () => busy(read, errors, async () => {
          following = jobName;
          await readLog(jobName);
        }));
        return h("tr", { class: `job job-${state}` }, h("td", {}, jobName), h("td", {}, state),
          h("td", { class: "actions" }, h("div", { class: "row nowrap" }, read, deleteButton(`/jobs/${encodeURIComponent(jobName)}`))));
      }))));
    fill(crons, cronJobs.length === 0 ? null : [h("h2", {}, "Cron jobs"), h("table", { id: "cronjobs" },
      h("thead", {}, h("tr", {}, h("th", {}, "Cron job"), h("th", {}, "Schedule"), h("th", {}, "Last run"), h("th", {}, ""))),
      h("tbody", {}, cronJobs.map((cron) => h("tr", { class: "cronjob" },
        h("td", {}, cron.metadata.name), h("td", {}, h("code", {}, cron.spec?.schedule ?? "")),
        h("td", { class: "small" }, cron.status?.last_schedule_time ?? "not yet"),
        h("td", { class: "actions" }, deleteButton(`/cronjobs/${encodeURIComponent(cron.metadata.name)}`))))))]);
    // The log being read follows its job: read again with the list until the job ends.
    if (following && jobs.some((job) => job.metadata.name === following)) await readLog(following).catch(() => {});
    return jobs.some((job) => !job.status?.succeeded && !job.status?.failed);
  }

  let following = null;
  async function readLog(jobName) {
    const { text } = await send("GET", `/jobs/logs/${encodeURIComponent(jobName)}/`, { at, textReason: true });
    logs.hidden = false;
    fill(logs, h("strong", {}, jobName), "\n", h("code", {}, text || "(no output yet)"));
  }

  function deleteButton(path) {
    const remove = h("button", { type: "button", class: "danger" }, "Delete");
    remove.addEventListener("click", () => busy(remove, errors, async () => {
      await api("DELETE", path, { at });
      await watch();
    }));
    return remove;
  }
  await watch();
}

// A zip of the chosen files (stored, not compressed: the limit is what a ConfigMap holds, and
// scripts are small), base64 as the kbatch client ships its code.
async function zipFiles(files) {
  const encoder = new TextEncoder();
  const parts = [];
  const central = [];
  let offset = 0;
  for (const file of files) {
    const data = new Uint8Array(await file.arrayBuffer());
    const name = encoder.encode(file.name);
    const crc = crc32(data);
    const header = (signature, size) => { const view = new DataView(new ArrayBuffer(size)); view.setUint32(0, signature, true); return view; };
    const local = header(0x04034b50, 30);
    [[4, 20], [6, 0x0800], [8, 0], [10, 0], [12, 0x21]].forEach(([at, value]) => local.setUint16(at, value, true));
    local.setUint32(14, crc, true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, data.length, true);
    local.setUint16(26, name.length, true);
    const entry = header(0x02014b50, 46);
    [[4, 0x0314], [6, 20], [8, 0x0800], [10, 0], [12, 0], [14, 0x21]].forEach(([at, value]) => entry.setUint16(at, value, true));
    entry.setUint32(16, crc, true);
    entry.setUint32(20, data.length, true);
    entry.setUint32(24, data.length, true);
    entry.setUint16(28, name.length, true);
    entry.setUint32(38, (0o100644 << 16) >>> 0, true);
    entry.setUint32(42, offset, true);
    parts.push(new Uint8Array(local.buffer), name, data);
    central.push(new Uint8Array(entry.buffer), name);
    offset += 30 + name.length + data.length;
  }
  const centralSize = central.reduce((sum, part) => sum + part.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, files.length, true);
  end.setUint16(10, files.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  const blob = new Blob([...parts, ...central, new Uint8Array(end.buffer)]);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = "";
  for (let index = 0; index < bytes.length; index += 0x8000) binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  return btoa(binary);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
  let value = index;
  for (let bit = 0; bit < 8; bit += 1) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  return value >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------- AI agents (MCP)

/** How an agent reaches this endpoint's MCP server, and the tools it gets (from tools/list). */
async function agentsPage(content) {
  const url = `${window.location.origin}${root}/mcp`;
  content.append(h("h1", {}, "AI agents"),
    h("p", {}, "Agents (Claude, IDE assistants, scripts) use this endpoint through the Model Context Protocol: every operation of the "
      + "API is a tool, and each call acts as you, under the same access policy."),
    h("p", {}, "Address: ", h("code", { id: "mcp-url" }, url), " (Streamable HTTP; send your token as ", h("code", {}, "Authorization: Bearer …"), ")."),
    h("pre", { class: "card" }, h("code", { class: "copy", id: "mcp-snippet" }, [
      "pip install mcp",
      "import asyncio, httpx",
      "from mcp import ClientSession",
      "from mcp.client.streamable_http import streamable_http_client",
      "async def main():",
      "    async with httpx.AsyncClient(headers={\"Authorization\": \"Bearer <your token>\"}) as http:",
      `        async with streamable_http_client("${url}", http_client=http) as (read, write, _):`,
      "            async with ClientSession(read, write) as session:",
      "                await session.initialize()",
      "                print([tool.name for tool in (await session.list_tools()).tools])",
      "asyncio.run(main())",
    ].join("\n"))),
    loading("Listing the tools…"));
  // The console is an MCP client here too: one session, opened, listed and ended.
  const post = async (message, id) => {
    const { response, body } = await send("POST", "/mcp", { json: message, headers: id ? { "Mcp-Session-Id": id } : {} });
    if (body?.error) throw new APIError(response.status, body.error.message);
    return { body, id: response.headers.get("Mcp-Session-Id") };
  };
  const opened = await post({ jsonrpc: "2.0", id: 1, method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "ndp-ep-console", version: config.version } } });
  const tools = [];
  try {
    let cursor;
    do {
      const { body } = await post({ jsonrpc: "2.0", id: 2, method: "tools/list", params: cursor ? { cursor } : {} }, opened.id);
      tools.push(...body.result.tools);
      cursor = body.result.nextCursor;
    } while (cursor);
  } finally {
    send("DELETE", "/mcp", { headers: { "Mcp-Session-Id": opened.id } }).catch(() => {});
  }
  content.lastChild.replaceWith(
    h("h2", {}, `${tools.length} tools`),
    h("table", { id: "mcp-tools" },
      h("thead", {}, h("tr", {}, h("th", {}, "Tool"), h("th", {}, "What it does"), h("th", {}, ""))),
      h("tbody", {}, tools.map((tool) => h("tr", {},
        h("td", {}, h("code", {}, tool.name)),
        h("td", { class: "small" }, (tool.description ?? "").split("\n")[0]),
        h("td", { class: "small muted nowrap" }, tool.annotations?.readOnlyHint ? "read-only" : tool.annotations?.destructiveHint ? "destructive" : "changes"))))));
}

// ---------------------------------------------------------------- the access policy and roles

/** The policy in force, as `GET /policy` shows it (read-only: it changes only by editing its file). */
async function policyPage(content) {
  const shown = await api("GET", "/policy");
  const rows = [];
  for (const [entity, modes] of Object.entries(shown.policy ?? {})) {
    for (const [mode, operations] of Object.entries(modes ?? {})) {
      rows.push(h("tr", {}, h("th", {}, entity), h("td", {}, mode),
        ["create", "read", "update", "delete"].map((operation) => h("td", { class: "small" }, (operations?.[operation] ?? []).join(", ") || "—"))));
    }
  }
  content.append(h("h1", {}, "Access policy"),
    h("p", { class: "small muted" }, "From ", h("code", {}, shown.source ?? ""), ` · SHA-256 `, h("code", { id: "policy-hash" }, shown.sha256 ?? ""),
      ` · loaded ${shown.loaded_at ?? ""}`),
    h("p", {}, "Who may do what on this endpoint. It changes only by editing its file, which the services reload within seconds."),
    h("table", { id: "policy" },
      h("thead", {}, h("tr", {}, h("th", {}, "What"), h("th", {}, "Visibility"), h("th", {}, "create"), h("th", {}, "read"), h("th", {}, "update"), h("th", {}, "delete"))),
      h("tbody", {}, rows)));
}

function rolesHelpPage(content) {
  const grants = [
    ["member", "Passes the endpoint's group gate: signs in, reads the catalog, runs their own rexec server, stages data for themselves."],
    ["viewer", "A member who may also read the endpoint's status and protected catalog entries."],
    ["writer", "A viewer who may also create and change organizations, datasets, registrations, services and S3 storage."],
    ["admin", "A writer who may also delete what others made, decide access requests, and see the access policy and everyone's staging jobs."],
  ];
  content.append(h("h1", {}, "Roles"),
    h("p", {}, "An approved access request adds the user to this endpoint's group, and for writer and admin assigns that role. What each allows is set by the access policy in force; roughly:"),
    h("table", {}, h("tbody", {}, grants.map(([name, text]) => h("tr", {}, h("th", {}, name), h("td", {}, text))))),
    h("p", {}, link("/access-requests", "← Access requests")));
}

// ---------------------------------------------------------------- typed registrations

// Upstream's registrations, each a dataset with one resource: a URL, an S3 location, a Kafka
// topic (offered only where the endpoint reports Kafka).
const registrations = {
  url: {
    label: "URL resource", path: "/url",
    fields: [["resource_name", "Name"], ["resource_title", "Title"], ["resource_url", "URL", "url"], ["file_type", "File type"], ["notes", "Description"]],
  },
  s3: {
    label: "S3 resource", path: "/s3",
    fields: [["resource_name", "Name"], ["resource_title", "Title"], ["resource_s3", "S3 location (s3://bucket/prefix)"], ["notes", "Description"]],
  },
  kafka: {
    label: "Kafka topic", path: "/kafka", shown: () => session.status?.kafka_enabled === true,
    fields: [["dataset_name", "Name"], ["dataset_title", "Title"], ["kafka_topic", "Topic"], ["kafka_host", "Kafka host"],
      ["kafka_port", "Kafka port", "number"], ["dataset_description", "Description"]],
  },
};

async function registerPage(content) {
  const params = new URLSearchParams(window.location.search);
  const offered = Object.entries(registrations).filter(([, kind]) => !kind.shown || kind.shown());
  const chosen = offered.find(([key]) => key === params.get("kind")) ?? offered[0];
  const organizations = await api("GET", "/organization", { query: { server: "local" } });
  const kind = h("select", { name: "kind", onchange: (event) => go(`/register?kind=${event.target.value}`) },
    offered.map(([key, entry]) => h("option", { value: key, selected: key === chosen[0] }, entry.label)));
  const organization = h("select", { name: "owner_org", required: true }, organizations.map((org) => h("option", { value: org }, org)));
  const inputs = chosen[1].fields.map(([name, label, type]) => [name, label,
    name.endsWith("description") || name === "notes" ? h("textarea", { name }) : h("input", { name, type: type ?? "text", required: !["notes", "file_type", "dataset_description"].includes(name) })]);
  const errors = h("div");
  const submit = h("button", { type: "submit" }, `Register ${chosen[1].label.toLowerCase()}`);
  content.append(h("h1", {}, "Register"), h("form", {
    class: "card",
    onsubmit: (event) => {
      event.preventDefault();
      const body = { owner_org: organization.value };
      for (const [name, , input] of inputs) {
        if (input.value.trim() === "") continue;
        body[name] = input.type === "number" ? Number(input.value) : input.value.trim();
      }
      busy(submit, errors, async () => {
        await api("POST", chosen[1].path, { query: { server: "local" }, json: body });
        go(`/datasets/${encodeURIComponent(body.resource_name ?? body.dataset_name)}`);
      });
    },
  }, field("What", kind), field("Organization", organization), inputs.map(([, label, input]) => field(label, input)), errors, submit));
}

render();
