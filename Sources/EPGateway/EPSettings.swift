import Shared

/// The EP gateway's settings (upstream names; see specs/ndp-ep.md §4.2).
struct EPSettings: Sendable {
    var auth: AuthSettings
    var access: AccessSettings
    /// `TEST_TOKEN`: off unless set. Upstream defaults it to "testing_token", a full-admin backdoor.
    var testToken: String?
    var swaggerTitle: String
    var swaggerDescription: String
    var version: String

    /// The identity upstream gives the test token.
    static let testIdentity = UserIdentity(
        subject: "test_user", username: "Test User", groups: [], roles: ["ndp_admin"],
        attributes: ["sub": "test_user", "username": "Test User", "roles": ["ndp_admin"], "groups": []]
    )

    static func load(from source: ConfigurationSource) throws -> EPSettings {
        EPSettings(
            auth: try AuthSettings.load(from: source),
            access: try AccessSettings.load(from: source),
            testToken: source.optionalString("TEST_TOKEN"),
            swaggerTitle: source.string("SWAGGER_TITLE", default: "API Documentation"),
            swaggerDescription: source.string("SWAGGER_DESCRIPTION", default: "This is the API documentation."),
            version: source.string("SWAGGER_VERSION", default: "0.34.17")
        )
    }
}
