import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// The read actions: search, show, list.
extension ActionRoutes {

    func search(_ parameters: ActionParameters, user: UserIdentity?) async throws -> JSONValue {
        var query = SolrQuery()
        try query.add(try parameters.string("q") ?? "*:*")
        if let fq = try parameters.string("fq") { try query.add(fq) }
        if let list = parameters["fq_list"] {
            guard let clauses = list.arrayValue?.compactMap(\.stringValue) else {
                throw ActionError.validation("fq_list", "Must be a list of strings")
            }
            for clause in clauses { try query.add(clause) }
        }
        let sort = try parameters.string("sort")
        let rows = try parameters.integer("rows", default: 10, range: 0...Self.maxRows, capped: true)
        let includePrivate = try parameters.bool("include_private", default: false)
        let search = DatasetQuery(
            words: query.words, filters: query.filters,
            visibility: includePrivate ? access.privateVisibility(user, .dataset) : .none, order: try SolrQuery.order(sort),
            limit: rows, offset: try parameters.integer("start", default: 0, range: 0...Int(Int32.max)), counting: true)
        let page = query.matchesNothing ? DatasetPage(count: 0, datasets: []) : try await store.searchDatasets(search)
        let visible = page.datasets.filter { access.mayList(user, $0) }
        return [
            "count": .number(Double(page.count ?? 0)), "results": .array(try await packages(visible)),
            "sort": .string(sort ?? "score desc, metadata_modified desc"), "facets": [:], "search_facets": [:],
        ]
    }

    /// CKAN's `ckan.search.rows_max`: larger `rows` are lowered to it.
    static let maxRows = 1000

    /// The dataset `id` (or `name_or_id`, or `name`) names, if the caller may read it.
    func visibleDataset(_ parameters: ActionParameters, user: UserIdentity?) async throws -> CatalogDataset {
        let id = try parameters.string("id") ?? parameters.string("name_or_id") ?? parameters.string("name")
        guard let id, !id.isEmpty else { throw ActionError.validation("id", "Missing value") }
        guard let dataset = try await store.dataset(id), access.permits(user, .dataset, .read, dataset.policyObject) else {
            throw ActionError.notFound("Dataset not found")
        }
        return dataset
    }

    func package(_ dataset: CatalogDataset) async throws -> JSONValue {
        try await packages([dataset])[0]
    }

    /// Package dictionaries, each organization looked up once.
    func packages(_ datasets: [CatalogDataset]) async throws -> [JSONValue] {
        var organizations: [String: CatalogOrganization] = [:]
        for name in Set(datasets.map(\.organization)) { organizations[name] = try await store.organization(named: name) }
        return datasets.map { PackageDictionary.package($0, organization: organizations[$0.organization]) }
    }

    func organizations(_ parameters: ActionParameters) async throws -> JSONValue {
        let allFields = try parameters.bool("all_fields", default: false)
        var found = try await store.organizationSummaries()
        if let text = try parameters.string("q")?.lowercased(), !text.isEmpty {
            found = found.filter { summary in
                [summary.organization.name, summary.organization.title, summary.organization.description].contains { $0.lowercased().contains(text) }
            }
        }
        if let names = parameters["organizations"] {
            let wanted = Set(names.arrayValue?.compactMap(\.stringValue) ?? names.stringValue.map { [$0] } ?? [])
            found = found.filter { wanted.contains($0.organization.name) }
        }
        found.sort(by: try Self.organizationOrder(try parameters.string("sort") ?? "title asc"))
        let limit = try parameters.integer("limit", default: allFields ? 25 : 1000, range: 0...1000, capped: true)
        let offset = try parameters.integer("offset", default: 0, range: 0...Int(Int32.max))
        let page = found.dropFirst(offset).prefix(limit)
        return .array(
            page.map { allFields ? PackageDictionary.organization($0.organization, packageCount: $0.publicDatasets) : .string($0.organization.name) })
    }

