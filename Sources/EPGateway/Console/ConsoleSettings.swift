import Foundation
import ServiceKit

/// The web console at `<ROOT_PATH>/ui/` (docs/console.md): `UI_ENABLED`, and upstream's OIDC
/// sign-in settings (docs/specs/ep-console-mcp-otel-pelican.md §1.5), which the console reads.
struct ConsoleSettings: Sendable, Equatable {
    var enabled: Bool
    var oidc: OIDC

    /// Sign-in at an OpenID Connect provider (authorization code with PKCE).
    struct OIDC: Sendable, Equatable, Encodable {
        var enabled: Bool
        var issuer: String
        var clientID: String
        var scope: String
        var buttonLabel: String
        var helpText: String

        /// On only with an issuer and a client id, as upstream.
        var usable: Bool { enabled && !issuer.isEmpty && !clientID.isEmpty }

        enum CodingKeys: String, CodingKey {
            case enabled, issuer
            case clientID = "client_id"
            case scope
            case buttonLabel = "button_label"
            case helpText = "help_text"
        }
    }

    static let standard = ConsoleSettings(
        enabled: true, oidc: OIDC(enabled: false, issuer: "", clientID: "", scope: "openid profile email", buttonLabel: "", helpText: ""))

    // MARK: Declarations

    static let enabled = Setting<Bool>.boolean("UI_ENABLED", default: true, help: "The web console at <ROOT_PATH>/ui/.")
    static let oidcEnabled = Setting<Bool>.boolean(
        "OIDC_ENABLED", default: false, help: "The console's \"sign in with your identity provider\" (OIDC authorization code with PKCE).")
    static let oidcIssuer = Setting<String>.text(
        "OIDC_ISSUER", default: "", help: "The OpenID provider (its /.well-known/openid-configuration), e.g. a Keycloak realm URL.")
    static let oidcClientID = Setting<String>.text("OIDC_CLIENT_ID", default: "", help: "The console's client at the provider.")
    static let oidcScope = Setting<String>.text("OIDC_SCOPE", default: "openid profile email", help: "The scopes asked for.")
        .blankMeansDefault()
    static let oidcButtonLabel = Setting<String>.text(
        "OIDC_BUTTON_LABEL", default: "Sign in with your identity provider", help: "The sign-in button's label."
    ).blankMeansDefault()
    static let oidcHelpText = Setting<String>.text("OIDC_HELP_TEXT", default: "", help: "A line shown under the sign-in button.")

    static let settings = SettingGroup(
        "Web console", [enabled, oidcEnabled, oidcIssuer, oidcClientID, oidcScope, oidcButtonLabel, oidcHelpText])

    static func load(from source: ConfigurationSource) throws -> ConsoleSettings {
        var issuer = try source.value(oidcIssuer).trimmingCharacters(in: .whitespaces)
        while issuer.hasSuffix("/") { issuer.removeLast() }
        return ConsoleSettings(
            enabled: try source.value(enabled),
            oidc: OIDC(
                enabled: try source.value(oidcEnabled), issuer: issuer,
                clientID: try source.value(oidcClientID).trimmingCharacters(in: .whitespaces), scope: try source.value(oidcScope),
                buttonLabel: try source.value(oidcButtonLabel), helpText: try source.value(oidcHelpText)))
    }
}
