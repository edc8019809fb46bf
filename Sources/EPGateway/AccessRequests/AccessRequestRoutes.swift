import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// The access-request workflow (docs/specs/ndp-ep.md §2.4): a user outside the endpoint asks
/// to be let in, an admin approves (the AAI adds the user to the endpoint's group,
/// `AFFINITIES_EP_UUID`, and for writer/admin assigns the role) or rejects.
///
/// An approval is recorded only once the AAI has done everything it was asked: if a call
/// fails, the request stays pending with the reason in `last_error`, and approving again
/// retries (adding a member twice is harmless at the AAI). Once approved, the user's cached
/// identities are dropped, so their next request is checked with the new group and role.
struct AccessRequestRoutes: Sendable {
    /// nil when the workflow is off (`ENABLE_ACCESS_REQUESTS=False`): every route answers 503
    /// after the caller is authenticated, as upstream.
    let store: (any AccessRequestStore)?
    let aai: AAIClient
    /// `AFFINITIES_EP_UUID`: the group an approval adds the user to.
    let endpointGroup: String
    /// Drops a user's cached identities (their `sub`) once their access changed.
    let accessChanged: @Sendable (String) async -> Void

    static let createBinding = PolicyBinding(.accessRequest, .create, .callersOwn)
    static let readBinding = PolicyBinding(.accessRequest, .read, .fixed(.private))
    static let decideBinding = PolicyBinding(.accessRequest, .update, .fixed(.private))

    static let disabled = APIError(.serviceUnavailable, detail: "Access-request workflow is disabled on this deployment.")

