import Crypto
import Essentials
import Foundation

/// AWS Signature Version 4, as every S3-compatible server checks it (Amazon S3, MinIO, Ceph,
/// moto): a canonical form of the request, hashed into a string to sign, signed with a key
/// derived from the secret, the day, the region and the service. Used in a header for calls
/// the EP makes, and in the query for presigned URLs it hands out. No AWS SDK is mirrored
/// here; swift-crypto gives SHA-256 and HMAC.
struct SigV4Signer: Sendable {
    let accessKey: String
    let secretKey: String
    let region: String
    var service = "s3"

    /// What a request signs. `path` is as sent, not yet encoded; `headers` include `host`.
    struct Request: Sendable {
        var method: String
        var path: String
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)]
        /// The body's SHA-256 in hex, or ``SigV4Signer/unsignedPayload``.
        var payloadHash: String = SigV4Signer.emptyPayloadHash
    }

    /// SHA-256 of nothing: the payload hash of a request without a body.
    static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// What a streamed body is signed as when its hash is not known in advance.
    static let unsignedPayload = "UNSIGNED-PAYLOAD"
    static let algorithm = "AWS4-HMAC-SHA256"

    static func sha256Hex(_ data: some DataProtocol) -> String {
        SHA256.hash(data: data).hexString
    }

    /// `20130524T000000Z` and `20130524`, in UTC.
    static func timestamps(_ date: Date) -> (amzDate: String, day: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", parts.year!, parts.month!, parts.day!)
        return (day + String(format: "T%02d%02d%02dZ", parts.hour!, parts.minute!, parts.second!), day)
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters; `/` kept in paths.
    static func encode(_ text: String, keepingSlash: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                out.append(Character(UnicodeScalar(byte)))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    private static let unreserved: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8))

    /// The canonical request and the signed header names (`host;x-amz-date`).
    func canonicalRequest(_ request: Request) -> (text: String, signedHeaders: String) {
        let pairs: [(name: String, value: String)] = request.query.map { (Self.encode($0.name), Self.encode($0.value)) }
        let sorted = pairs.sorted { left, right in left.name == right.name ? left.value < right.value : left.name < right.name }
        let query = sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        var headers: [String: [String]] = [:]
        for (name, value) in request.headers {
            // Values are trimmed and inner runs of spaces folded to one.
            let folded = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            headers[name.lowercased(), default: []].append(folded)
        }
        let names = headers.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(headers[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let path = request.path.isEmpty ? "/" : Self.encode(request.path, keepingSlash: true)
        let text = [request.method, path, query, canonicalHeaders, signedHeaders, request.payloadHash].joined(separator: "\n")
        return (text, signedHeaders)
    }

    func scope(day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    func stringToSign(canonicalRequest: String, amzDate: String, day: String) -> String {
        [Self.algorithm, amzDate, scope(day: day), Self.sha256Hex(Data(canonicalRequest.utf8))].joined(separator: "\n")
    }

    func signature(of stringToSign: String, day: String) -> String {
        var key = SymmetricKey(data: Data("AWS4\(secretKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return Data(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key)).hexString
    }

    /// The headers to add for a signed call: `x-amz-date`, `x-amz-content-sha256` and
    /// `Authorization`. `request.headers` must hold `host` and whatever else is signed.
    func signingHeaders(for request: Request, at date: Date = Date()) -> [(name: String, value: String)] {
        let (amzDate, day) = Self.timestamps(date)
        var signed = request
        signed.headers += [("x-amz-date", amzDate), ("x-amz-content-sha256", request.payloadHash)]
        let canonical = canonicalRequest(signed)
        let signature = signature(of: stringToSign(canonicalRequest: canonical.text, amzDate: amzDate, day: day), day: day)
        let authorization =
            "\(Self.algorithm) Credential=\(accessKey)/\(scope(day: day)),SignedHeaders=\(canonical.signedHeaders),Signature=\(signature)"
        return [("x-amz-date", amzDate), ("x-amz-content-sha256", request.payloadHash), ("Authorization", authorization)]
    }

    /// A presigned URL's query: the request's own query plus the `X-Amz-*` parameters, valid
    /// for `expires` seconds (S3 allows 1 to 604,800) from `date`. Only `host` is signed, so
    /// the URL works from any client; the payload is `UNSIGNED-PAYLOAD`.
    func presignedQuery(
        method: String, path: String, host: String, query: [(name: String, value: String)] = [], expires: Int, at date: Date = Date()
    )
        -> [(name: String, value: String)]
    {
        let (amzDate, day) = Self.timestamps(date)
        let parameters =
            query + [
                ("X-Amz-Algorithm", Self.algorithm), ("X-Amz-Credential", "\(accessKey)/\(scope(day: day))"), ("X-Amz-Date", amzDate),
                ("X-Amz-Expires", String(expires)), ("X-Amz-SignedHeaders", "host"),
            ]
        let canonical = canonicalRequest(
            Request(method: method, path: path, query: parameters, headers: [("host", host)], payloadHash: Self.unsignedPayload))
        let signature = signature(of: stringToSign(canonicalRequest: canonical.text, amzDate: amzDate, day: day), day: day)
        return parameters + [("X-Amz-Signature", signature)]
    }
}
