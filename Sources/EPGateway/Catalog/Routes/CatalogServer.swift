import Hummingbird
import ServiceKit

/// The `server` query parameter of the catalog routes (docs/specs/ndp-ep.md §2.1): which catalog
/// a call is for. Each route allows its own closed set; anything else is FastAPI's 422.
enum CatalogServer: String, Sendable, CaseIterable {
    case local
    case global
    case preCkan = "pre_ckan"

    static func parse(_ request: Request, allowed: [CatalogServer], default defaultValue: CatalogServer) throws -> CatalogServer {
        guard let text = request.uri.queryParameters["server"].map(String.init) else { return defaultValue }
        guard let server = CatalogServer(rawValue: text), allowed.contains(server) else {
            let words = allowed.map { "'\($0.rawValue)'" }
            let choices = words.count > 1 ? words.dropLast().joined(separator: ", ") + " or " + words.last! : words.joined()
            throw APIError(
                .unprocessableContent,
                detail: [["loc": ["query", "server"], "msg": .string("Input should be \(choices)"), "type": "enum", "input": .string(text)]])
        }
        return server
    }

    /// For the routes that act on the local catalog (`local`, the default, or `pre_ckan`):
    /// Pre-CKAN is not connected here, so it is refused rather than quietly served locally.
    static func requireLocal(_ request: Request) throws {
        guard try parse(request, allowed: [.local, .preCkan], default: .local) == .local else { throw preCkanDisabled }
    }

    /// Pre-CKAN is not connected to this endpoint (the federation issue brings it).
    static let preCkanDisabled = APIError(.badRequest, detail: "Pre-CKAN is disabled and cannot be used.")
}

/// The catalogs the routes act on, by `server`: the local one; the global catalog
/// (`CKAN_GLOBAL_URL`; unset, this endpoint's own public datasets); Pre-CKAN (when enabled).
struct CatalogServers: Sendable {
    let local: any CatalogStore
    var global: (any CatalogStore)?
    var preCkan: (any CatalogStore)?

    init(local: any CatalogStore, global: (any CatalogStore)? = nil, preCkan: (any CatalogStore)? = nil) {
        self.local = local
        self.global = global
        self.preCkan = preCkan
    }

    func store(_ server: CatalogServer) throws -> any CatalogStore {
        switch server {
        case .local: return local
        case .global: return global ?? local
        case .preCkan:
            guard let preCkan else { throw CatalogServer.preCkanDisabled }
            return preCkan
        }
    }

    /// The store the request's `server` names, among `allowed`.
    func store(
        for request: Request, allowed: [CatalogServer] = [.local, .preCkan], default defaultValue: CatalogServer = .local
    ) throws
        -> any CatalogStore
    {
        try store(CatalogServer.parse(request, allowed: allowed, default: defaultValue))
    }
}
