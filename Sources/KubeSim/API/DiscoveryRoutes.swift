import Essentials
import Hummingbird
import ServiceKit

/// `/version`, `/api`, `/apis` and the per-group resource lists kubectl reads before
/// anything else; plus minimal `/openapi/v2` and `/openapi/v3` documents.
struct DiscoveryRoutes: Sendable {
    let registry: ResourceRegistry
    let version: String

    var routes: [Route<BasicServiceRequestContext>] {
        typealias API = Route<BasicServiceRequestContext>
        return [
            API.get("/version", "The server's version.", access: .kubernetesAPI).tags("discovery").handle { _ in versionInfo },
            API.get("/api", "The core API's versions.", access: .kubernetesAPI).tags("discovery").handle { _ in
                JSONValue.object([
                    "kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": ""]],
                ])
            },
            API.get("/apis", "The API groups.", access: .kubernetesAPI).tags("discovery").handle { _ in groupList },
            API.get("/openapi/v2", "A minimal OpenAPI v2 document.", access: .kubernetesAPI).tags("discovery").handle { _ in
                JSONValue.object(["swagger": "2.0", "info": ["title": "kube-sim", "version": .string(version)], "paths": [:], "definitions": [:]])
            },
            API.get("/openapi/v3", "The OpenAPI v3 documents' index.", access: .kubernetesAPI).tags("discovery").handle { _ in openAPIv3Root },
            API.get("/openapi/v3/**", "One group version's OpenAPI v3 document.", access: .kubernetesAPI).tags("discovery")
                .documented(as: "/openapi/v3/api/v1", "/openapi/v3/apis/{group}/{version}")
                .handleRequest { request, _ in
                    let groupVersion = String(request.uri.path.dropFirst("/openapi/v3/".count))
                    guard let document = openAPIv3(groupVersion: groupVersion) else {
                        return KubeStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource").response
                    }
                    return document.response()
                },
        ]
    }

    var versionInfo: JSONValue {
        let parts = version.dropFirst().split(separator: ".")
        return [
            "major": .string(String(parts.first ?? "1")), "minor": .string(parts.count > 1 ? String(parts[1]) : "32"),
            "gitVersion": .string(version + "-kubesim"), "gitCommit": "", "gitTreeState": "clean", "buildDate": "2026-11-21T00:00:00Z",
            "goVersion": "none", "compiler": "swift", "platform": "linux/amd64",
        ]
    }

    var groupList: JSONValue {
        let groups: [JSONValue] = registry.groups.map { group in
            let versions: [JSONValue] = Array(Set(registry.types.filter { $0.group == group }.map(\.version))).sorted().map {
                ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)]
            }
            return ["name": .string(group), "versions": .array(versions), "preferredVersion": versions.first ?? .null]
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    /// Group-versions with their documents. kubectl reads these to learn that the server
    /// validates fields itself (`fieldValidation` on PATCH), so it needs no client-side schema.
    var openAPIv3Root: JSONValue {
        var paths: [String: JSONValue] = [:]
        for type in registry.types {
            let key = type.group.isEmpty ? "api/\(type.version)" : "apis/\(type.group)/\(type.version)"
            paths[key] = ["serverRelativeURL": .string("/openapi/v3/\(key)?hash=\(version)")]
        }
        return ["paths": .object(paths)]
    }

    func openAPIv3(groupVersion: String) -> JSONValue? {
        let parts = groupVersion.split(separator: "/").map(String.init)
        let (group, version): (String, String)
        switch (parts.first, parts.count) {
        case ("api", 2): (group, version) = ("", parts[1])
        case ("apis", 3): (group, version) = (parts[1], parts[2])
        default: return nil
        }
        let types = registry.types(group: group, version: version)
        guard !types.isEmpty else { return nil }
        let parameters: JSONValue = .array(
            ["fieldValidation", "dryRun", "fieldManager"].map { name in
                ["name": .string(name), "in": "query", "schema": ["type": "string", "uniqueItems": true]]
            })
        var paths: [String: JSONValue] = [:]
        for type in types {
            let base = "/\(groupVersion)" + (type.namespaced ? "/namespaces/{namespace}" : "") + "/\(type.plural)"
            let gvk: JSONValue = ["group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind)]
            let operation: JSONValue = [
                "x-kubernetes-group-version-kind": gvk, "parameters": parameters, "responses": ["200": ["description": "OK"]],
            ]
            paths[base + "/{name}"] = ["patch": operation, "put": operation]
            paths[base] = ["post": operation]
        }
        return [
            "openapi": "3.0.0", "info": ["title": "kube-sim", "version": .string(self.version)],
            "paths": .object(paths), "components": ["schemas": [:]],
        ]
    }

    func resourceList(group: String, version: String) -> JSONValue? {
        let types = registry.types(group: group, version: version)
        guard !types.isEmpty else { return nil }
        return [
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
            "resources": .array(types.flatMap(\.discoveryEntries)),
        ]
    }
}
