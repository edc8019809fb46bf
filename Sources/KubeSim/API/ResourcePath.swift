/// A request path under `/api` or `/apis`, taken apart the way the API server does.
struct ResourcePath: Equatable {
    enum Target: Equatable {
        /// `/api/v1`, `/apis/apps/v1`: the resource list.
        case discovery
        case collection(plural: String)
        case object(plural: String, name: String)
        case subresource(plural: String, name: String, subresource: String)
    }

    let group: String
    let version: String
    let namespace: String?
    let target: Target

    /// nil when the path is not an API resource path at all.
    init?(_ path: String) {
        var segments = path.split(separator: "/").map(String.init)
        guard let root = segments.first else { return nil }
        segments.removeFirst()
        switch root {
        case "api":
            guard let version = segments.first else { return nil }
            (group, self.version) = ("", version)
            segments.removeFirst()
        case "apis":
            guard segments.count >= 2 else { return nil }
            (group, version) = (segments[0], segments[1])
            segments.removeFirst(2)
        default:
            return nil
        }
        // namespaces/<ns>/<plural>[/<name>[/<sub>]], unless <plural> is a namespace subresource.
        if segments.count >= 3, segments[0] == "namespaces", !["status", "finalize"].contains(segments[2]) {
            namespace = segments[1]
            segments.removeFirst(2)
        } else {
            namespace = nil
        }
        switch segments.count {
        case 0: target = .discovery
        case 1: target = .collection(plural: segments[0])
        case 2: target = .object(plural: segments[0], name: segments[1])
        case 3: target = .subresource(plural: segments[0], name: segments[1], subresource: segments[2])
        default: return nil
        }
    }

    var plural: String? {
        switch target {
        case .discovery: nil
        case .collection(let plural), .object(let plural, _), .subresource(let plural, _, _): plural
        }
    }
}
