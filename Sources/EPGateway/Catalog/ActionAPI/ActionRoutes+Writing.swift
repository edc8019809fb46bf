import Access
import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// The write actions: datasets, their resources, organizations.
extension ActionRoutes {

    /// Whether `user` may act on anyone's datasets (the policy lets them read everyone's private
    /// ones: an admin), and so may name another user as a creator.
    func writesForOthers(_ user: UserIdentity?) -> Bool {
        access.privateVisibility(user, .dataset) == .all
    }

    /// The creator marks an `extras` list carries (`ndp_user_id`, `ndp_creator_md5`), taken only
    /// from a caller the policy lets act on anyone's datasets (an admin: another endpoint that
    /// keeps its catalog here writes for its own users); anyone else's organizations are theirs.
    func createOrganization(_ parameters: ActionParameters, user: UserIdentity?, context: IdentityRequestContext) async throws -> JSONValue {
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
    func organizationName(_ idOrName: String) async throws -> String {
        if let organization = try await store.organization(named: idOrName) { return organization.name }
        guard let summary = try await organization(idOrName) else { throw ActionError.validation("owner_org", "Organization does not exist") }
        return summary.organization.name
    }

    /// The organization with this id or name, with its public dataset count.
    func organization(_ idOrName: String) async throws -> OrganizationSummary? {
        try await store.organizationSummaries().first { $0.organization.id == idOrName || $0.organization.name == idOrName }
    }

    func requestBody(_ parameters: ActionParameters) async throws -> [String: JSONValue] {
        var body = try PackageDictionary.requestBody(parameters)
        if let owner = try parameters.string("owner_org") { body["owner_org"] = .string(try await organizationName(owner)) }
        return body
    }

    func create(_ parameters: ActionParameters, user: UserIdentity?, context: IdentityRequestContext) async throws -> JSONValue {
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
    func revise(
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

    func createResource(_ parameters: ActionParameters, user: UserIdentity?, context: IdentityRequestContext) async throws -> JSONValue {
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
