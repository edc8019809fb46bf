import Access
import AccessPolicy
import Essentials
import Hummingbird
import Identity
import ServiceKit

/// `GET /search` (docs/specs/ndp-ep.md §2.9): datasets holding every term. The full-text index
/// finds the candidates (each term's words as word prefixes); upstream's rule then keeps those
/// whose JSON holds every term as written (any case), and a keyed term must also be in its
/// field. Private datasets are left out unless the policy lets the caller read them.
struct SearchRoutes: Sendable {
    let catalogs: CatalogServers
    let access: EndpointAccess

    /// Upstream asks its catalog for at most this many rows.
    static let limit = 1000

    /// `dataset read`: private datasets only for whom the policy lets read them.
    var routes: [Route<IdentityRequestContext>] {
        let access = PolicyAccess.policy(.dataset, .read, .inHandler(.public))
        return [
            Route.get("/search", "Datasets holding every term.", access: access).tags("search").catalogErrors().query(TermsQuery.self)
                .answers(200, "Datasets", schema: JSONSchema.array(of: JSONSchema.anyObject))
                .responds(400, "Keys do not match terms, or Pre-CKAN is disabled")
                .handle { call in try await search(call.query, context: call.context) },
            Route.post("/search", "Datasets by fields, filters, keywords, time and resource.", access: access).tags("search").catalogErrors()
                .body(AdvancedSearch.Body.self).answers(200, "Datasets", schema: JSONSchema.array(of: JSONSchema.anyObject))
                .handle { call in try await advanced(try AdvancedSearch(call.body), context: call.context) },
        ]
    }

    /// `?terms=a&terms=b[&keys=k&keys=null]`: ndp-ep sends Python's None as "null".
    struct TermsQuery: QueryRequest {
        var terms: [String]
        var keys: [String]?
        var server: SearchCatalog?
    }

    /// Upstream reads every hit, 1,000 at a time; the index narrows them first here.
    static let advancedLimit = 10_000

    /// `POST /search`: a list of results, as `GET /search`'s.
    func advanced(_ search: AdvancedSearch, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try catalogs.store(search.server)
        let candidates = try await Self.searching {
            try await store.searchDatasets(
                DatasetQuery(
                    words: search.words, filters: search.organizationName.map { [.organization($0)] } ?? [],
                    visibility: access.privateVisibility(context.identity, .dataset), limit: Self.advancedLimit)
            )
        }.datasets
        let visible = candidates.filter { access.mayList(context.identity, $0) && search.matches($0) }
        return .array(search.pick(visible).map(\.searchResult))
    }

    func search(_ query: TermsQuery, context: IdentityRequestContext) async throws -> JSONValue {
        // `global` is this endpoint's own public catalog unless CKAN_GLOBAL_URL names one.
        let store = try catalogs.store(query.server, default: .global)
        let terms = query.terms
        guard !terms.isEmpty else { throw APIError.validation("Field required", field: "terms", location: "query") }
        let keys = query.keys ?? []
        guard keys.isEmpty || keys.count == terms.count else {
            throw APIError(.badRequest, detail: "The number of keys must match the number of terms, or keys must be omitted.")
        }
        let pairs = terms.enumerated().map { index, term in (term: term, key: keys.isEmpty || keys[index] == "null" ? nil : keys[index]) }
        let tokens = terms.flatMap(CatalogText.words)
        let user = context.identity
        let candidates = try await Self.searching {
            try await store.searchDatasets(DatasetQuery(words: tokens, visibility: access.privateVisibility(user, .dataset), limit: Self.limit))
        }.datasets
        return .array(
            candidates.compactMap { dataset in
                guard access.mayList(user, dataset) else { return nil }
                let result = dataset.searchResult
                let text = String(decoding: result.bytes(), as: UTF8.self).lowercased()
                for (term, key) in pairs {
                    guard text.contains(term.lowercased()) else { return nil }
                    if let key, !Self.field(key, of: result).contains(term.lowercased()) { return nil }
                }
                return result
            })
    }

    /// A remote catalog's refusal of a search is upstream's 400; its absence or slowness
    /// keeps its 503 or 504 (docs/specs/ndp-ep.md §2.9).
    static func searching(_ body: () async throws -> DatasetPage) async throws -> DatasetPage {
        do {
            return try await body()
        } catch let error as CKANClientError {
            guard case .refused = error else { throw error }
            throw APIError(.badRequest, detail: "Error searching for datasets. Please try again.")
        }
    }

    /// A result field's text, or an extra's, lower-cased, for `key:term`.
    static func field(_ key: String, of result: JSONValue) -> String {
        let value = result[key] ?? result["extras"]?[key] ?? .null
        return (value.scalarDescription ?? String(decoding: value.bytes(), as: UTF8.self)).lowercased()
    }
}
