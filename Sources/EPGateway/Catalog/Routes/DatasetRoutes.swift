import Access
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
    let catalogs: CatalogServers
    let access: EndpointAccess
    /// `ORGANIZATION`, stored on each dataset as `ndp_group_id`.
    let endpointOrganization: String
    /// `PRE_CKAN_ORGANIZATION`: where a published copy goes (nil: the dataset's own).
    var publishOrganization: String?

    /// Creating is `dataset create` in the mode the body asks for; updating (publishing is an
    /// update) and deleting are decided on the stored dataset. Upstream's `DELETE
    /// /resource?resource_id=` removes a whole dataset, by id or name (§2.8); `DELETE
    /// /resource/{id}` is ``ResourceRoutes``'.
    var routes: [Route<IdentityRequestContext>] {
        let update = { (method: HTTPRequest.Method, summary: String, merging: Bool) in
            Route<IdentityRequestContext>.on(method, "/dataset/{id}", summary, access: .policy(.dataset, .update, .inHandler(.public)))
                .tags("catalog").catalogErrors().query(LocalCatalogQuery.self).body(DatasetUpdateBody.self).responds(404, "No such dataset")
                .handle { call in
                    try await self.update(
                        try DatasetRequest(call.body), id: try call.parameter("id"), server: call.query.server, context: call.context,
                        merging: merging)
                }
        }
        return [
            Route.post("/dataset", "Register a general dataset.", access: .policy(.dataset, .create, .inHandler(.public))).tags("catalog")
                .catalogErrors()
                .query(LocalCatalogQuery.self).body(NewDatasetBody.self)
                .responds(400, "A reserved extras key, or Pre-CKAN is disabled")
                .handle(status: .created) { call in try await create(try DatasetRequest(call.body), server: call.query.server, context: call.context)
                },
            update(.put, "Update a dataset: extras merge, resources replace.", false),
            update(.patch, "Update a dataset: extras and resources merge.", true),
            Route.post(
                "/dataset/{id}/publish",
                "Copy a local dataset and its resources to Pre-CKAN (PRE_CKAN_ORGANIZATION when set), renamed on a clash; both copies get status=submitted.",
                access: .policy(.dataset, .update, .inHandler(.public))
            ).tags("catalog").catalogErrors()
                .responds(404, "No such dataset").responds(502, "Pre-CKAN refused this endpoint's API key, or the identity provider failed")
                .responds(503, "Pre-CKAN is unreachable").responds(504, "Pre-CKAN did not answer in time")
                .handle(status: .created) { call in try await publish(try call.parameter("id"), context: call.context) },
            Route.delete("/resource", "Delete a dataset by id or name, as upstream.", access: .policy(.dataset, .delete, .inHandler(.public)))
                .tags("catalog").catalogErrors().query(DeleteQuery.self).responds(404, "No such dataset")
                .handle { call in try await delete(call.query.resource_id, server: call.query.server, context: call.context) },
        ]
    }

    struct DeleteQuery: QueryRequest {
        var resource_id: String
        var server: LocalCatalog?
    }

    /// What a creation answers: the dataset as registered, and why its name changed (`null`: it did not).
    struct Registered: JSONAnswer {
        static var nilEncoding: JSONValueEncoder.NilEncoding { .null }
        var id: String
        var name: String
        var title: String
        var warning: String?
    }

    /// What publishing answers: the copy on Pre-CKAN.
    struct Published: JSONAnswer {
        static var nilEncoding: JSONValueEncoder.NilEncoding { .null }
        var id: String
        var name: String
        var title: String
        var warning: String?
        var message: String
    }

    /// 201 `{id, name, title, warning}`. A taken name is registered once more with a
    /// timestamp suffix, as upstream's CKAN path does, and `warning` says so.
    func create(_ body: DatasetRequest, server: LocalCatalog?, context: IdentityRequestContext) async throws -> Registered {
        let store = try catalogs.store(server)
        let isPrivate = body.isPrivate ?? false
        try access.authorize(
            context.identity, .dataset, .create, PolicyObject(mode: CatalogDataset.mode(isPrivate: isPrivate)), logger: context.logger)
        let now = Date()
        var dataset = body.newDataset(creator: context.identity?.ndpUserID, at: now)
        dataset.stamp(endpointOrganization: endpointOrganization, user: context.identity)
        var warning: String?
        do {
            dataset = try await store.createDataset(dataset)
        } catch CatalogError.datasetExists(let taken) {
            warning = Self.rename(&dataset, taken: taken, at: now)
            dataset = try await store.createDataset(dataset)
        }
        return Registered(id: dataset.id, name: dataset.name, title: dataset.title, warning: warning)
    }

    /// PUT replaces what is given (extras merge, resources replace); PATCH also merges resources
    /// by url or name.
    func update(_ body: DatasetRequest, id: String, server: LocalCatalog?, context: IdentityRequestContext, merging: Bool) async throws -> Message {
        let store = try catalogs.store(server)
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
        return Message(message: "Dataset updated successfully")
    }

    func delete(_ id: String, server: LocalCatalog?, context: IdentityRequestContext) async throws -> Message {
        let store = try catalogs.store(server)
        guard let dataset = try await store.dataset(id) else { throw CatalogError.resourceNotFound }
        try authorize(.delete, dataset, context: context)
        guard try await store.deleteDataset(dataset.id) != nil else { throw CatalogError.resourceNotFound }
        return Message(message: "\(id) deleted successfully")
    }

    private func authorize(_ operation: PolicyOperation, _ dataset: CatalogDataset, context: IdentityRequestContext) throws {
        try access.authorize(context.identity, .dataset, operation, dataset.policyObject, logger: context.logger)
    }

    static func apply(_ body: DatasetRequest, to dataset: inout CatalogDataset, mergingResources: Bool) {
        body.replaceGivenFields(of: &dataset)
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

    /// Gives `dataset` the next free name after `taken`, as upstream does once on a clash;
    /// returns the warning that says so.
    static func rename(_ dataset: inout CatalogDataset, taken: String, at now: Date) -> String {
        let suffix = suffix(now)
        dataset.name = String(taken.prefix(100 - suffix.name.count - 1)) + "-" + suffix.name
        dataset.title += " (\(suffix.title))"
        return "A dataset named '\(taken)' already exists; this one was registered as '\(dataset.name)'."
    }

    /// `POST /dataset/{id}/publish` (docs/specs/ndp-ep.md §2.6): a copy of the local dataset
    /// and its resources on Pre-CKAN, in `PRE_CKAN_ORGANIZATION` when set, renamed once on a
    /// clash; both copies get the extra `status=submitted`. The copy is one `package_create`
    /// (resources included), so Pre-CKAN has all of it or nothing; if marking the local dataset
    /// then fails, the copy is deleted again. Publishing is an update of the local dataset.
    func publish(_ id: String, context: IdentityRequestContext) async throws -> Published {
        let preCkan = try catalogs.store(.preCkan)
        guard let dataset = try await catalogs.local.dataset(id) else { throw CatalogError.datasetNotFound }
        try authorize(.update, dataset, context: context)
        let now = Date()
        var copy = dataset
        copy.id = CatalogID.make()
        copy.resources = dataset.resources.map { resource in
            var fresh = resource
            fresh.id = CatalogID.make()
            return fresh
        }
        if let publishOrganization { copy.organization = publishOrganization }
        copy.setExtra("status", "submitted")
        (copy.created, copy.modified) = (now, now)
        var warning: String?
        let published: CatalogDataset
        do {
            do {
                published = try await preCkan.createDataset(copy)
            } catch CatalogError.datasetExists(let taken) {
                warning = Self.rename(&copy, taken: taken, at: now)
                published = try await preCkan.createDataset(copy)
            }
        } catch CatalogError.organizationMissing(let name) {
            let setting = publishOrganization == nil ? "the dataset's own organization" : "PRE_CKAN_ORGANIZATION"
            throw APIError(.badRequest, detail: "Pre-CKAN has no organization '\(name)' (\(setting)); nothing was published.")
        }
        do {
            _ = try await catalogs.local.updateDataset(dataset.id) { $0.setExtra("status", "submitted") }
        } catch {
            _ = try? await preCkan.deleteDataset(published.id)
            throw error
        }
        return Published(
            id: published.id, name: published.name, title: published.title, warning: warning, message: "Dataset published to PRE-CKAN successfully")
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
