import Foundation
import Testing

@testable import EPGateway

/// The SigV4 signer against published vectors: the worked examples of Amazon S3's
/// "Signature Version 4" documentation and AWS's SigV4 test suite, and one request with an
/// awkward key and query cross-checked with botocore 1.x (the AWS SDK for Python).
@Suite("S3 Signature Version 4")
struct SigV4SignerTests {
    static let s3Example = SigV4Signer(
        accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
    static let may24 = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    static func signature(_ headers: [(name: String, value: String)]) -> String? {
        headers.first { $0.name == "Authorization" }?.value.components(separatedBy: "Signature=").last
    }

    @Test("S3's GET Object example: the canonical request's hash, the signature and the Authorization header")
    func getObject() {
        let request = SigV4Signer.Request(
            method: "GET", path: "/test.txt", headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")])
        let headers = Self.s3Example.signingHeaders(for: request, at: Self.may24)
        var signed = request
        signed.headers += headers.filter { $0.name != "Authorization" }
        let canonical = Self.s3Example.canonicalRequest(signed)
        #expect(SigV4Signer.sha256Hex(Data(canonical.text.utf8)) == "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        #expect(
            headers.first { $0.name == "Authorization" }?.value
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers.first { $0.name == "x-amz-date" }?.value == "20130524T000000Z")
    }

    @Test("S3's presigned URL example: GET test.txt for 86400 s")
    func presigned() {
        let query = Self.s3Example.presignedQuery(
            method: "GET", path: "/test.txt", host: "examplebucket.s3.amazonaws.com", expires: 86400, at: Self.may24)
        #expect(query.first { $0.name == "X-Amz-Signature" }?.value == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        #expect(query.first { $0.name == "X-Amz-Credential" }?.value == "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request")
    }

    @Test("AWS's SigV4 test suite: get-vanilla-query-order-key-case (query sorted by name)")
    func testSuiteQueryOrder() {
        let signer = SigV4Signer(
            accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "service")
        let request = SigV4Signer.Request(
            method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")],
            headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")])
        // The suite signs only host and x-amz-date (no content hash header), so sign by hand.
        let canonical = signer.canonicalRequest(request)
        #expect(canonical.signedHeaders == "host;x-amz-date")
        let toSign = signer.stringToSign(canonicalRequest: canonical.text, amzDate: "20150830T123600Z", day: "20150830")
        #expect(signer.signature(of: toSign, day: "20150830") == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test("a key with a space, a plus and a non-ASCII letter, and a query value with a slash, as botocore signs them")
    func encodingAgreesWithBotocore() {
        let request = SigV4Signer.Request(
            method: "PUT", path: "/my-bucket/dir/a b+cü.txt", query: [("uploadId", "x/y"), ("partNumber", "2")],
            headers: [("host", "127.0.0.1:9000"), ("Content-Type", "  text/plain ")], payloadHash: SigV4Signer.sha256Hex(Data("hello".utf8)))
        let headers = Self.s3Example.signingHeaders(for: request, at: Self.may24)
        #expect(Self.signature(headers) == "dc4bc1c1e2bf7b684a45c6b03d93d879a74d722b8eb6c5476c2cb137d6d34a67")
        #expect(SigV4Signer.encode("a b+cü/~", keepingSlash: true) == "a%20b%2Bc%C3%BC/~")
    }
}
