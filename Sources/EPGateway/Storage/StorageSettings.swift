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

    static func load(from source: ConfigurationSource) throws -> StorageSettings {
        let settings = StorageSettings(
            enabled: try source.bool("S3_ENABLED", default: false),
            endpoint: source.string("S3_ENDPOINT", default: "localhost:9000"),
            accessKey: source.string("S3_ACCESS_KEY", default: "minioadmin"),
            secretKey: source.string("S3_SECRET_KEY", default: "minioadmin123"),
            secure: try source.bool("S3_SECURE", default: false),
            region: source.string("S3_REGION", default: "us-east-1"),
            partSize: try source.integer("S3_PART_SIZE_MB", default: 16, range: 5...512) << 20,
            timeout: try source.seconds("S3_TIMEOUT_SECONDS", default: 30, range: 1...3600)
        )
        if settings.enabled, settings.configured, settings.endpointURL == nil {
            throw ConfigurationError(variable: "S3_ENDPOINT", value: settings.endpoint, expected: "host:port, or an http(s) URL")
        }
        return settings
    }
}
