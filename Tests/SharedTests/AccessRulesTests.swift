import Access
import AccessPolicy
import Identity
import Logging
import ServiceKit
import Testing

@Suite("Access rules")
struct AccessRulesTests {
    static func user(groups: [String] = [], roles: [String] = []) -> UserIdentity {
        UserIdentity(subject: "u", groups: groups, roles: roles)
    }

    @Test(
        "group names ignore case, whitespace and surrounding slashes",
        arguments: [
            ("/NDP_EP/EP-DEMO", "ndp_ep/ep-demo"), (" /ndp_ep/ep-demo/ ", "ndp_ep/ep-demo"), ("ep-1", "ep-1"), ("//a//", "a"),
        ])
    func normalisation(raw: String, expected: String) {
        #expect(GroupName.normalize(raw) == expected)
    }

    @Test("gate off: everyone passes and membership is null")
    func gateOff() {
        let gate = GroupGate(settings: AccessSettings(groupBasedAccess: false, groupNames: ["/x"]))
        #expect(gate.evaluate(Self.user()) == .open)
        #expect(gate.evaluate(Self.user()).membership == nil)
    }

    @Test("gate on: the first of the user's groups that is allowed is reported, normalised")
    func firstMatch() {
        let gate = GroupGate(settings: AccessSettings(groupBasedAccess: true, groupNames: ["ndp_ep/ep-b", "/NDP_EP/EP-A"]))
        let decision = gate.evaluate(Self.user(groups: ["/other", "/ndp_ep/EP-A", "/ndp_ep/ep-b"]))
        #expect(decision == .member(group: "ndp_ep/ep-a"))
        #expect(decision.membership == "ndp_ep/ep-a")
    }

    @Test("group objects use path, else name (parsed from the IdP object)")
    func groupObjects() {
        let user = UserIdentity(idpObject: [
            "sub": "s", "groups": [["path": "/ndp_ep/ep-1", "name": "ignored"], ["name": "by-name"], "plain", 7],
        ])
        #expect(user.groups == ["/ndp_ep/ep-1", "by-name", "plain"])
        let gate = GroupGate(settings: AccessSettings(groupBasedAccess: true, groupNames: ["by-name"]))
        #expect(gate.evaluate(user) == .member(group: "by-name"))
    }

    @Test("gate on with no groups configured denies all but admins")
    func noGroupsConfigured() {
        let gate = GroupGate(settings: AccessSettings(groupBasedAccess: true, groupNames: [" ", ""]))
        #expect(gate.evaluate(Self.user(groups: ["/a"])) == .denied(.noGroupsConfigured))
        #expect(gate.evaluate(Self.user(roles: ["NDP_Admin"])) == .endpointAdministrator)
    }

    @Test("non-members are denied; ndp_admin and the endpoint's own group pass")
    func bypasses() {
        let gate = GroupGate(settings: AccessSettings(groupBasedAccess: true, groupNames: ["/g"], endpointUUID: "1234"))
        #expect(gate.evaluate(Self.user(groups: ["/h"])) == .denied(.notAMember))
        #expect(gate.evaluate(Self.user(roles: ["ndp_admin"])) == .endpointAdministrator)
        #expect(gate.evaluate(Self.user(groups: ["/1234"])) == .endpointAdministrator)
        #expect(gate.evaluate(Self.user(groups: ["/ndp_ep/1234"])) == .endpointAdministrator)
    }

    @Test(
        "role tiers",
        arguments: [
            ([String](), RoleTier.none),
            (["default-roles-ndp"], .none),
            (["ndp_viewer"], .viewer),
            (["ndp_writer"], .writer),
            (["ndp_editor"], .writer),
            (["NDP_Editor "], .writer),
            (["ndp_admin"], .admin),
            (["ndp_viewer", "ndp_admin"], .admin),
            (["group:/ndp_ep/ep-demo:editor"], .writer),
            (["group:NDP_EP/EP-DEMO/:writer"], .writer),
            (["group:ndp_ep/ep-demo:viewer"], .viewer),
            (["group:ndp_ep/ep-demo:admin"], .admin),
            (["group:ndp_ep/other:admin"], .none),
            (["group:u-1:admin"], .admin),
            (["group:ndp_ep/u-1:writer"], .writer),
            (["group:ndp_ep/ep-u-1:editor"], .writer),
            (["u-1_admin"], .admin),
            (["u-1_viewer"], .viewer),
        ])
    func tiers(roles: [String], expected: RoleTier) {
        let tiers = RoleTiers(settings: AccessSettings(groupBasedAccess: true, groupNames: ["/ndp_ep/ep-demo"], endpointUUID: "u-1"))
        #expect(tiers.tier(for: Self.user(roles: roles)) == expected)
    }

    @Test("effective_role words")
    func tierNames() {
        #expect(RoleTier.allCases.map(\.description) == ["none", "viewer", "writer", "admin"])
    }

