import Access
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
struct AccessRequestRoutes: ServiceFeature {
    /// nil when the workflow is off (`ENABLE_ACCESS_REQUESTS=False`): every route answers 503
    /// after the caller is authenticated, as upstream.
    let store: AccessRequestStore?
    let aai: AAIClient
    /// `AFFINITIES_EP_UUID`: the group an approval adds the user to.
    let endpointGroup: String
    /// Drops a user's cached identities (their `sub`) once their access changed.
    let accessChanged: @Sendable (String) async -> Void

    static let disabled = APIError(.serviceUnavailable, detail: "Access-request workflow is disabled on this deployment.")

    /// Filing is `access_request create` of the caller's own; listing and deciding are
    /// `access_request` read and update of everyone's (private: admins, by default).
    var routes: [Route<IdentityRequestContext>] {
        let requestSchema = JSONSchema.anyObject
        let decide = { (path: String, summary: String) in
            Route<IdentityRequestContext>.post(path, summary, access: .policy(.accessRequest, .update, .fixed(.private)))
                .tags("access requests").responds(404, "No such request").responds(409, "Not pending").responds(503, "Workflow disabled")
        }
        return [
            Route.post("/user/access-requests", "Ask to be let into this endpoint.", access: .policy(.accessRequest, .create, .callersOwn))
                .tags("access requests").body(NewRequest.self).responds(201, "Filed", schema: requestSchema)
                .responds(409, "A pending request exists").responds(400, "No user name in the token").responds(503, "Workflow disabled")
                .handle(status: .created) { call in try await create(call.body, context: call.context) },
            Route.get("/user/access-requests", "Requests by status (admins).", access: .policy(.accessRequest, .read, .fixed(.private)))
                .tags("access requests").query(ListQuery.self).answers(200, "Requests", schema: JSONSchema.array(of: requestSchema))
                .responds(503, "Workflow disabled")
                .handle { call in try await list(call.query.status ?? .pending) },
            decide(
                "/user/access-requests/{id}/approve",
                "Approve: the AAI adds the user to the endpoint's group (and assigns writer/admin) with the admin's token."
            ).body(Approval.self).answers(200, "Approved", schema: requestSchema).responds(502, "The AAI failed; still pending")
                .handle { call in try await approve(try call.parameter("id"), call.body, request: call.request, context: call.context) },
            decide("/user/access-requests/{id}/reject", "Reject.").body(Decision.self).answers(200, "Rejected", schema: requestSchema)
                .handle { call in try await reject(try call.parameter("id"), notes: call.body.notes, context: call.context) },
        ]
    }

    struct NewRequest: JSONRequest, Validatable {
        static var emptyBodyIsEmptyObject: Bool { true }
        var justification: String?

        func validate(_ checks: inout FieldChecks) {
            checks.length(justification, "justification", 0...2000)
        }
    }

    struct ListQuery: QueryRequest {
        var status: StatusFilter?
    }

    enum StatusFilter: String, CaseIterable, ChoiceDecodable {
        case pending, approved, rejected, all
    }

    struct Approval: JSONRequest, Validatable {
        var grant_type: AccessRequest.Grant
        var notes: String?

        func validate(_ checks: inout FieldChecks) {
            checks.length(notes, "notes", 0...2000)
        }
    }

    struct Decision: JSONRequest, Validatable {
        static var emptyBodyIsEmptyObject: Bool { true }
        var notes: String?

        func validate(_ checks: inout FieldChecks) {
            checks.length(notes, "notes", 0...2000)
        }
    }

    private func enabledStore() throws -> AccessRequestStore {
        guard let store else { throw Self.disabled }
        return store
    }

    /// `{justification?}` → 201 the request.
    func create(_ body: NewRequest, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try enabledStore()
        let justification = body.justification
        guard let user = context.identity, let subject = user.subject,
            let username = user.preferredName, !username.isEmpty
        else { throw APIError(.badRequest, detail: "Cannot identify the requesting user from their token.") }
        let created = AccessRequest(
            id: CatalogID.make(), userSub: subject, username: username, email: user.email, status: .pending, justification: justification,
            createdAt: Timestamp.isoUTC(Date()))
        try await store.create(created)
        context.logger.info("access request filed", metadata: ["access_request": "\(created.id)", "user.sub": "\(subject)"])
        return created.json
    }

    /// `?status=pending (default)|approved|rejected|all` → the requests, oldest first.
    func list(_ filter: StatusFilter) async throws -> JSONValue {
        let store = try enabledStore()
        let status = AccessRequest.Status(rawValue: filter.rawValue)
        return .array(try await store.requests(status: status).map(\.json))
    }

    /// `{grant_type: viewer|writer|admin|member, notes?}` → the approved request.
    func approve(_ id: String, _ body: Approval, request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try enabledStore()
        let (grant, notes) = (body.grant_type, body.notes)
        guard let pending = try await store.request(id) else { throw AccessRequestError.notFound }
        guard pending.status == .pending else { throw AccessRequestError.notPending(pending.status) }
        guard let token = try await TokenSource.token(in: request, from: [.bearerHeader, .tokenHeader]) else {
            throw APIError(.unauthorized, detail: "Not authenticated")
        }
        do {
            try await aai.addUser(pending.username, toGroup: endpointGroup, token: token)
            if let role = grant.assignedRole { try await aai.assignRole(role, to: pending.username, inGroup: endpointGroup, token: token) }
        } catch let error as APIError {
            let reason = error.detail.stringValue ?? "\(error.detail)"
            _ = try? await store.updatePending(id) { $0.lastError = reason }
            context.logger.warning("access request not approved: the AAI failed", metadata: ["access_request": "\(id)", "reason": "\(reason)"])
            throw error
        }
        let decider = context.identity
        let decided = try await store.updatePending(id) { request in
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
    func reject(_ id: String, notes: String?, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try enabledStore()
        let decider = context.identity
        let decided = try await store.updatePending(id) { request in
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
}
