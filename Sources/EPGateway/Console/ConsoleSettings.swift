import Foundation
import ServiceKit

/// The web console at `<ROOT_PATH>/ui/` (docs/console.md): `UI_ENABLED`, and upstream's OIDC
/// sign-in settings (docs/specs/console.md §3.1), which the console reads.
struct ConsoleSettings: Sendable, Equatable {
    var enabled: Bool
    var oidc: OIDC
    /// The platform's other services as browsers reach them (they answer CORS), each shown in
    /// the console only when set.
    var services: Services = .none

    struct Services: Sendable, Equatable, Encodable {
        /// `UI_PODS_URL`: the user-pods-backend.
        var pods: String?
        /// `UI_POD_MANIFESTS`: the manifests offered for a new pod.
        var podManifests: [String]
        /// `UI_KBATCH_URL`: the deploy API's kbatch prefix.
        var kbatch: String?

        static let none = Services(pods: nil, podManifests: [], kbatch: nil)

        /// Their origins, which the Content-Security-Policy lets the console call.
        var origins: [String] { [pods, kbatch].compactMap { $0.flatMap(ConsoleSettings.origin) } }

        enum CodingKeys: String, CodingKey {
            case pods
            case podManifests = "pod_manifests"
            case kbatch
        }
    }

    /// `https://host:8443` of a URL.
    static func origin(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme, let host = url.host else { return nil }
        return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
    }

    /// Sign-in at an OpenID Connect provider (authorization code with PKCE).
    struct OIDC: Sendable, Equatable, Encodable {
        var enabled: Bool
        var issuer: String
        var clientID: String
        var scope: String
        var buttonLabel: String
        var helpText: String
        /// `OIDC_CLIENT_SECRET`: with it the console is a confidential client, whose code this
        /// endpoint exchanges (``ConsoleSignInRoutes``); never written into the page.
        var clientSecret: String? = nil

        /// On only with an issuer and a client id, as upstream.
        var usable: Bool { enabled && !issuer.isEmpty && !clientID.isEmpty }
        /// Whether the endpoint, not the browser, talks to the provider.
        var confidential: Bool { clientSecret != nil }

        enum CodingKeys: String, CodingKey {
            case enabled, issuer
            case clientID = "client_id"
            case scope
            case buttonLabel = "button_label"
            case helpText = "help_text"
            case confidential
        }

        /// What the page's script reads: the settings, and whether the client is confidential
        /// (the secret stays here).
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(enabled, forKey: .enabled)
            try container.encode(issuer, forKey: .issuer)
            try container.encode(clientID, forKey: .clientID)
            try container.encode(scope, forKey: .scope)
            try container.encode(buttonLabel, forKey: .buttonLabel)
            try container.encode(helpText, forKey: .helpText)
            try container.encode(confidential, forKey: .confidential)
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
    static let oidcClientSecret = Setting<String?>.optionalText(
        "OIDC_CLIENT_SECRET",
        help:
            "Makes the console a confidential client: this endpoint exchanges the code (client_secret_basic), so the provider needs no CORS. Unset: a public client, as upstream."
    ).secret()
    static let oidcScope = Setting<String>.text("OIDC_SCOPE", default: "openid profile email", help: "The scopes asked for.")
        .blankMeansDefault()
    static let oidcButtonLabel = Setting<String>.text(
        "OIDC_BUTTON_LABEL", default: "Sign in with your identity provider", help: "The sign-in button's label."
    ).blankMeansDefault()
    static let oidcHelpText = Setting<String>.text("OIDC_HELP_TEXT", default: "", help: "A line shown under the sign-in button.")

    static let podsURL = Setting<URL?>.optionalURL(
        "UI_PODS_URL", help: "The user-pods-backend as browsers reach it: the console's \"My pods\" page (unset: no page).")
    static let podManifests = Setting<String>.text(
        "UI_POD_MANIFESTS", default: "", help: "Comma-separated manifest URLs offered for a new pod (the pods backend's whitelist decides).")
    static let kbatchURL = Setting<URL?>.optionalURL(
        "UI_KBATCH_URL",
        help: "The deploy API's kbatch prefix as browsers reach it, e.g. https://host/kbatch: the \"Batch jobs\" page (unset: no page).")

    static let settings = SettingGroup(
        "Web console",
        [
            enabled, oidcEnabled, oidcIssuer, oidcClientID, oidcClientSecret, oidcScope, oidcButtonLabel, oidcHelpText, podsURL, podManifests,
            kbatchURL,
        ])

    static func load(from source: ConfigurationSource) throws -> ConsoleSettings {
        let issuer = try source.value(oidcIssuer).trimmingCharacters(in: .whitespaces).withoutTrailingSlashes
        return ConsoleSettings(
            enabled: try source.value(enabled),
            oidc: OIDC(
                enabled: try source.value(oidcEnabled), issuer: issuer,
                clientID: try source.value(oidcClientID).trimmingCharacters(in: .whitespaces), scope: try source.value(oidcScope),
                buttonLabel: try source.value(oidcButtonLabel), helpText: try source.value(oidcHelpText),
                clientSecret: try source.value(oidcClientSecret).flatMap { $0.isEmpty ? nil : $0 }),
            services: Services(
                pods: try source.value(podsURL).map(\.absoluteString.withoutTrailingSlashes),
                podManifests: try source.value(podManifests).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty },
                kbatch: try source.value(kbatchURL).map(\.absoluteString.withoutTrailingSlashes)))
    }

}