    static func access(_ settings: AccessSettings, dialect: AuthDialect = .epGateway) -> EndpointAccess {
        EndpointAccess(
            authenticator: RequestAuthenticator(provider: HTTPConventionsTests.StaticIdP(), dialect: dialect), settings: settings,
            policy: .builtIn())
    }

    /// The detail of the refusal `authorize` throws, or nil when it allows.
    static func refusal(
        _ access: EndpointAccess, _ user: UserIdentity?, _ entity: PolicyEntity, _ operation: PolicyOperation, _ object: PolicyObject
    ) -> APIError? {
        do {
            try access.authorize(user, entity, operation, object, logger: Logger(label: "test"))
            return nil
        } catch {
            return error as? APIError
        }
    }

    @Test("tier rules: the gate first, then the tier, in upstream's words followed by the policy's")
    func tierRules() throws {
        let access = Self.access(AccessSettings(groupBasedAccess: true, groupNames: ["/g"]))
        let deployment = PolicyObject(mode: .protected)
        #expect(Self.refusal(access, Self.user(groups: ["/g"], roles: ["ndp_editor"]), .rexec, .read, deployment) == nil)
        #expect(
            Self.refusal(access, Self.user(groups: ["/g"], roles: ["ndp_viewer"]), .rexec, .read, deployment)?.detail.stringValue
                == AuthDialect.writerRequired + " The access policy does not allow you to read rexec (protected); it allows Endpoint.Writer.")
        #expect(
            Self.refusal(access, Self.user(groups: ["/x"], roles: ["ndp_writer"]), .rexec, .read, deployment)
                == APIError(.forbidden, detail: "You do not have permission to perform this operation. Please contact the administrator."))
        #expect(
            Self.refusal(access, Self.user(groups: ["/x"], roles: ["ndp_writer"]), .user, .read, PolicyObject(mode: .private))
                == APIError(.forbidden, detail: "You do not have permission to access this Endpoint. Please contact the administrator."))
        let requests = PolicyObject(mode: .private)
        #expect(
            Self.refusal(access, Self.user(roles: ["ndp_writer"]), .accessRequest, .read, requests)?.detail.stringValue?.hasPrefix(
                AuthDialect.adminRequired) == true)
        // The admin tier needs no group; User.Any needs nothing more than a token.
        #expect(Self.refusal(access, Self.user(groups: ["/x"], roles: ["ndp_admin"]), .accessRequest, .read, requests) == nil)
        #expect(Self.refusal(access, Self.user(groups: ["/x"]), .status, .read, PolicyObject(mode: .protected)) == nil)
        // No token where the rule needs one: 401.
        #expect(Self.refusal(access, nil, .status, .read, PolicyObject(mode: .protected)) == access.dialect.missingToken)
    }

    @Test("object rules: the creator and the owner, in the policy's words")
    func objectRules() {
        let access = Self.access(AccessSettings())
        let creator = Self.user()
        let dataset = PolicyObject(mode: .public, id: "d", creator: creator.ndpUserID)
        #expect(Self.refusal(access, creator, .dataset, .delete, dataset) == nil)
        #expect(
            Self.refusal(access, UserIdentity(subject: "other", roles: ["ndp_writer"]), .dataset, .delete, dataset)
                == APIError(
                    .forbidden, detail: "The access policy does not allow you to delete dataset (public); it allows Object.Creator or Endpoint.Admin."
                ))
        #expect(Self.refusal(access, creator, .rexec, .delete, PolicyObject(mode: .private, owner: "u")) == nil)
        #expect(Self.refusal(access, creator, .rexec, .delete, PolicyObject(mode: .private, owner: "v"))?.status == .forbidden)
    }

    @Test("deploy API gate texts")
    func deployAPIWording() {
        let server = PolicyObject(mode: .private, owner: "u")
        let empty = Self.access(AccessSettings(groupBasedAccess: true, groupNames: []), dialect: .deployAPI)
        #expect(
            Self.refusal(empty, Self.user(groups: ["/g"]), .rexec, .create, server)
                == APIError(.forbidden, detail: "Group-based access is enabled but no groups are configured."))
        let gated = Self.access(AccessSettings(groupBasedAccess: true, groupNames: ["/g"]), dialect: .deployAPI)
        #expect(
            Self.refusal(gated, Self.user(groups: ["/h"]), .rexec, .read, server)
                == APIError(.forbidden, detail: "Access forbidden: user is not a member of an allowed group."))
    }

    @Test("sub is str(sub).strip(), 'unknown' when absent")
    func subjects() {
        #expect(UserIdentity(idpObject: ["sub": " abc "]).sub == "abc")
        #expect(UserIdentity(idpObject: ["sub": 42]).sub == "42")
        #expect(UserIdentity(idpObject: ["sub": "  "]).subject == nil)
        #expect(UserIdentity(idpObject: [:]).sub == "unknown")
        #expect(UserIdentity(idpObject: ["groups": "not-a-list", "roles": "x"]).groups.isEmpty)
    }
}
