import Foundation
import Identity
import ServiceKit

/// The EP gateway's settings (upstream names; see docs/specs/ndp-ep.md §4.2).
struct EPSettings: Sendable {
    var auth: AuthSettings
    var access: AccessSettings
    /// `TEST_TOKEN`: off unless set. Upstream defaults it to "testing_token", a full-admin backdoor.
    var testToken: String?
    var swaggerTitle: String
    var swaggerDescription: String
    var version: String
    var status: StatusSettings
    var rexec: RexecSettings
    var catalog: CatalogSettings
    var storage: StorageSettings
    var staging: StagingSettings
    /// `server=global` and `server=pre_ckan`: remote CKAN catalogs, when configured.
    var federation: FederationSettings
    /// `ENABLE_ACCESS_REQUESTS`: the access-request workflow (needs the catalog database,
    /// which keeps the requests, and `AFFINITIES_EP_UUID`, the group approval adds users to).
    var accessRequestsEnabled: Bool = false
    /// The web console at `<ROOT_PATH>/ui/`.
    var console: ConsoleSettings = .standard
    /// The MCP server at `<ROOT_PATH>/mcp`.
    var mcp: MCPSettings = .standard

    /// What `GET /status/` and its siblings report.
    struct StatusSettings: Sendable {
        var organization: String
        var epName: String
        var isPublic: Bool
        var metricsEndpoint: String
        var metricsIntervalSeconds: Int
        var preCkanEnabled: Bool
        var kafkaEnabled: Bool
        var kafkaHost: String
        var kafkaPort: Int
        var kafkaPrefix: String
        var maxStreams: Int
        var jupyterEnabled: Bool
        var jupyterURL: String
        /// `PUBLIC_IP`: what `/status/metrics` reports (upstream asked api.ipify.org).
        var publicIP: String?
    }

    /// `REXEC_CONNECTION`, `REXEC_DEPLOYMENT_API_URL` (advertised, as upstream) and
    /// `REXEC_DEPLOYMENT_INTERNAL_URL` (where the gateway delegates `/rexec/*`).
    struct RexecSettings: Sendable {
        var enabled: Bool
        var deploymentAPIURL: String
        var internalURL: URL?
        /// `REXEC_DEPLOYMENT_TIMEOUT_SECONDS`: budget of one delegated call (a `wait=true`
        /// spawn gets the deploy API's own wait on top).
        var timeout: Duration
        var spawnWaitTimeout: Duration
    }

    /// The identity upstream gives the test token.
    static let testIdentity = UserIdentity(
        subject: "test_user", username: "Test User", groups: [], roles: ["ndp_admin"],
        attributes: ["sub": "test_user", "username": "Test User", "roles": ["ndp_admin"], "groups": []]
    )

    // MARK: Declarations

    static let testToken = Setting<String?>.optionalText(
        "TEST_TOKEN", help: "Upstream's admin test token: off unless set (upstream turns it on by default, a full-admin backdoor)."
    ).secret()
    static let swaggerTitle = Setting<String>.text("SWAGGER_TITLE", default: "API Documentation", help: "The OpenAPI document's title.")
    static let swaggerDescription = Setting<String>.text(
        "SWAGGER_DESCRIPTION", default: "This is the API documentation.", help: "The OpenAPI document's description.")
    static let version = Setting<String>.text(
        "SWAGGER_VERSION", default: "0.34.17", help: "The OpenAPI document's version, also /status/'s api_version (the client checks it).")
    static let accessRequestsEnabled = Setting<Bool>.boolean(
        "ENABLE_ACCESS_REQUESTS", default: false,
        help: "The access-request workflow (needs a catalog database, sqlite or postgres, and AFFINITIES_EP_UUID).")

    static let settings = SettingGroup(
        "Endpoint", [testToken, swaggerTitle, swaggerDescription, version, accessRequestsEnabled])

    static func load(from source: ConfigurationSource) throws -> EPSettings {
        var settings = try loadFields(from: source)
        settings.accessRequestsEnabled = try source.value(accessRequestsEnabled)
        settings.console = try ConsoleSettings.load(from: source)
        settings.mcp = try MCPSettings.load(from: source)
        if settings.accessRequestsEnabled {
            guard settings.catalog.ownsDatabase else {
                throw source.refusal(
                    accessRequestsEnabled,
                    expected:
                        "False with LOCAL_CATALOG_BACKEND=\(settings.catalog.backend.rawValue): access requests are kept in the catalog database (sqlite or postgres)"
                )
            }
            guard let group = settings.access.endpointUUID, !group.isEmpty else {
                throw source.refusal(
                    AccessSettings.endpointUUID,
                    expected: "the endpoint's group at the AAI, which an approved access request adds the user to (ENABLE_ACCESS_REQUESTS=True)")
            }
        }
        if settings.staging.enabled, !settings.catalog.ownsDatabase {
            throw source.refusal(
                StagingSettings.enabled,
                expected:
                    "false with LOCAL_CATALOG_BACKEND=\(settings.catalog.backend.rawValue): staging jobs are kept in the catalog database (sqlite or postgres)"
            )
        }
        return settings
    }

    private static func loadFields(from source: ConfigurationSource) throws -> EPSettings {
        return EPSettings(
            auth: try AuthSettings.load(from: source),
            access: try AccessSettings.load(from: source),
            testToken: try source.value(testToken),
            swaggerTitle: try source.value(swaggerTitle),
            swaggerDescription: try source.value(swaggerDescription),
            version: try source.value(version),
            status: try StatusSettings.load(from: source),
            rexec: try RexecSettings.load(from: source),
            catalog: try CatalogSettings.load(from: source),
            storage: try StorageSettings.load(from: source),
            staging: try StagingSettings.load(from: source),
            federation: try FederationSettings.load(from: source)
        )
    }
}

