import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// CKAN's action API over the local catalog (`/api/3/action/<name>` and `/api/action/<name>`,
/// GET or POST), for the clients data-catalog users already script with (`ckanapi`, CKAN
/// harvesters, other endpoints federating with this one). Answers are CKAN's envelope
/// (``ActionEnvelope``); every action asks the access policy about the dataset, resource or
/// organization it touches, and a private dataset the caller may not read is "Not found".
///
/// A token comes as CKAN's clients send it (`Authorization: <token>`, `X-CKAN-API-Key`) or as
/// `Authorization: Bearer`; it is the endpoint's usual IdP token.
struct ActionRoutes: Sendable {
    let store: any CatalogStore
    let access: EndpointAccess
    /// `ORGANIZATION`, stored on each dataset as `ndp_group_id`, as `POST /dataset` does.
    let endpointOrganization: String
    let site: Site

    /// What `status_show` reports.
    struct Site: Sendable {
        var title: String
        var description: String
        var version: String
    }

    static let binding = PolicyBinding(.dataset, .read, .inHandler(.public))
    static let tokens: [TokenSource] = [.bearerHeader, .plainAuthorizationHeader, .header("X-CKAN-API-Key")]
    /// Under a root path `/ep`, `/ep/api/3/action/x` reaches the router as `/3/action/x` (the
    /// `/ep/api` prefix is removed first), so the short forms are routes too.
    static let paths = ["api/3/action/{action}", "api/action/{action}", "3/action/{action}", "action/{action}"]

    /// The actions served, by CKAN's names.
    enum Action: String, CaseIterable, Sendable {
        case statusShow = "status_show"
        case packageSearch = "package_search"
        case packageShow = "package_show"
        case packageList = "package_list"
        case organizationList = "organization_list"
        case organizationShow = "organization_show"
        case resourceShow = "resource_show"
        case resourceSearch = "resource_search"
        case packageCreate = "package_create"
        case packagePatch = "package_patch"
        case packageUpdate = "package_update"
        case packageDelete = "package_delete"
        case datasetPurge = "dataset_purge"
        case resourceCreate = "resource_create"
        case organizationCreate = "organization_create"
        case organizationDelete = "organization_delete"
        case organizationPurge = "organization_purge"

        /// Writes take POST only, as CKAN requires, so a link or an image cannot change data.
        var writes: Bool {
            switch self {
            case .packageCreate, .packagePatch, .packageUpdate, .packageDelete, .datasetPurge, .resourceCreate, .organizationCreate,
                .organizationDelete, .organizationPurge:
                true
            default: false
            }
        }
    }

