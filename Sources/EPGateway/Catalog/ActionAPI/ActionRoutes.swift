import Access
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

    /// Each action asks the policy about what it touches; the route's own binding is the read.
    static let access = PolicyAccess.policy(
        .dataset, .read, .inHandler(.public), tokens: [.bearerHeader, .plainAuthorizationHeader, .header("X-CKAN-API-Key")])
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

    /// GET with the data dictionary as query parameters, POST with it as a JSON object; every
    /// failure in CKAN's envelope (``ActionEnvelope/Middleware``). The last two paths are the same
    /// routes for an endpoint whose ROOT_PATH is `/api` (a proxy strips it before CKAN's own
    /// `/api/...` reaches us).
    var routes: [Route<IdentityRequestContext>] {
        let failure = JSONSchema.object(
            [
                "help": JSONSchema.string, "success": JSONSchema.boolean,
                "error": JSONSchema.object(["__type": JSONSchema.string], required: ["__type"]),
            ],
            required: ["help", "success", "error"])
        let envelope = JSONSchema.object(
            ["help": JSONSchema.string, "success": JSONSchema.boolean, "result": [:]], required: ["help", "success", "result"])
        func declare(_ builder: RouteBuilder<IdentityRequestContext, NoQuery, NoBody>) -> RouteBuilder<IdentityRequestContext, NoQuery, NoBody> {
            builder.tags("ckan").before(ActionEnvelope.Middleware())
                .parameter(
                    "action", in: "path", required: true, schema: ["type": "string", "enum": .array(Action.allCases.map { .string($0.rawValue) })]
                )
                .answers(200, "The action's result in CKAN's envelope", schema: envelope)
                .responds(400, "Unknown action, a write over GET, or a body that is not a JSON object", schema: failure)
                .responds(403, "Authorization Error: no token, a refused token, or refused by the access policy", schema: failure)
                .responds(404, "Not Found Error (also a private dataset the caller may not read)", schema: failure)
                .responds(409, "Validation Error or Search Query Error", schema: failure)
                .responds(502, "Identity provider failure", schema: failure).responds(503, "The catalog database is unavailable", schema: failure)
        }
        return Self.paths.flatMap { path in
            [
                declare(
                    Route.get(
                        "/" + path,
                        "A CKAN read action (status_show, package_search, package_show, package_list, organization_list, organization_show, "
                            + "resource_show); each asks the access policy about what it reads.", access: Self.access)
                ).parameter("id").parameter("q").parameter("fq").parameter("sort").parameter("rows").parameter("start")
                    .parameter("include_private").parameter("limit").parameter("offset").parameter("all_fields").parameter("include_datasets")
                    .handleRequest { request, context in try await handle(request, context: context) },
                declare(
                    Route.post(
                        "/" + path,
                        "A CKAN action with its data dictionary as JSON; writes (package_create, package_patch, package_update, "
                            + "package_delete, resource_create, organization_create) take POST only and a token.", access: Self.access)
                ).documentedBody(JSONSchema.anyObject, required: false)
                    .handleRequest { request, context in try await handle(request, context: context) },
            ]
        }
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
                user, .organization, .delete, organization.policyObject,
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
}
