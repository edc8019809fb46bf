import AccessPolicy
import Essentials
import Hummingbird
import Identity
import ServiceKit

/// The kbatch-proxy HTTP API (docs/specs/anchors-platforms.md §A.2) under `KBATCH_PREFIX`, for
/// the unchanged `kbatch` client, which sends `Authorization: token T`. This part: the
/// liveness message, the token check `kbatch configure` makes, and the admin's profiles.
struct KbatchRoutes: Sendable {
    let settings: KbatchSettings

    /// The kbatch client sends JupyterHub's scheme; `Bearer` is accepted too, as upstream.
    static let tokens: [TokenSource] = [.tokenHeader, .bearerHeader]

    static let rootBinding = PolicyBinding(.status, .read, .fixed(.public))
    static let profilesBinding = PolicyBinding(.job, .read, .fixed(.public))
    static let authorizedBinding = PolicyBinding(.user, .read, .callersOwn)

    /// `GET /`: `{"message": "kbatch"}`, upstream's liveness answer.
    var rootRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get { _, _ -> JSONValue in ["message": "kbatch"] }
        return routes
    }

    /// `GET /profiles/`: the admin's profiles (`KBATCH_PROFILE_FILE`) as JSON; public, as
    /// upstream (the client applies a profile itself before submitting).
    var profileRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("profiles") { [profiles = settings.profiles] _, _ in profiles }
        return routes
    }

    /// `GET /authorized`: `{name, groups}` of the caller, what `kbatch configure` checks.
    var authorizedRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("authorized") { _, context -> JSONValue in
            let user = try context.requireIdentity()
            return ["name": .string(Self.username(user)), "groups": .array(user.groups.map(JSONValue.string))]
        }
        return routes
    }

    /// The name kbatch knows a user by, and names their namespace after.
    static func username(_ user: UserIdentity) -> String { user.username ?? user.sub }

    static func operations(prefix: String) -> [OpenAPIDocument.Operation] {
        [
            .init(
                "GET", prefix + "/", summary: "kbatch liveness, as kbatch-proxy (policy: status read).", tags: ["kbatch"],
                responses: [
                    200: .init(
                        "{\"message\": \"kbatch\"}", schema: OpenAPIDocument.object(["message": OpenAPIDocument.string], required: ["message"]))
                ]),
            .init(
                "GET", prefix + "/authorized",
                summary: "The caller's name and groups; kbatch configure checks its token here (policy: user read, own).",
                tags: ["kbatch"], security: .bearer,
                responses: [
                    200: .init("{name, groups}", schema: OpenAPIDocument.object(["name": OpenAPIDocument.string, "groups": ["type": "array"]])),
                    401: .init("No valid token", schema: OpenAPIDocument.errorDetail),
                ]),
            .init(
                "GET", prefix + "/profiles/", summary: "The admin's job profiles (KBATCH_PROFILE_FILE) (policy: job read, public).", tags: ["kbatch"],
                responses: [200: .init("Profiles by name", schema: OpenAPIDocument.anyObject)]),
        ]
    }
}