    var collection: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        for path in Self.paths {
            routes.get(RouterPath(path)) { request, context in try await handle(request, context: context) }
            routes.post(RouterPath(path)) { request, context in try await handle(request, context: context) }
        }
        return routes
    }

    func handle(_ request: Request, context: IdentityRequestContext) async throws -> Response {
        let name = try context.parameters.require("action")
        guard let action = Action(rawValue: name) else { throw ActionError.unknownAction(name) }
        if action.writes, request.method != .post {
            throw ActionError(status: .badRequest, type: "Bad request - Action Error", message: "Bad request - \(name) must be called with POST")
        }
        let parameters = try await ActionParameters.read(request)
        let result = try await perform(action, parameters, request: request, user: context.identity, context: context)
        return ActionEnvelope.success(result, action: name, request: request, context: context)
    }

    private func perform(
        _ action: Action, _ parameters: ActionParameters, request: Request, user: UserIdentity?, context: IdentityRequestContext
    ) async throws -> JSONValue {
        switch action {
        case .statusShow:
            return [
                "site_title": .string(site.title), "site_description": .string(site.description),
                "site_url": .string(ActionEnvelope.origin(request, context: context)), "ckan_version": .string(Self.ckanVersion),
                "ndp_ep_api_version": .string(site.version), "locale_default": "en", "error_emails_to": .null,
                "extensions": .array([]),
            ]
        case .packageSearch: return try await search(parameters, user: user)
        case .packageShow: return try await package(try await visibleDataset(parameters, user: user))
        case .packageList:
            let names = try await store.publicDatasetNames(
                limit: try parameters.integer("limit", default: Self.allNames, range: 0...Self.allNames, capped: true),
                offset: try parameters.integer("offset", default: 0, range: 0...Int(Int32.max)))
            return .array(names.map(JSONValue.string))
        case .organizationList: return try await organizations(parameters)
        case .organizationShow: return try await showOrganization(parameters, user: user)
        case .resourceShow:
            let id = try parameters.requiredString("id")
            guard let found = try await store.resource(id), access.permits(user, .resource, .read, found.dataset.policyObject),
                let position = found.dataset.resources.firstIndex(where: { $0.id == id })
            else { throw ActionError.notFound("Resource was not found.") }
            return PackageDictionary.resource(found.resource, datasetID: found.dataset.id, position: position)
        case .packageCreate: return try await create(parameters, user: user, context: context)
        case .packageUpdate: return try await revise(parameters, replacing: true, user: user, context: context)
        case .packagePatch: return try await revise(parameters, replacing: false, user: user, context: context)
        case .resourceSearch: return try await searchResources(parameters, user: user)
        case .packageDelete, .datasetPurge:
            // Nothing is kept after a delete here, so purging is deleting.
            let dataset = try await visibleDataset(parameters, user: user)
            try access.authorize(user, .dataset, .delete, dataset.policyObject, logger: context.logger)
            guard try await store.deleteDataset(dataset.id) != nil else { throw ActionError.notFound() }
            return .null
        case .resourceCreate: return try await createResource(parameters, user: user, context: context)
        case .organizationCreate: return try await createOrganization(parameters, user: user, context: context)
        case .organizationDelete, .organizationPurge:
            let id = try parameters.requiredString("id")
            guard let organization = try await organization(id)?.organization else { throw ActionError.notFound("Organization was not found.") }
            try access.authorize(
                user, .organization, .delete, PolicyObject(mode: .public, id: organization.name, creator: organization.creator?.userID),
                logger: context.logger)
            do {
                try await store.deleteOrganization(named: organization.name, cascade: false)
            } catch CatalogError.organizationHasDatasets {
                throw ActionError.validation("message", "Organization cannot be deleted while it still has datasets")
            }
            return .null
        }
    }

    /// What `status_show` claims: the CKAN release whose action API this one follows.
    static let ckanVersion = "2.10.0"
    /// `package_list` without a limit lists every name, as CKAN does, up to this many.
    static let allNames = 1_000_000

    // MARK: Reading

    private func search(_ parameters: ActionParameters, user: UserIdentity?) async throws -> JSONValue {
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
        let visible = page.datasets.filter { !$0.isPrivate || access.permits(user, .dataset, .read, $0.policyObject) }
        return [
            "count": .number(Double(page.count ?? 0)), "results": .array(try await packages(visible)),
            "sort": .string(sort ?? "score desc, metadata_modified desc"), "facets": [:], "search_facets": [:],
        ]
    }

    /// CKAN's `ckan.search.rows_max`: larger `rows` are lowered to it.
    static let maxRows = 1000

    /// The dataset `id` (or `name_or_id`, or `name`) names, if the caller may read it.
    private func visibleDataset(_ parameters: ActionParameters, user: UserIdentity?) async throws -> CatalogDataset {
        let id = try parameters.string("id") ?? parameters.string("name_or_id") ?? parameters.string("name")
        guard let id, !id.isEmpty else { throw ActionError.validation("id", "Missing value") }
        guard let dataset = try await store.dataset(id), access.permits(user, .dataset, .read, dataset.policyObject) else {
            throw ActionError.notFound("Dataset not found")
        }
        return dataset
    }

    private func package(_ dataset: CatalogDataset) async throws -> JSONValue {
        try await packages([dataset])[0]
    }

    /// Package dictionaries, each organization looked up once.
    private func packages(_ datasets: [CatalogDataset]) async throws -> [JSONValue] {
        var organizations: [String: CatalogOrganization] = [:]
        for name in Set(datasets.map(\.organization)) { organizations[name] = try await store.organization(named: name) }
        return datasets.map { PackageDictionary.package($0, organization: organizations[$0.organization]) }
    }

    private func organizations(_ parameters: ActionParameters) async throws -> JSONValue {
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

    private func showOrganization(_ parameters: ActionParameters, user: UserIdentity?) async throws -> JSONValue {
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
                page.datasets.filter { !$0.isPrivate || access.permits(user, .dataset, .read, $0.policyObject) }
                    .map { PackageDictionary.package($0, organization: summary.organization) })
        }
        return result
    }

    /// CKAN's `resource_search`: `query`, a `field:term` string or a list of them (name, url,
    /// description, format, and this endpoint's `text`: any of name, url, description), all
    /// required; substring matches, except format (the whole format, any case). Each hit also
    /// names its dataset (`dataset_name`, `dataset_title`, `dataset_private`, `dataset_creator`)
    /// so that another endpoint need not ask for each dataset.
    private func searchResources(_ parameters: ActionParameters, user: UserIdentity?) async throws -> JSONValue {
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

    // MARK: Writing

    /// Whether `user` may act on anyone's datasets (the policy lets them read everyone's private
    /// ones: an admin), and so may name another user as a creator.
    private func writesForOthers(_ user: UserIdentity?) -> Bool {
        access.privateVisibility(user, .dataset) == .all
    }

    /// The creator marks an `extras` list carries (`ndp_user_id`, `ndp_creator_md5`), taken only
    /// from a caller the policy lets act on anyone's datasets (an admin: another endpoint that
    /// keeps its catalog here writes for its own users); anyone else's organizations are theirs.
    private func createOrganization(_ parameters: ActionParameters, user: UserIdentity?, context: IdentityRequestContext) async throws -> JSONValue {
        let name = try parameters.requiredString("name")
        guard CatalogText.isValidName(name) else {
            throw ActionError.validation("name", "Must be 2 to 100 lowercase letters, digits, '-' or '_'")
        }
        try access.authorize(user, .organization, .create, PolicyObject(mode: .public), logger: context.logger)
        var creator = user.map(CreatorStamp.init)
        let extras = parameters["extras"]?.arrayValue ?? []
        func extra(_ key: String) -> String? { extras.last { $0["key"]?.stringValue == key }?["value"]?.stringValue }
        if let userID = extra("ndp_user_id"), writesForOthers(user) {
            creator = CreatorStamp(userID: userID, md5: extra("ndp_creator_md5") ?? "")
        }
        do {
            let created = try await store.createOrganization(
                NewOrganization(
                    name: name, title: try parameters.string("title") ?? name, description: try parameters.string("description") ?? "",
                    creator: creator))
            return PackageDictionary.organization(created, packageCount: 0)
        } catch CatalogError.organizationExists {
            throw ActionError.validation("name", "Group name already exists in database")
        }
    }

    /// `owner_org` given as an id or a name, as the organization's name; a validation error when
    /// there is no such organization.
    private func organizationName(_ idOrName: String) async throws -> String {
        if let organization = try await store.organization(named: idOrName) { return organization.name }
        guard let summary = try await organization(idOrName) else { throw ActionError.validation("owner_org", "Organization does not exist") }
        return summary.organization.name
    }

    /// The organization with this id or name, with its public dataset count.
    private func organization(_ idOrName: String) async throws -> OrganizationSummary? {
        try await store.organizationSummaries().first { $0.organization.id == idOrName || $0.organization.name == idOrName }
    }

    private func requestBody(_ parameters: ActionParameters) async throws -> [String: JSONValue] {
        var body = try PackageDictionary.requestBody(parameters)
        if let owner = try parameters.string("owner_org") { body["owner_org"] = .string(try await organizationName(owner)) }
        return body
    }

    private func create(_ parameters: ActionParameters, user: UserIdentity?, context: IdentityRequestContext) async throws -> JSONValue {
        var body = try await requestBody(parameters)
        guard body["owner_org"] != nil else { throw ActionError.validation("owner_org", "Missing value") }
        if body["title"] == nil { body["title"] = body["name"] }
        let request = try DatasetRequest(body, creating: true, anyResourceURL: true)
        try access.authorize(
            user, .dataset, .create, PolicyObject(mode: CatalogDataset.mode(isPrivate: request.isPrivate ?? false)), logger: context.logger)
        var dataset = request.newDataset(creator: user?.ndpUserID)
        // Marks a caller gives are kept, as CKAN keeps what it is given: a dataset another
        // endpoint publishes here keeps its origin's; the rest get this endpoint's. The creator
        // the policy knows follows a given `ndp_user_id` only for an admin's call (an endpoint
        // keeping its catalog here writes for its users), as for organizations.
        let given = dataset.extras
        dataset.stamp(endpointOrganization: endpointOrganization, user: user)
        for extra in given where CatalogDataset.marks.contains(extra.key) { dataset.setExtra(extra.key, extra.value) }
        if let creator = given.last(where: { $0.key == "ndp_user_id" })?.value.stringValue, writesForOthers(user) { dataset.creator = creator }
        do {
            // As stored: a catalog kept in a CKAN gives it ids of its own.
            dataset = try await store.createDataset(dataset)
        } catch CatalogError.datasetExists {
            throw ActionError.validation("name", "That URL is already in use.")
        }
        return try await package(dataset)
    }

    /// `package_update` (`replacing`: fields left out are emptied, as CKAN's update does) and
    /// `package_patch` (fields left out stay). Given `extras` and `resources` replace the lists;
    /// a resource given with the `id` of one the dataset has keeps that id.
    private func revise(
        _ parameters: ActionParameters, replacing: Bool, user: UserIdentity?, context: IdentityRequestContext
    ) async throws -> JSONValue {
        let current = try await visibleDataset(parameters, user: user)
        let body = try await requestBody(parameters.removing("id", "name_or_id"))
        let request = try DatasetRequest(body, creating: false, anyResourceURL: true)
        try access.authorize(user, .dataset, .update, current.policyObject, logger: context.logger)
        if let isPrivate = request.isPrivate, isPrivate != current.isPrivate {
            try access.authorize(
                user, .dataset, .update, PolicyObject(mode: CatalogDataset.mode(isPrivate: isPrivate), id: current.name, creator: current.creator),
                logger: context.logger)
        }
        let givenIDs = (parameters["resources"]?.arrayValue ?? []).map { $0["id"]?.stringValue }
        do {
            let updated = try await store.updateDataset(current.id) { dataset in
                Self.apply(request, to: &dataset, replacing: replacing, givenIDs: givenIDs)
            }
            return try await package(updated)
        } catch CatalogError.datasetExists {
            throw ActionError.validation("name", "That URL is already in use.")
        }
    }

    static func apply(_ request: DatasetRequest, to dataset: inout CatalogDataset, replacing: Bool, givenIDs: [String?]) {
        let now = Date()
        if let name = request.name { dataset.name = name }
        if replacing {
            (dataset.title, dataset.notes, dataset.tags, dataset.groups) = (dataset.name, "", [], [])
            (dataset.isPrivate, dataset.licenseID, dataset.version, dataset.extras) = (false, nil, nil, [])
        }
        request.replaceGivenFields(of: &dataset)
        if let extras = request.extras { dataset.extras = extras }
        if let resources = request.resources {
            let existing = Dictionary(dataset.resources.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            dataset.resources = resources.enumerated().map { index, resource in
                if index < givenIDs.count, let id = givenIDs[index], let kept = existing[id] {
                    return resource.resource(id: id, created: kept.created)
                }
                return resource.resource(created: now)
            }
        } else if replacing {
            dataset.resources = []
        }
    }

    private func createResource(_ parameters: ActionParameters, user: UserIdentity?, context: IdentityRequestContext) async throws -> JSONValue {
        let packageID = try parameters.requiredString("package_id")
        guard let dataset = try await store.dataset(packageID), access.permits(user, .dataset, .read, dataset.policyObject) else {
            throw ActionError.notFound("Dataset not found")
        }
        try access.authorize(user, .resource, .create, dataset.policyObject, logger: context.logger)
        var fields = parameters.removing("package_id").values
        if fields["name"] == nil { fields["name"] = fields["url"].flatMap(\.stringValue).map { .string(URL(string: $0)?.lastPathComponent ?? $0) } }
        guard let given = try DatasetRequest(["resources": .array([.object(fields)])], creating: false, anyResourceURL: true).resources?.first else {
            throw ActionError.validation("url", "Missing value")
        }
        let resource = given.resource()
        let updated = try await store.updateDataset(dataset.id) { dataset in dataset.resources.append(resource) }
        return PackageDictionary.resource(resource, datasetID: updated.id, position: updated.resources.count - 1)
    }
}
