import AccessPolicy
import Essentials
import Foundation

/// A service registered in the local catalog (a dataset of the `services` organization,
/// docs/specs/ndp-ep.md §2.10) as the proxy and the health view reach it.
struct RegisteredService: Sendable {
    let name: String
    /// Where requests go: the first resource of format `service`, else the `service_url` extra.
    let url: URL
    /// The `requires_auth` extra: callers need a token, and only then is their
    /// `Authorization` header passed on.
    let requiresAuthentication: Bool
    /// The `timeout_seconds` extra (1–300, default 30): how long the service may take to
    /// start answering.
    let timeout: Duration
    /// The `health_check_url` extra.
    let healthCheckURL: URL?
    let policyObject: PolicyObject

    static let defaultTimeout = Duration.seconds(30)

    /// nil for a dataset that is not a service, or whose URL is not http(s).
    init?(_ dataset: CatalogDataset) {
        guard dataset.organization == Catalog.servicesOrganization else { return nil }
        let text = dataset.resources.first { $0.format.lowercased() == "service" }?.url ?? dataset.extra("service_url")?.stringValue
        guard let text, let url = Self.httpURL(text) else { return nil }
        name = dataset.name
        self.url = url
        requiresAuthentication = Self.requiresAuthentication(dataset.extra("requires_auth"))
        let seconds = dataset.extra("timeout_seconds").flatMap { $0.doubleValue ?? $0.stringValue.flatMap(Double.init) }
        timeout = seconds.flatMap { (1...300).contains($0) ? Duration.milliseconds(Int64($0 * 1000)) : nil } ?? Self.defaultTimeout
        healthCheckURL = dataset.extra("health_check_url")?.stringValue.flatMap(Self.httpURL)
        policyObject = PolicyObject(mode: Self.mode(of: dataset), id: dataset.name, creator: dataset.creator)
    }

    /// The policy mode of a service: `protected` when it requires authentication.
    static func mode(of dataset: CatalogDataset) -> PolicyMode {
        if dataset.isPrivate { return .private }
        return requiresAuthentication(dataset.extra("requires_auth")) ? .protected : .public
    }

    /// `requires_auth` as upstream reads it: a JSON `true`, or true/1/yes/on in any case.
    static func requiresAuthentication(_ value: JSONValue?) -> Bool {
        switch value {
        case .bool(let flag): flag
        case .number(let number): number == 1
        case .string(let text): ["true", "1", "yes", "on"].contains(text.trimmingCharacters(in: .whitespaces).lowercased())
        default: false
        }
    }

    private static func httpURL(_ text: String) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            return nil
        }
        return url
    }
}
