import Foundation
import NIOConcurrencyHelpers
import NIOSSL

/// Where the Kubernetes API is and how to authenticate to it.
public struct KubernetesConfiguration: Sendable {
    public enum Credentials: Sendable {
        case none
        case bearerToken(String)
        /// A projected service-account token: re-read from disk so rotation is picked up.
        case bearerTokenFile(String)
        case clientCertificate(certificatePEM: [UInt8], keyPEM: [UInt8])
    }

    public var server: URL
    public var credentials: Credentials
    /// PEM bundle of the cluster CA; nil uses the system trust store.
    public var certificateAuthorityPEM: [UInt8]?
    public var insecureSkipTLSVerify: Bool
    /// The namespace the context (or the pod) is in; "default" otherwise.
    public var namespace: String
    /// Where this configuration came from, for logs and errors (never secrets).
    public var source: String
    /// The kubeconfig context used, when there was one.
    public var contextName: String?

    public init(
        server: URL, credentials: Credentials = .none, certificateAuthorityPEM: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false,
        namespace: String = "default", source: String = "explicit"
    ) {
        self.server = server
        self.credentials = credentials
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.namespace = namespace
        self.source = source
    }

    /// TLS settings for requests to `server`; nil for plain http.
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard server.scheme?.lowercased() == "https" else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let certificateAuthorityPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(certificateAuthorityPEM))
        }
        if insecureSkipTLSVerify { tls.certificateVerification = .none }
        if case .clientCertificate(let certificate, let key) = credentials {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
        }
        return tls
    }
}

/// Why a configuration could not be loaded; says which file and what is missing.
public struct KubernetesConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Reads a token file at most once per `refreshInterval`, so a rotated token is used soon
/// after the kubelet writes it, without a disk read per request.
final class TokenFileReader: Sendable {
    private let state = NIOLockedValueBox<(token: String, readAt: ContinuousClock.Instant)?>(nil)
    let path: String
    let refreshInterval: Duration

    init(path: String, refreshInterval: Duration = .seconds(60)) {
        self.path = path
        self.refreshInterval = refreshInterval
    }

    func token() throws -> String {
        let now = ContinuousClock.now
        if let cached = state.withLockedValue({ $0 }), now - cached.readAt < refreshInterval { return cached.token }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubernetesConfigurationError("cannot read the service-account token at \(path)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        state.withLockedValue { $0 = (token, now) }
        return token
    }
}
