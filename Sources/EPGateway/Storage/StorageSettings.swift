import Foundation
import ServiceKit

/// The S3 object storage the `/s3/buckets*` and `/s3/objects*` routes front (upstream's
/// names and defaults, docs/specs/ndp-ep.md §4.2): `S3_ENABLED`, `S3_ENDPOINT` (`host:port`,
/// or a URL), `S3_ACCESS_KEY`, `S3_SECRET_KEY`, `S3_SECURE` (https), `S3_REGION`.
struct StorageSettings: Sendable, Equatable {
    var enabled: Bool
    var endpoint: String
    var accessKey: String
    var secretKey: String
    var secure: Bool
    var region: String
    /// `S3_PART_SIZE_MB`: uploads larger than this go up as a multipart upload, one part of
    /// this size at a time (an upload holds at most two in memory). S3's minimum part is 5 MiB.
    var partSize: Int
    /// `S3_TIMEOUT_SECONDS`: budget of one S3 call (a part upload gets ten times as much);
    /// a download's body may take longer, as long as it keeps moving.
    var timeout: Duration

    /// S3 allows at most 10,000 parts in one upload.
    static let maximumParts = 10_000

    /// Enabled with an endpoint and both keys; enabled without them, the routes answer 503
    /// "S3 service is not configured", as upstream.
    var configured: Bool { !endpoint.isEmpty && !accessKey.isEmpty && !secretKey.isEmpty }

    /// `S3_ENDPOINT` as a URL: a bare `host:port` (MinIO's convention, upstream's default)
    /// gets the scheme `S3_SECURE` says.
    var endpointURL: URL? {
        let text = endpoint.contains("://") ? endpoint : (secure ? "https://" : "http://") + endpoint
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else { return nil }
        return url
    }

    // MARK: Declarations

    static let enabled = Setting<Bool>.boolean("S3_ENABLED", default: false, help: "The /s3/* routes, in front of an S3-compatible server.")
    static let endpoint = Setting<String>.text(
        "S3_ENDPOINT", default: "localhost:9000", help: "The S3 server: host:port (MinIO's convention; S3_SECURE gives the scheme) or an http(s) URL."
    )
    static let accessKey = Setting<String>.text("S3_ACCESS_KEY", default: "minioadmin", help: "The S3 access key.").secret()
    static let secretKey = Setting<String>.text("S3_SECRET_KEY", default: "minioadmin123", help: "The S3 secret key.").secret()
    static let secure = Setting<Bool>.boolean("S3_SECURE", default: false, help: "https for a host:port S3_ENDPOINT.")
    static let region = Setting<String>.text("S3_REGION", default: "us-east-1", help: "The region requests are signed for.")
    static let partSize = Setting<Int>.integer(
        "S3_PART_SIZE_MB", default: 16, range: 5...512,
        help: "Uploads larger than this go up as a multipart upload of parts this size (an upload holds at most two in memory).")
    static let timeout = Setting<Duration>.seconds(
        "S3_TIMEOUT_SECONDS", default: 30, range: 1...3600,
        help: "Budget of one S3 call (a part upload gets ten times as much); a download may take longer while it keeps moving.")

    static let settings = SettingGroup(
        "S3 storage",
        [enabled, endpoint, accessKey, secretKey, secure, region, partSize, timeout])

    static func load(from source: ConfigurationSource) throws -> StorageSettings {
        let settings = StorageSettings(
            enabled: try source.value(enabled),
            endpoint: try source.value(endpoint),
            accessKey: try source.value(accessKey),
            secretKey: try source.value(secretKey),
            secure: try source.value(secure),
            region: try source.value(region),
            partSize: try source.value(partSize) << 20,
            timeout: try source.value(timeout)
        )
        if settings.enabled, settings.configured, settings.endpointURL == nil {
            throw source.refusal(endpoint, expected: "host:port, or an http(s) URL")
        }
        return settings
    }
}