extension EPSettings.StatusSettings {
    static let organization = Setting<String>.text(
        "ORGANIZATION", default: "Unknown Organization", help: "The endpoint's organization: in /status/ and stamped on datasets (ndp_group_id).")
    static let epName = Setting<String>.text("EP_NAME", default: "Unknown EP", help: "The endpoint's name: in /status/ and CKAN's status_show.")
    static let isPublic = Setting<Bool>.boolean("IS_PUBLIC", default: true, help: "Whether the endpoint is listed publicly (/status/).")
    static let metricsEndpoint = Setting<String>.text(
        "METRICS_ENDPOINT", default: "https://federation.ndp.utah.edu/metrics/", help: "The federation metrics collector /status/ names.")
    static let metricsInterval = Setting<Int>.integer(
        "METRICS_INTERVAL_SECONDS", default: 3300, range: 1...604_800, help: "The metrics period /status/ reports.")
    static let preCkanEnabled = Setting<Bool>.boolean(
        "PRE_CKAN_ENABLED", default: false, help: "Pre-CKAN (server=pre_ckan and publishing) at PRE_CKAN_URL.")
    static let kafkaEnabled = Setting<Bool>.boolean(
        "KAFKA_CONNECTION", default: false, help: "Report Kafka as available (/status/, /status/kafka-details).")
    static let kafkaHost = Setting<String>.text("KAFKA_HOST", default: "localhost", help: "The Kafka host clients are told.").blankMeansDefault()
    static let kafkaPort = Setting<Int>.port("KAFKA_PORT", default: 9092, help: "The Kafka port clients are told.").blankMeansDefault()
    static let kafkaPrefix = Setting<String>.text("KAFKA_PREFIX", default: "data_stream_", help: "The prefix of stream topics.")
    static let maxStreams = Setting<Int>.integer("MAX_STREAMS", default: 10, range: 0...1_000_000, help: "Streams a user may open.")
    static let jupyterEnabled = Setting<Bool>.boolean("USE_JUPYTERLAB", default: false, help: "Serve /status/jupyter with JUPYTER_URL.")
    static let jupyterURL = Setting<String>.text(
        "JUPYTER_URL", default: "https://jupyter.org/try-jupyter/lab/", help: "The JupyterLab users are sent to.")
    static let publicIP = Setting<String?>.optionalText(
        "PUBLIC_IP", help: "What /status/metrics reports as public_ip (upstream asked api.ipify.org on every call).")

    static let settings = SettingGroup(
        "Status and integrations",
        [
            organization, epName, isPublic, metricsEndpoint, metricsInterval, preCkanEnabled, kafkaEnabled, kafkaHost, kafkaPort, kafkaPrefix,
            maxStreams, jupyterEnabled, jupyterURL, publicIP,
        ])

    static func load(from source: ConfigurationSource) throws -> Self {
        Self(
            organization: try source.value(organization), epName: try source.value(epName), isPublic: try source.value(isPublic),
            metricsEndpoint: try source.value(metricsEndpoint), metricsIntervalSeconds: try source.value(metricsInterval),
            preCkanEnabled: try source.value(preCkanEnabled), kafkaEnabled: try source.value(kafkaEnabled), kafkaHost: try source.value(kafkaHost),
            kafkaPort: try source.value(kafkaPort), kafkaPrefix: try source.value(kafkaPrefix), maxStreams: try source.value(maxStreams),
            jupyterEnabled: try source.value(jupyterEnabled), jupyterURL: try source.value(jupyterURL), publicIP: try source.value(publicIP))
    }
}

extension EPSettings.RexecSettings {
    static let enabled = Setting<Bool>.boolean(
        "REXEC_CONNECTION", default: false, help: "Rexec: /status/rexec and, with REXEC_DEPLOYMENT_INTERNAL_URL, the /rexec/* routes.")
    static let deploymentAPIURL = Setting<String>.text(
        "REXEC_DEPLOYMENT_API_URL", default: "", help: "The deploy API's public URL /status/rexec advertises (scidx-rexec calls it).")
    static let internalURL = Setting<URL?>.optionalURL(
        "REXEC_DEPLOYMENT_INTERNAL_URL", help: "Where the endpoint delegates /rexec/* (the deploy API inside the cluster).")
    static let timeout = Setting<Duration>.seconds(
        "REXEC_DEPLOYMENT_TIMEOUT_SECONDS", default: 30, range: 0.1...600,
        help: "Budget of one delegated call (a wait=true spawn gets the deploy API's own wait on top).")
    static let spawnWaitTimeout = Setting<Duration>.seconds(
        "REXEC_SPAWN_WAIT_TIMEOUT_SECONDS", default: 300, range: 1...3600,
        help: "The deploy API's wait=true deadline, added to a delegated spawn's budget.")

    static let settings = SettingGroup(
        "Rexec delegation", [enabled, deploymentAPIURL, internalURL, timeout, spawnWaitTimeout])

    static func load(from source: ConfigurationSource) throws -> Self {
        Self(
            enabled: try source.value(enabled), deploymentAPIURL: try source.value(deploymentAPIURL),
            internalURL: try source.value(internalURL), timeout: try source.value(timeout),
            spawnWaitTimeout: try source.value(spawnWaitTimeout))
    }
}
