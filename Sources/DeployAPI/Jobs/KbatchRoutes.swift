import Access
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

    /// The liveness message, the token check `kbatch configure` makes, and the admin's profiles.
    var routes: [Route<IdentityRequestContext>] {
        let prefix = settings.prefix
        return [
            Route.get(prefix + "/", "kbatch liveness, as kbatch-proxy.", access: .policy(.status, .read, .fixed(.public))).tags("kbatch")
                .handle { _ in KbatchMessage(message: "kbatch") },
            Route.get(
                prefix + "/authorized", "The caller's name and groups; kbatch configure checks its token here.",
                access: .policy(.user, .read, .callersOwn, tokens: Self.tokens)
            ).tags("kbatch")
                .handle { call in
                    let user = try call.context.requireIdentity()
                    return KbatchCaller(name: Self.username(user), groups: user.groups)
                },
            // Public, as upstream: the client applies a profile itself before submitting.
            Route.get(prefix + "/profiles/", "The admin's job profiles (KBATCH_PROFILE_FILE).", access: .policy(.job, .read, .fixed(.public)))
                .tags("kbatch")
                .handle { [profiles = settings.profiles] _ in profiles },
        ]
    }

    struct KbatchMessage: JSONAnswer {
        var message: String
    }

    /// `{name, groups}`: who kbatch-proxy says the token's user is.
    struct KbatchCaller: JSONAnswer {
        var name: String
        var groups: [String]
    }

    /// The name kbatch knows a user by, and names their namespace after.
    static func username(_ user: UserIdentity) -> String { user.username ?? user.sub }
}
