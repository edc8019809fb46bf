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

    static let listBinding = PolicyBinding(.organization, .read, .inHandler(.public))
    static let createBinding = PolicyBinding(.organization, .create, .fixed(.public))
    static let deleteBinding = PolicyBinding(.organization, .delete, .inHandler(.public))

    var listRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("organization") { request, context in try await list(request, context: context) }
        return routes
    }

    var createRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.post("organization") { request, context in try await create(request, context: context) }
        return routes
    }

    var deleteRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.delete("organization/{name}") { request, context in try await delete(request, context: context) }
        return routes
    }

    /// A JSON array of names. `server=global` is this endpoint's own catalog until a global
    /// catalog is configured (the federation issue).
    func list(_ request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try catalogs.store(for: request, allowed: CatalogServer.allCases, default: .global)
        try access.authorize(context.identity, .organization, .read, PolicyObject(mode: .public), logger: context.logger)
        let query = request.uri.queryParameters
        var creator: String?
        if query["mine"].map({ $0.lowercased() == "true" }) == true {
            guard let user = context.identity else {
                throw APIError(.unauthorized, detail: "Authentication required to filter organizations by 'mine'. Provide a valid Bearer token.")
            }
            creator = user.ndpUserID
        }
        let names = try await store.organizationNames(containing: query["name"].map(String.init), createdBy: creator)
        return .array(names.map(JSONValue.string))
    }

    /// 201 `{id, message}`; the creator's marks are stored with it.
    func create(_ request: Request, context: IdentityRequestContext) async throws -> Response {
        let store = try catalogs.store(for: request)
        let body = try await JSONBody.object(from: request, expecting: "a JSON object with name and title is required")
        guard let name = body["name"]?.stringValue else { throw APIError.validation("Field required", field: "name") }
        guard CatalogText.isValidName(name) else {
            throw APIError.validation("name must be 2 to 100 lowercase letters, digits, '-' or '_'", field: "name")
        }
        guard let title = body["title"]?.stringValue else { throw APIError.validation("Field required", field: "title") }
        let description = body["description"]?.stringValue ?? ""
        let created = try await store.createOrganization(
            NewOrganization(name: name, title: title, description: description, creator: context.identity.map(CreatorStamp.init)))
        return JSONValue.object(["id": .string(created.id), "message": "Organization created successfully"]).response(status: .created)
    }

    /// `cascade` (default true) deletes the organization's datasets first; without it an
    /// organization that has datasets is 409.
    func delete(_ request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try catalogs.store(for: request, allowed: [.local])
        let name = try context.parameters.require("name")
        let cascade = request.uri.queryParameters["cascade"].map { $0.lowercased() != "false" } ?? true
        guard let organization = try await store.organization(named: name) else { throw CatalogError.organizationNotFound }
        try access.authorize(
            context.identity, .organization, .delete,
            PolicyObject(mode: .public, id: organization.name, creator: organization.creator?.userID), logger: context.logger)
        try await store.deleteOrganization(named: name, cascade: cascade)
        return ["message": "Organization deleted successfully"]
    }
}
