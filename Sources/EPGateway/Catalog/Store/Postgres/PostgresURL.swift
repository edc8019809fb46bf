import Foundation
import NIOSSL
import PostgresNIO

/// `CATALOG_POSTGRES_URL`, written as libpq and every PostgreSQL tool write it:
/// `postgres://user:password@host:port/database?sslmode=…&sslrootcert=…`. The user and password
/// may be percent-encoded; the port defaults to 5432 and the database to the user's name.
///
/// `sslmode` keeps libpq's meanings: `disable`; `prefer` (the default: TLS when the server
/// offers it, certificate not checked); `require` (TLS, certificate not checked); `verify-ca` and
/// `verify-full` (TLS, certificate and host name checked against the system's roots or
/// `sslrootcert`).
struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var sslMode: SSLMode
    var rootCertificatePath: String?

    struct Invalid: Error, Equatable {
        let reason: String
    }

    init(parsing text: String) throws(Invalid) {
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw Invalid(reason: "a URL postgres://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw Invalid(reason: "a host in postgres://user:password@host:port/database") }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw Invalid(reason: "a user in postgres://user:password@host:port/database")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var sslMode = SSLMode.prefer
        var rootCertificatePath: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    throw Invalid(reason: "sslmode one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "sslrootcert":
                rootCertificatePath = item.value
            default:
                throw Invalid(reason: "only the parameters sslmode and sslrootcert, not \(item.name)")
            }
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.username = user
        self.password = components.password?.removingPercentEncoding
        self.database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        self.sslMode = sslMode
        self.rootCertificatePath = rootCertificatePath
    }

    /// The URL with the password masked: what logs and error messages show.
    var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    /// TLS as `sslmode` asks.
    func tlsConfiguration() -> TLSConfiguration? {
        guard sslMode != .disable else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable, .prefer, .require:
            configuration.certificateVerification = .none
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
        }
        if let rootCertificatePath { configuration.trustRoots = .file(rootCertificatePath) }
        return configuration
    }

    /// The connection pool's configuration.
    func clientConfiguration() -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch (sslMode, tlsConfiguration()) {
            case (.disable, _), (_, nil): .disable
            case (.prefer, let configuration?): .prefer(configuration)
            case (_, let configuration?): .require(configuration)
            }
        return PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    /// One connection's configuration (the start-up migration runs on its own connection, so a
    /// wrong password or an unreachable server is reported at once, not retried by the pool).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch (sslMode, tlsConfiguration()) {
            case (.disable, _), (_, nil): .disable
            case (.prefer, let configuration?): .prefer(try NIOSSLContext(configuration: configuration))
            case (_, let configuration?): .require(try NIOSSLContext(configuration: configuration))
            }
        return PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
}