    /// `name`, `title` or `package_count`, then `asc` (the default) or `desc`; ties by name.
    static func organizationOrder(_ text: String) throws -> (OrganizationSummary, OrganizationSummary) -> Bool {
        let words = text.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
        let descending = words.count > 1 && words[1] == "desc"
        guard let field = words.first, words.count <= 2, words.count == 1 || ["asc", "desc"].contains(words[1]) else {
            throw ActionError.validation("sort", "Must be name, title or package_count, then asc or desc")
        }
        let key: (OrganizationSummary) -> String
        switch field {
        case "name": key = { $0.organization.name }
        case "title": key = { $0.organization.title.lowercased() }
        case "package_count": key = { String(format: "%020d", $0.publicDatasets) }
        default: throw ActionError.validation("sort", "Must be name, title or package_count, then asc or desc")
        }
        return { left, right in
            let (a, b) = (key(left), key(right))
            if a == b { return left.organization.name < right.organization.name }
            return descending ? a > b : a < b
        }
    }

    func showOrganization(_ parameters: ActionParameters, user: UserIdentity?) async throws -> JSONValue {
        let id = try parameters.requiredString("id")
        guard let summary = try await organization(id) else {
            throw ActionError.notFound("Organization was not found.")
        }
        var result = PackageDictionary.organization(summary.organization, packageCount: summary.publicDatasets)
        if try parameters.bool("include_datasets", default: false) {
            let page = try await store.searchDatasets(
                DatasetQuery(
                    filters: [.organization(summary.organization.id)], visibility: access.privateVisibility(user, .dataset),
                    order: [DatasetOrder(.modified, descending: true)], limit: Self.maxRows))
            result["packages"] = .array(
                page.datasets.filter { access.mayList(user, $0) }
                    .map { PackageDictionary.package($0, organization: summary.organization) })
        }
        return result
    }

    /// CKAN's `resource_search`: `query`, a `field:term` string or a list of them (name, url,
    /// description, format, and this endpoint's `text`: any of name, url, description), all
    /// required; substring matches, except format (the whole format, any case). Each hit also
    /// names its dataset (`dataset_name`, `dataset_title`, `dataset_private`, `dataset_creator`)
    /// so that another endpoint need not ask for each dataset.
    func searchResources(_ parameters: ActionParameters, user: UserIdentity?) async throws -> JSONValue {
        let clauses: [String]
        switch parameters["query"] {
        case nil: clauses = []
        case .string(let text): clauses = [text]
        case .array(let entries): clauses = entries.compactMap(\.stringValue)
        default: throw ActionError.validation("query", "Must be a field:term string or a list of them")
        }
        var query = ResourceQuery(
            limit: try parameters.integer("limit", default: 100, range: 0...Self.maxRows, capped: true),
            offset: try parameters.integer("offset", default: 0, range: 0...Int(Int32.max)),
            privateVisibility: try parameters.bool("include_private", default: false) ? access.privateVisibility(user, .resource) : .none)
        for clause in clauses {
            guard let colon = clause.firstIndex(of: ":") else { throw ActionError.validation("query", "Must be field:term, not '\(clause)'") }
            let term = String(clause[clause.index(after: colon)...])
            switch clause[..<colon] {
            case "name": query.name = term
            case "url": query.url = term
            case "description": query.description = term
            case "format": query.format = term
            case "text": query.text = term
            case let field: throw ActionError.validation("query", "Field \"\(field)\" not recognised in resource_search.")
            }
        }
        let found = try await store.searchResources(query)
        let visible = found.hits.filter { hit in
            !hit.datasetIsPrivate
                || access.permits(user, .resource, .read, PolicyObject(mode: .private, id: hit.datasetName, creator: hit.datasetCreator))
        }
        return [
            "count": .number(Double(found.count - (found.hits.count - visible.count))),
            "results": .array(
                visible.map { hit in
                    var item = PackageDictionary.resource(hit.resource, datasetID: hit.datasetID, position: 0)
                    item["position"] = nil
                    item["dataset_name"] = .string(hit.datasetName)
                    item["dataset_title"] = .string(hit.datasetTitle)
                    item["dataset_private"] = .bool(hit.datasetIsPrivate)
                    item["dataset_creator"] = hit.datasetCreator.map(JSONValue.string) ?? .null
                    return item
                }),
        ]
    }
}
