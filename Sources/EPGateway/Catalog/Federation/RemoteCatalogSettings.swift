import Foundation
import ServiceKit

/// A CKAN catalog this endpoint talks to (docs/specs/ndp-ep.md §4.2): the global catalog
/// (`CKAN_GLOBAL_URL`), Pre-CKAN (`PRE_CKAN_*`), or the local catalog kept in a CKAN
/// (`LOCAL_CATALOG_BACKEND=ckan`, `CKAN_URL`, `CKAN_API_KEY`). Another ndp-ep-api serves the
/// same action API, so any of them may be another endpoint.
struct RemoteCatalogSettings: Sendable, Equatable {
    /// Without a trailing slash; `http://` put in front of a URL without a scheme, as upstream does.
    var url: String
    var apiKey: String?
    var verifyTLS: Bool
    /// How errors name it: "Global catalog", "Pre-CKAN catalog", "Local CKAN catalog".
    var label: String
    /// How metrics name it: `global`, `pre_ckan`, `local`.
    var key: String
    /// `CKAN_TIMEOUT_SECONDS` (default 30): one action's whole time.
    var timeout: Duration

    static let timeout = Setting<Int>.integer(
        "CKAN_TIMEOUT_SECONDS", default: 30, range: 1...600, help: "One action's whole time at a remote catalog (CKAN, Pre-CKAN, the global catalog)."
    )

    static func load(
        url urlSetting: Setting<String?>, apiKey: Setting<String?>?, verify: Setting<Bool>, label: String, key: String,
        from source: ConfigurationSource,
        default defaultURL: String? = nil
    ) throws -> RemoteCatalogSettings? {
        guard var url = try source.value(urlSetting) ?? defaultURL, !url.isEmpty else { return nil }
        if !url.contains("://") { url = "http://" + url }
        url = url.withoutTrailingSlashes
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw source.refusal(urlSetting, expected: "an http(s) URL of a CKAN catalog (its action API is <url>/api/3/action/)")
        }
        return RemoteCatalogSettings(
            url: url, apiKey: try apiKey.flatMap { try source.value($0) }, verifyTLS: try source.value(verify), label: label, key: key,
            timeout: .seconds(try source.value(timeout)))
    }
}

/// The catalogs besides the local one: `server=global` and `server=pre_ckan`.
struct FederationSettings: Sendable, Equatable {
    /// `CKAN_GLOBAL_URL`; unset: `server=global` is this endpoint's own public catalog.
    var global: RemoteCatalogSettings?
    /// `PRE_CKAN_URL` and `PRE_CKAN_API_KEY`, when `PRE_CKAN_ENABLED`.
    var preCkan: RemoteCatalogSettings?
    /// `PRE_CKAN_ORGANIZATION`: the organization a published dataset goes to (empty: its own).
    var preCkanOrganization: String?

    static let globalURL = Setting<String?>.optionalText(
        "CKAN_GLOBAL_URL", help: "The global catalog server=global reads; unset: this endpoint's own public catalog.", accepts: "http(s) URL")
    static let globalVerifySSL = Setting<Bool>.boolean("CKAN_GLOBAL_VERIFY_SSL", default: true, help: "Check the global catalog's TLS certificate.")
    static let preCkanURL = Setting<String?>.optionalText(
        "PRE_CKAN_URL", help: "Pre-CKAN, with PRE_CKAN_ENABLED (http:// is put in front of a URL without a scheme).", accepts: "http(s) URL",
        default: "https://ndp-test.sdsc.edu/catalog2")
    static let preCkanAPIKey = Setting<String?>.optionalText("PRE_CKAN_API_KEY", help: "This endpoint's API key at Pre-CKAN.").secret()
    static let preCkanVerifySSL = Setting<Bool>.boolean("PRE_CKAN_VERIFY_SSL", default: true, help: "Check Pre-CKAN's TLS certificate.")
    static let preCkanOrganization = Setting<String?>.optionalText(
        "PRE_CKAN_ORGANIZATION", help: "The organization a published dataset goes to at Pre-CKAN; unset: its own.")

    static let settings = SettingGroup(
        "Federation", [globalURL, globalVerifySSL, preCkanURL, preCkanAPIKey, preCkanVerifySSL, preCkanOrganization])

    static func load(from source: ConfigurationSource) throws -> FederationSettings {
        var settings = FederationSettings()
        settings.global = try RemoteCatalogSettings.load(
            url: globalURL, apiKey: nil, verify: globalVerifySSL, label: "Global catalog", key: "global", from: source)
        if try source.value(EPSettings.StatusSettings.preCkanEnabled) {
            settings.preCkan = try RemoteCatalogSettings.load(
                url: preCkanURL, apiKey: preCkanAPIKey, verify: preCkanVerifySSL, label: "Pre-CKAN catalog", key: "pre_ckan", from: source,
                default: "https://ndp-test.sdsc.edu/catalog2")
            settings.preCkanOrganization = try source.value(preCkanOrganization)
        }
        return settings
    }
}
