import Essentials
import Hummingbird
import ServiceKit

/// The `server` query parameter of the catalog routes (docs/specs/ndp-ep.md §2.1): which catalog
/// a call is for. Each route allows its own closed set; anything else is FastAPI's 422.
enum CatalogServer: String, Sendable, CaseIterable {
    case local
    case global
    case preCkan = "pre_ckan"

    /// Pre-CKAN is not connected to this endpoint (the federation issue brings it).
    static let preCkanDisabled = APIError(.badRequest, detail: "Pre-CKAN is disabled and cannot be used.")
}

/// The values one route's `server` takes: each route set has its own closed list, which the
/// query's type declares (and the OpenAPI document lists); anything else is FastAPI's 422.
protocol CatalogChoice: ChoiceDecodable {
    var server: CatalogServer { get }
}

extension CatalogChoice where Self: RawRepresentable, RawValue == String {
    var server: CatalogServer { CatalogServer(rawValue: rawValue)! }
}

/// Routes that act on the local catalog: `local` (the default) or `pre_ckan`.
enum LocalCatalog: String, CaseIterable, CatalogChoice {
    case local
    case preCkan = "pre_ckan"
}

/// `GET /organization` and `POST /search`: any catalog (the default: global).
enum AnyCatalog: String, CaseIterable, CatalogChoice {
    case local, global
    case preCkan = "pre_ckan"
}

/// `GET /search`: `local` or `global` (the default).
enum SearchCatalog: String, CaseIterable, CatalogChoice {
    case local, global
}

/// `DELETE /organization/{name}`: the local catalog only.
enum OwnCatalog: String, CaseIterable, CatalogChoice {
    case local
}

/// `?server=` of the routes that act on the local catalog.
struct LocalCatalogQuery: QueryRequest {
    var server: LocalCatalog?
}

extension RouteBuilder {
    /// What every catalog route may also answer: a refused request (Pre-CKAN off, a name
    /// taken), the catalog database away, its disk full.
    func catalogErrors() -> Self {
        responds(400, "Refused: a taken name, an unknown organization, or Pre-CKAN is disabled")
            .responds(503, "The catalog database, or a remote catalog, is unavailable")
            .responds(507, "The catalog's disk is full; nothing was written")
    }
}

/// `{message}`: what the catalog's updates and deletes answer.
struct Message: JSONAnswer {
    var message: String
}

/// `{id}`: a registration's dataset id.
struct RegisteredID: JSONAnswer {
    var id: String
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

    /// The store a route's `server` names; `fallback` when the request names none.
    func store(_ choice: (some CatalogChoice)?, default fallback: CatalogServer = .local) throws -> any CatalogStore {
        try store(choice?.server ?? fallback)
    }
}
