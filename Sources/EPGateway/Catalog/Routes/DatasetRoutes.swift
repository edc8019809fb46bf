import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// General datasets (docs/specs/ndp-ep.md §2.6) and upstream's dataset deletes under
/// `/resource` (§2.8). Creating is `dataset create` in the mode the body asks for; updating and
/// deleting are decided on the stored dataset: its mode and its creator.
struct DatasetRoutes: Sendable {
    let store: any CatalogStore
    let access: EndpointAccess
    /// `ORGANIZATION`, stored on each dataset as `ndp_group_id`.
    let endpointOrganization: String

    static let createBinding = PolicyBinding(.dataset, .create, .inHandler(.public))
    static let updateBinding = PolicyBinding(.dataset, .update, .inHandler(.public))
    static let deleteBinding = PolicyBinding(.dataset, .delete, .inHandler(.public))

    var createRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.post("dataset") { request, context in try await create(request, context: context) }
        return routes
    }

    var updateRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.put("dataset/{id}") { request, context in try await update(request, context: context, merging: false) }
        routes.patch("dataset/{id}") { request, context in try await update(request, context: context, merging: true) }
        return routes
    }

    /// Upstream's `DELETE /resource?resource_id=` removes a whole dataset, by id or name (§2.8);
    /// `DELETE /resource/{id}` is ``ResourceRoutes``'.
    var deleteRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.delete("resource") { request, context in
            guard let id = request.uri.queryParameters["resource_id"].map(String.init) else {
                throw APIError.validation("Field required", field: "resource_id", location: "query")
            }
            return try await delete(id, request: request, context: context)
        }
        return routes
    }

    /// 201 `{id, name, title, warning}`. A taken name is registered once more with a
    /// timestamp suffix, as upstream's CKAN path does, and `warning` says so.
    func create(_ request: Request, context: IdentityRequestContext) async throws -> Response {
        try CatalogServer.requireLocal(request)
        let body = try DatasetRequest(
            try await JSONBody.object(from: request, expecting: "a JSON object with name, title and owner_org is required"), creating: true)
        let isPrivate = body.isPrivate ?? false
        try access.authorize(
            context.identity, .dataset, .create, PolicyObject(mode: CatalogDataset.mode(isPrivate: isPrivate)), logger: context.logger)
        let now = Date()
        var dataset = body.newDataset(creator: context.identity?.ndpUserID, at: now)
        dataset.stamp(endpointOrganization: endpointOrganization, user: context.identity)
        var warning: JSONValue = .null
        do {
            try await store.createDataset(dataset)
        } catch CatalogError.datasetExists(let taken) {
            let suffix = Self.suffix(now)
            dataset.name = String(taken.prefix(100 - suffix.name.count - 1)) + "-" + suffix.name
            dataset.title += " (\(suffix.title))"
            try await store.createDataset(dataset)
            warning = .string("A dataset named '\(taken)' already exists; this one was registered as '\(dataset.name)'.")
        }
        let answer: JSONValue = ["id": .string(dataset.id), "name": .string(dataset.name), "title": .string(dataset.title), "warning": warning]
        return answer.response(status: .created)
    }

    /// PUT replaces what is given (extras merge, resources replace); PATCH also merges resources
    /// by url or name.
    func update(_ request: Request, context: IdentityRequestContext, merging: Bool) async throws -> JSONValue {
        try CatalogServer.requireLocal(request)
        let id = try context.parameters.require("id")
        let body = try DatasetRequest(try await JSONBody.object(from: request, expecting: "a JSON object is required"), creating: false)
        guard let current = try await store.dataset(id) else { throw CatalogError.datasetNotFound }
        try authorize(.update, current, context: context)
        if let isPrivate = body.isPrivate, isPrivate != current.isPrivate {
            // Changing the mode is an update in the mode it becomes, too.
            try access.authorize(
                context.identity, .dataset, .update,
                PolicyObject(mode: CatalogDataset.mode(isPrivate: isPrivate), id: current.name, creator: current.creator),
                logger: context.logger)
        }
        _ = try await store.updateDataset(current.id) { dataset in Self.apply(body, to: &dataset, mergingResources: merging) }
        return ["message": "Dataset updated successfully"]
    }

    func delete(_ id: String, request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        try CatalogServer.requireLocal(request)
        guard let dataset = try await store.dataset(id) else { throw CatalogError.resourceNotFound }
        try authorize(.delete, dataset, context: context)
        guard try await store.deleteDataset(dataset.id) != nil else { throw CatalogError.resourceNotFound }
        return ["message": .string("\(id) deleted successfully")]
    }

    private func authorize(_ operation: PolicyOperation, _ dataset: CatalogDataset, context: IdentityRequestContext) throws {
        try access.authorize(context.identity, .dataset, operation, dataset.policyObject, logger: context.logger)
    }

    static func apply(_ body: DatasetRequest, to dataset: inout CatalogDataset, mergingResources: Bool) {
        if let title = body.title { dataset.title = title }
        if let organization = body.organization { dataset.organization = organization }
        if let notes = body.notes { dataset.notes = notes }
        if let tags = body.tags { dataset.tags = tags }
        if let groups = body.groups { dataset.groups = groups }
        if let isPrivate = body.isPrivate { dataset.isPrivate = isPrivate }
        if let licenseID = body.licenseID { dataset.licenseID = licenseID }
        if let version = body.version { dataset.version = version }
        for extra in body.extras ?? [] { dataset.setExtra(extra.key, extra.value) }
        guard let resources = body.resources else { return }
        guard mergingResources else {
            dataset.resources = resources.map { $0.resource() }
            return
        }
        for resource in resources {
            if let index = dataset.resources.firstIndex(where: { $0.url == resource.url || $0.name == resource.name }) {
                dataset.resources[index] = resource.merged(into: dataset.resources[index])
            } else {
                dataset.resources.append(resource.resource())
            }
        }
    }

    /// `-YYYYmmddHHMMSS` and ` (YYYY-mm-dd HH:MM:SS)`, UTC.
    static func suffix(_ date: Date) -> (name: String, title: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        let day = "\(parts.year ?? 0)\(two(parts.month))\(two(parts.day))"
        let time = "\(two(parts.hour))\(two(parts.minute))\(two(parts.second))"
        return (
            day + time,
            "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
        )
    }
}
