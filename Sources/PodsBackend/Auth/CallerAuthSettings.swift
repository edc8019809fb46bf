import Essentials
import Identity
import ServiceKit

/// Who may call the pods backend (upstream trusted any caller, docs/specs/pods-backend.md W1). Each mode is one kind of
/// credential the backend accepts; `BACKEND_AUTHMODES` lists them.
struct CallerAuthSettings: Sendable {
    enum Mode: String, CaseIterable, Sendable {
        /// `X-Backend-Secret: <silo secret>`: the silo asserts the user.
        case secret
        /// `X-Backend-Timestamp` + `X-Backend-Signature` (HMAC-SHA256 of the request with the
        /// silo secret): the secret never travels, and a captured request expires.
        case hmac
        /// `Authorization: Bearer <user token>` checked with the identity provider: the
        /// caller is that user and may only act for themself.
        case idp
        /// Upstream's behaviour: anybody may act for anybody. Only when chosen explicitly.
        case none
    }

    var modes: Set<Mode>
    /// Accepted silo secrets (several during a rotation).
    var siloSecrets: [String]
    /// Credentials for `delete_all_user` and `clean_all_unused`.
    var adminSecrets: [String]
    /// How far an HMAC timestamp may be from our clock.
    var hmacMaxSkew: Duration
    /// The identity field that is the ScienceData user id in `idp` mode.
    var idpUserField: IdPUserField
    var auth: AuthSettings?

    enum IdPUserField: String, CaseIterable, Sendable {
        case username, email, sub
    }

    static let minimumSecretLength = 16

    static func load(_ config: ConfigurationSource) throws -> CallerAuthSettings {
        let listed = config.list("authModes")
        var modes: Set<Mode> = []
        for word in listed.isEmpty ? ["secret", "hmac"] : listed {
            guard let mode = Mode(rawValue: word.lowercased()) else {
                throw ConfigurationError(variable: "BACKEND_AUTHMODES", value: word, expected: "a comma-separated list of secret, hmac, idp, none")
            }
            modes.insert(mode)
        }
        let silo = try config.secrets("siloSecret")
        let admin = try config.secrets("adminSecret")
        for (key, values) in [("BACKEND_SILOSECRET", silo), ("BACKEND_ADMINSECRET", admin)] {
            if let short = values.first(where: { $0.utf8.count < minimumSecretLength }) {
                throw ConfigurationError(
                    variable: key, value: String(repeating: "*", count: short.count),
                    expected: "secrets of at least \(minimumSecretLength) characters")
            }
        }
        if !modes.isDisjoint(with: [.secret, .hmac]), silo.isEmpty, !modes.contains(.none) {
            throw ConfigurationError(
                variable: "BACKEND_SILOSECRET", value: "",
                expected:
                    "a silo secret (or BACKEND_SILOSECRETFILE) for authModes \(modes.map(\.rawValue).sorted().joined(separator: ",")); authModes=none restores upstream's unauthenticated API"
            )
        }
        let field = config.optionalString("idpUserField") ?? "username"
        guard let userField = IdPUserField(rawValue: field.lowercased()) else {
            throw ConfigurationError(variable: "BACKEND_IDPUSERFIELD", value: field, expected: "username, email or sub")
        }
        return CallerAuthSettings(
            modes: modes, siloSecrets: silo, adminSecrets: admin,
            hmacMaxSkew: try config.goDuration("hmacMaxSkew", default: "5m"), idpUserField: userField,
            auth: modes.contains(.idp) ? try AuthSettings.load(from: config.unscoped) : nil
        )
    }
}
