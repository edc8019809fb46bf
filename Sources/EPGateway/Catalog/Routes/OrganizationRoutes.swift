import Access
import AccessPolicy
import Essentials
import Hummingbird
import Identity
import ServiceKit

/// `/organization` (docs/specs/ndp-ep.md §2.5): list, create and delete the local catalog's
/// organizations. Listing is `organization read` (public); creating `organization create`;
/// deleting `organization delete` of that organization, whose creator the policy may ask for.
struct OrganizationRoutes: Sendable {
    let catalogs: CatalogServers
    let access: EndpointAccess

    var routes: [Route<IdentityRequestContext>] {
        [
            Route.get("/organization", "Organization names.", access: .policy(.organization, .read, .inHandler(.public))).tags("catalog")
                .catalogErrors()
                .query(ListQuery.self).responds(400, "Pre-CKAN is disabled")
                .handle { call in try await list(call.query, context: call.context) },
            Route.post("/organization", "Create an organization.", access: .policy(.organization, .create, .fixed(.public))).tags("catalog")
                .catalogErrors()
                .query(LocalCatalogQuery.self).body(OrganizationBody.self).responds(400, "The name is taken, or Pre-CKAN is disabled")
                .handle(status: .created) { call in try await create(call.body, server: call.query.server, context: call.context) },
            Route.delete(
                "/organization/{name}", "Delete an organization, with its datasets unless cascade=false.",
                access: .policy(.organization, .delete, .inHandler(.public))
            ).tags("catalog").catalogErrors().query(DeleteQuery.self)
                .responds(404, "No such organization").responds(409, "The organization has datasets and cascade=false")
                .handle { call in try await delete(try call.parameter("name"), query: call.query, context: call.context) },
        ]
    }

    struct ListQuery: QueryRequest {
        var server: AnyCatalog?
        var name: String?
        var mine: Bool?
    }

    struct DeleteQuery: QueryRequest {
        var server: OwnCatalog?
        var cascade: Bool?
    }

    struct OrganizationBody: JSONRequest, Validatable {
        var name: String
        var title: String
        var description: String?

        func validate(_ checks: inout FieldChecks) {
            checks.pattern(name, "name", CatalogText.namePattern, message: CatalogText.nameRule())
        }
    }

    struct Created: JSONAnswer {
        var id: String
        var message: String
    }

    /// A JSON array of names. `server=global` is this endpoint's own catalog until a global
    /// catalog is configured (the federation issue).
    func list(_ query: ListQuery, context: IdentityRequestContext) async throws -> [String] {
        let store = try catalogs.store(query.server, default: .global)
        try access.authorize(context.identity, .organization, .read, PolicyObject(mode: .public), logger: context.logger)
        var creator: String?
        if query.mine == true {
            guard let user = context.identity else {
                throw APIError(.unauthorized, detail: "Authentication required to filter organizations by 'mine'. Provide a valid Bearer token.")
            }
            creator = user.ndpUserID
        }
        return try await store.organizationNames(containing: query.name, createdBy: creator)
    }

    /// 201 `{id, message}`; the creator's marks are stored with it.
    func create(_ body: OrganizationBody, server: LocalCatalog?, context: IdentityRequestContext) async throws -> Created {
        let store = try catalogs.store(server)
        let created = try await store.createOrganization(
            NewOrganization(name: body.name, title: body.title, description: body.description ?? "", creator: context.identity.map(CreatorStamp.init))
        )
        return Created(id: created.id, message: "Organization created successfully")
    }

    /// `cascade` (default true) deletes the organization's datasets first; without it an
    /// organization that has datasets is 409.
    func delete(_ name: String, query: DeleteQuery, context: IdentityRequestContext) async throws -> Message {
        let store = try catalogs.store(query.server)
        let cascade = query.cascade ?? true
        guard let organization = try await store.organization(named: name) else { throw CatalogError.organizationNotFound }
        try access.authorize(
            context.identity, .organization, .delete,
            organization.policyObject, logger: context.logger)
        try await store.deleteOrganization(named: name, cascade: cascade)
        return Message(message: "Organization deleted successfully")
    }
}
