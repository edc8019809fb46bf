import Essentials
import Foundation
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

    // MARK: Declarations

    static let authModes = PodsSettings.key("authModes") {
        Setting<Set<Mode>>(
            $0, help: "The credentials callers may bring: secret, hmac, idp, none (none restores upstream's unauthenticated API).",
            accepts: "comma-separated list of secret, hmac, idp, none", defaultDescription: "secret,hmac",
            parse: { text in
                var modes: Set<Mode> = []
                for word in SettingText.list(text) {
                    guard let mode = Mode(rawValue: word.lowercased()) else {
                        throw SettingRefusal(expected: "a comma-separated list of secret, hmac, idp, none")
                    }
                    modes.insert(mode)
                }
                return modes
            }, fallback: { _ in [.secret, .hmac] })
    }
    static let siloSecret = secrets("siloSecret", help: "Silo secrets (comma-separated: several during a rotation), at least 16 characters each.")
    static let siloSecretFile = secretFile("siloSecretFile", help: "A file of silo secrets, one a line (a mounted Secret).")
    static let adminSecret = secrets(
        "adminSecret", help: "The admin credential for delete_all_user and clean_all_unused; without one they answer 403.")
    static let adminSecretFile = secretFile("adminSecretFile", help: "A file of admin secrets, one a line.")
    static let hmacMaxSkew = PodsSettings.key("hmacMaxSkew") {
        .goDuration($0, default: "5m", help: "How far a signed request's timestamp may be from this clock.")
    }
    static let idpUserField = PodsSettings.key("idpUserField") {
        Setting<IdPUserField>.choice(
            $0, default: .username, help: "The token's field that is the ScienceData user id in idp mode (with AUTH_API_URL).")
    }

    static let settings = SettingGroup(
        "Callers", [authModes, siloSecret, siloSecretFile, adminSecret, adminSecretFile, hmacMaxSkew, idpUserField])

    static func load(_ source: ConfigurationSource) throws -> CallerAuthSettings {
        let modes = try source.value(authModes)
        let silo = try source.value(siloSecret) + (try source.value(siloSecretFile))
        let admin = try source.value(adminSecret) + (try source.value(adminSecretFile))
        if !modes.isDisjoint(with: [.secret, .hmac]), silo.isEmpty, !modes.contains(.none) {
            throw source.refusal(
                siloSecret,
                expected:
                    "a silo secret (or BACKEND_SILOSECRETFILE) for authModes \(modes.map(\.rawValue).sorted().joined(separator: ",")); authModes=none restores upstream's unauthenticated API"
            )
        }
        return CallerAuthSettings(
            modes: modes, siloSecrets: silo, adminSecrets: admin, hmacMaxSkew: try source.value(hmacMaxSkew),
            idpUserField: try source.value(idpUserField), auth: modes.contains(.idp) ? try AuthSettings.load(from: source) : nil
        )
    }

    /// Secrets given inline, comma-separated; each at least ``minimumSecretLength`` characters.
    private static func secrets(_ key: String, help: String) -> Setting<[String]> {
        PodsSettings.key(key) {
            Setting<[String]>(
                $0, help: help, accepts: "comma-separated secrets", defaultDescription: "none", parse: { try checked(SettingText.list($0)) }
            ) {
                _ in []
            }.secret()
        }
    }

    /// Secrets read from a file, one a line (or comma-separated).
    private static func secretFile(_ key: String, help: String) -> Setting<[String]> {
        PodsSettings.key(key) {
            Setting<[String]>(
                $0, help: help, accepts: "file path", defaultDescription: "none",
                parse: { path in
                    guard let data = FileManager.default.contents(atPath: path.trimmingCharacters(in: .whitespaces)) else {
                        throw SettingRefusal(expected: "a readable file")
                    }
                    return try checked(
                        String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "," })
                            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
                }, fallback: { _ in [] })
        }
    }

    private static func checked(_ secrets: [String]) throws -> [String] {
        guard secrets.allSatisfy({ $0.utf8.count >= minimumSecretLength }) else {
            throw SettingRefusal(expected: "secrets of at least \(minimumSecretLength) characters")
        }
        return secrets
    }
}