    var createRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.post("user/access-requests") { request, context in try await create(request, context: context) }
        return routes
    }

    var readRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("user/access-requests") { request, _ in try await list(request) }
        return routes
    }

    var decideRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.post("user/access-requests/{id}/approve") { request, context in try await approve(request, context: context) }
        routes.post("user/access-requests/{id}/reject") { request, context in try await reject(request, context: context) }
        return routes
    }

    private func enabledStore() throws -> any AccessRequestStore {
        guard let store else { throw Self.disabled }
        return store
    }

    /// `{justification?}` → 201 the request.
    func create(_ request: Request, context: IdentityRequestContext) async throws -> Response {
        let store = try enabledStore()
        let body = try await JSONBody.objectOrEmpty(from: request, expecting: "a JSON object is required")
        let justification = try Self.text(body, "justification", limit: 2000)
        guard let user = context.identity, let subject = user.subject,
            let username = user.preferredName, !username.isEmpty
        else { throw APIError(.badRequest, detail: "Cannot identify the requesting user from their token.") }
        let created = AccessRequest(
            id: CatalogID.make(), userSub: subject, username: username, email: user.email, status: .pending, justification: justification,
            createdAt: Timestamp.isoUTC(Date()))
        try await store.createAccessRequest(created)
        context.logger.info("access request filed", metadata: ["access_request": "\(created.id)", "user.sub": "\(subject)"])
        return created.json.response(status: .created)
    }

    /// `?status=pending (default)|approved|rejected|all` → the requests, oldest first.
    func list(_ request: Request) async throws -> JSONValue {
        let store = try enabledStore()
        let text = request.uri.queryParameters["status"].map(String.init) ?? "pending"
        let status: AccessRequest.Status?
        if text == "all" {
            status = nil
        } else if let known = AccessRequest.Status(rawValue: text) {
            status = known
        } else {
            throw APIError.validation("status must be pending, approved, rejected or all", field: "status", location: "query")
        }
        return .array(try await store.accessRequests(status: status).map(\.json))
    }

    /// `{grant_type: viewer|writer|admin|member, notes?}` → the approved request.
    func approve(_ request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try enabledStore()
        let id = try context.parameters.require("id")
        let body = try await JSONBody.objectOrEmpty(from: request, expecting: "a JSON object is required")
        guard let grantText = body["grant_type"]?.stringValue, let grant = AccessRequest.Grant(rawValue: grantText) else {
            throw APIError.validation("grant_type must be viewer, writer, admin or member", field: "grant_type")
        }
        let notes = try Self.text(body, "notes", limit: 2000)
        guard let pending = try await store.accessRequest(id) else { throw AccessRequestError.notFound }
        guard pending.status == .pending else { throw AccessRequestError.notPending(pending.status) }
        guard let token = try await TokenSource.token(in: request, from: [.bearerHeader, .tokenHeader]) else {
            throw APIError(.unauthorized, detail: "Not authenticated")
        }
        do {
            try await aai.addUser(pending.username, toGroup: endpointGroup, token: token)
            if let role = grant.assignedRole { try await aai.assignRole(role, to: pending.username, inGroup: endpointGroup, token: token) }
        } catch let error as APIError {
            let reason = error.detail.stringValue ?? "\(error.detail)"
            _ = try? await store.updatePendingAccessRequest(id) { $0.lastError = reason }
            context.logger.warning("access request not approved: the AAI failed", metadata: ["access_request": "\(id)", "reason": "\(reason)"])
            throw error
        }
        let decider = context.identity
        let decided = try await store.updatePendingAccessRequest(id) { request in
            request.status = .approved
            request.grantType = grant
            request.decisionNotes = notes
            request.lastError = nil
            Self.stamp(&request, by: decider)
        }
        await accessChanged(decided.userSub)
        context.logger.info("access request approved", metadata: ["access_request": "\(id)", "grant": "\(grant.rawValue)"])
        return decided.json
    }

    /// `{notes?}` → the rejected request.
    func reject(_ request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try enabledStore()
        let id = try context.parameters.require("id")
        let notes = try Self.text(try await JSONBody.objectOrEmpty(from: request, expecting: "a JSON object is required"), "notes", limit: 2000)
        let decider = context.identity
        let decided = try await store.updatePendingAccessRequest(id) { request in
            request.status = .rejected
            request.decisionNotes = notes
            Self.stamp(&request, by: decider)
        }
        context.logger.info("access request rejected", metadata: ["access_request": "\(id)"])
        return decided.json
    }

    private static func stamp(_ request: inout AccessRequest, by decider: UserIdentity?) {
        request.decidedAt = Timestamp.isoUTC(Date())
        request.decidedBySub = decider?.subject
        request.decidedByUsername = decider?.preferredName
    }

    private static func text(_ body: [String: JSONValue], _ field: String, limit: Int) throws -> String? {
        switch body[field] {
        case nil, .null: return nil
        case .string(let value) where value.count <= limit: return value
        case .string: throw APIError.validation("\(field) is at most \(limit) characters", field: field)
        default: throw APIError.validation("Input should be a valid string", field: field)
        }
    }

    static let operations: [OpenAPIDocument.Operation] = {
        typealias Doc = OpenAPIDocument
        let requestSchema = Doc.object(
            Dictionary(
                uniqueKeysWithValues: [
                    "id", "user_sub", "username", "email", "status", "justification", "created_at", "decided_at", "decided_by_sub",
                    "decided_by_username", "grant_type", "decision_notes", "last_error",
                ].map { ($0, JSONValue.object([:])) }))
        let errors: [Int: Doc.Operation.Response] = [
            401: .init("Missing or invalid token", schema: Doc.errorDetail), 403: .init("Administrator role required", schema: Doc.errorDetail),
            422: .init("Invalid request", schema: Doc.errorDetail), 503: .init("Workflow disabled", schema: Doc.errorDetail),
        ]
        let id: JSONValue = ["name": "id", "in": "path", "required": true, "schema": Doc.string]
        return [
            .init(
                "POST", "/user/access-requests", summary: "Ask to be let into this endpoint (policy: access_request create, own).",
                tags: ["access requests"], security: .bearer,
                requestBody: Doc.jsonBody(Doc.object(["justification": ["type": "string", "maxLength": 2000]]), required: false),
                responses: errors.merging([
                    201: .init("Filed", schema: requestSchema), 409: .init("A pending request exists", schema: Doc.errorDetail),
                    400: .init("No user name in the token", schema: Doc.errorDetail),
                ]) { $1 }),
            .init(
                "GET", "/user/access-requests", summary: "Requests by status (policy: access_request read; admins).", tags: ["access requests"],
                security: .bearer,
                parameters: [
                    [
                        "name": "status", "in": "query", "required": false,
                        "schema": ["type": "string", "enum": ["pending", "approved", "rejected", "all"]],
                    ]
                ],
                responses: errors.merging([200: .init("Requests", schema: ["type": "array", "items": requestSchema])]) { $1 }),
            .init(
                "POST", "/user/access-requests/{id}/approve",
                summary: "Approve: the AAI adds the user to the endpoint's group (and assigns writer/admin) with the admin's token.",
                tags: ["access requests"], security: .bearer, parameters: [id],
                requestBody: Doc.jsonBody(
                    Doc.object(
                        ["grant_type": ["type": "string", "enum": ["viewer", "writer", "admin", "member"]], "notes": Doc.string],
                        required: ["grant_type"])),
                responses: errors.merging([
                    200: .init("Approved", schema: requestSchema), 404: .init("No such request", schema: Doc.errorDetail),
                    409: .init("Not pending", schema: Doc.errorDetail), 502: .init("The AAI failed; still pending", schema: Doc.errorDetail),
                ]) { $1 }),
            .init(
                "POST", "/user/access-requests/{id}/reject", summary: "Reject (policy: access_request update; admins).",
                tags: ["access requests"], security: .bearer, parameters: [id],
                requestBody: Doc.jsonBody(Doc.object(["notes": Doc.string]), required: false),
                responses: errors.merging([
                    200: .init("Rejected", schema: requestSchema), 404: .init("No such request", schema: Doc.errorDetail),
                    409: .init("Not pending", schema: Doc.errorDetail),
                ]) { $1 }),
        ]
    }()
}
