import Essentials
import Foundation
import Testing

@testable import EPGateway

/// How a catalog dataset becomes a proxied service; the proxy itself against a live service:
/// e2e/test_services_proxy.py.
@Suite("Registered services")
struct RegisteredServiceTests {
    static func dataset(
        organization: String = "services", url: String? = "http://svc.lab:8080/api/", extras: [String: JSONValue] = [:]
    ) -> CatalogDataset {
        CatalogDataset(
            id: "id", name: "echo", title: "Echo", organization: organization, notes: "", tags: [], groups: [],
            extras: extras.keys.sorted().map { CatalogDataset.Extra(key: $0, value: extras[$0]!) },
            resources: url.map { [CatalogResource(id: "r", url: $0, name: "echo", format: "service", description: "", created: Date())] } ?? [],
            isPrivate: false, licenseID: nil, version: nil, creator: "c", created: Date(), modified: Date())
    }

    @Test("requires_auth as upstream reads it: JSON true, or true/1/yes/on in any case")
    func requiresAuth() {
        for value: JSONValue in [true, "true", "TRUE", "1", "yes", " On ", 1] {
            #expect(RegisteredService.requiresAuthentication(value), "\(value)")
        }
        for value: JSONValue? in [false, "false", "0", "no", "off", "", "maybe", 2, nil, .null, ["true"]] {
            #expect(!RegisteredService.requiresAuthentication(value), "\(String(describing: value))")
        }
        #expect(RegisteredService(Self.dataset(extras: ["requires_auth": "yes"]))?.policyObject.mode == .protected)
        #expect(RegisteredService(Self.dataset())?.policyObject.mode == .public)
    }

    @Test("the URL comes from the service resource, else the service_url extra; only http(s) services in the services organization")
    func url() {
        #expect(RegisteredService(Self.dataset())?.url.absoluteString == "http://svc.lab:8080/api/")
        #expect(RegisteredService(Self.dataset(url: nil, extras: ["service_url": "https://x.lab"]))?.url.absoluteString == "https://x.lab")
        #expect(RegisteredService(Self.dataset(url: "ftp://x.lab")) == nil)
        #expect(RegisteredService(Self.dataset(url: nil)) == nil)
        #expect(RegisteredService(Self.dataset(organization: "lab")) == nil)
    }

    @Test("timeout_seconds: 1 to 300, else the default 30 s")
    func timeout() {
        #expect(RegisteredService(Self.dataset(extras: ["timeout_seconds": .number(2.5)]))?.timeout == .milliseconds(2500))
        #expect(RegisteredService(Self.dataset(extras: ["timeout_seconds": "10"]))?.timeout == .seconds(10))
        for value: JSONValue in [0, 301, "soon", true] {
            #expect(RegisteredService(Self.dataset(extras: ["timeout_seconds": value]))?.timeout == .seconds(30))
        }
    }

    @Test("the target keeps the caller's path and query as sent")
    func target() throws {
        let service = try #require(RegisteredService(Self.dataset()))
        #expect(ServiceProxy.target(service, path: "", query: "") == "http://svc.lab:8080/api")
        #expect(ServiceProxy.target(service, path: "a%20b//c/", query: "x=1&y=%2F") == "http://svc.lab:8080/api/a%20b//c/?x=1&y=%2F")
        #expect(RegisteredServiceRoutes.subpath("/services/redirect/echo", name: "echo") == "")
        #expect(RegisteredServiceRoutes.subpath("/services/redirect/echo/a%20b//c/", name: "echo") == "a%20b//c/")
    }
}
