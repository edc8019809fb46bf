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

    static func load(
        url urlVariable: String, apiKey: String?, verify verifyVariable: String, label: String, key: String, from source: ConfigurationSource,
        default defaultURL: String? = nil
    ) throws -> RemoteCatalogSettings? {
        guard var url = source.optionalString(urlVariable).map({ $0.trimmingCharacters(in: .whitespaces) }) ?? defaultURL, !url.isEmpty else {
            return nil
        }
        if !url.contains("://") { url = "http://" + url }
        while url.hasSuffix("/") { url.removeLast() }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ConfigurationError(
                variable: urlVariable, value: url, expected: "an http(s) URL of a CKAN catalog (its action API is <url>/api/3/action/)")
        }
        return RemoteCatalogSettings(
            url: url, apiKey: apiKey.flatMap(source.optionalString), verifyTLS: try source.bool(verifyVariable, default: true), label: label,
            key: key,
            timeout: .seconds(try source.integer("CKAN_TIMEOUT_SECONDS", default: 30, range: 1...600)))
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

    static func load(from source: ConfigurationSource) throws -> FederationSettings {
        var settings = FederationSettings()
        settings.global = try RemoteCatalogSettings.load(
            url: "CKAN_GLOBAL_URL", apiKey: nil, verify: "CKAN_GLOBAL_VERIFY_SSL", label: "Global catalog", key: "global", from: source)
        if try source.bool("PRE_CKAN_ENABLED", default: false) {
            settings.preCkan = try RemoteCatalogSettings.load(
                url: "PRE_CKAN_URL", apiKey: "PRE_CKAN_API_KEY", verify: "PRE_CKAN_VERIFY_SSL", label: "Pre-CKAN catalog", key: "pre_ckan",
                from: source,
                default: "https://ndp-test.sdsc.edu/catalog2")
            settings.preCkanOrganization = source.optionalString("PRE_CKAN_ORGANIZATION").flatMap { $0.isEmpty ? nil : $0 }
        }
        return settings
    }
}
