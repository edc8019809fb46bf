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

    static func load(from source: ConfigurationSource) throws -> EPSettings {
        var settings = try loadFields(from: source)
        settings.accessRequestsEnabled = try source.bool("ENABLE_ACCESS_REQUESTS", default: false)
        if settings.accessRequestsEnabled {
            guard settings.catalog.ownsDatabase else {
                throw ConfigurationError(
                    variable: "ENABLE_ACCESS_REQUESTS", value: "True",
                    expected:
                        "False with LOCAL_CATALOG_BACKEND=\(settings.catalog.backend.rawValue): access requests are kept in the catalog database (sqlite or postgres)"
                )
            }
            guard let group = settings.access.endpointUUID, !group.isEmpty else {
                throw ConfigurationError(
                    variable: "AFFINITIES_EP_UUID", value: "",
                    expected: "the endpoint's group at the AAI, which an approved access request adds the user to (ENABLE_ACCESS_REQUESTS=True)")
            }
        }
        if settings.staging.enabled, !settings.catalog.ownsDatabase {
            throw ConfigurationError(
                variable: "STAGING_ENABLED", value: "true",
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
            testToken: source.optionalString("TEST_TOKEN"),
            swaggerTitle: source.string("SWAGGER_TITLE", default: "API Documentation"),
            swaggerDescription: source.string("SWAGGER_DESCRIPTION", default: "This is the API documentation."),
            version: source.string("SWAGGER_VERSION", default: "0.34.17"),
            status: StatusSettings(
                organization: source.string("ORGANIZATION", default: "Unknown Organization"),
                epName: source.string("EP_NAME", default: "Unknown EP"),
                isPublic: try source.bool("IS_PUBLIC", default: true),
                metricsEndpoint: source.string("METRICS_ENDPOINT", default: "https://federation.ndp.utah.edu/metrics/"),
                metricsIntervalSeconds: try source.integer("METRICS_INTERVAL_SECONDS", default: 3300, range: 1...604_800),
                preCkanEnabled: try source.bool("PRE_CKAN_ENABLED", default: false),
                kafkaEnabled: try source.bool("KAFKA_CONNECTION", default: false),
                kafkaHost: source.optionalString("KAFKA_HOST") ?? "localhost",
                kafkaPort: try source.optionalString("KAFKA_PORT") == nil ? 9092 : source.port("KAFKA_PORT", default: 9092),
                kafkaPrefix: source.string("KAFKA_PREFIX", default: "data_stream_"),
                maxStreams: try source.integer("MAX_STREAMS", default: 10, range: 0...1_000_000),
                jupyterEnabled: try source.bool("USE_JUPYTERLAB", default: false),
                jupyterURL: source.string("JUPYTER_URL", default: "https://jupyter.org/try-jupyter/lab/"),
                publicIP: source.optionalString("PUBLIC_IP")
            ),
            rexec: RexecSettings(
                enabled: try source.bool("REXEC_CONNECTION", default: false),
                deploymentAPIURL: source.string("REXEC_DEPLOYMENT_API_URL", default: ""),
                internalURL: try source.optionalString("REXEC_DEPLOYMENT_INTERNAL_URL").map { _ in
                    try source.url("REXEC_DEPLOYMENT_INTERNAL_URL", default: "")
                },
                timeout: try source.seconds("REXEC_DEPLOYMENT_TIMEOUT_SECONDS", default: 30, range: 0.1...600),
                spawnWaitTimeout: try source.seconds("REXEC_SPAWN_WAIT_TIMEOUT_SECONDS", default: 300, range: 1...3600)
            ),
            catalog: try CatalogSettings.load(from: source),
            storage: try StorageSettings.load(from: source),
            staging: try StagingSettings.load(from: source),
            federation: try FederationSettings.load(from: source)
        )
    }
}
