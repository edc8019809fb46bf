import AsyncHTTPClient
import Essentials
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Calls the IdP's `/information` endpoint: `POST AUTH_API_URL` with `{"token": …}`.
public struct HTTPIdentityProvider: IdentityProvider {
    /// The IdP's answer is a small object; anything larger is refused as malformed.
    static let maxResponseBytes = 1 << 20

    public let url: URL
    public let timeout: Duration
    private let httpClient: HTTPClient
    private let logger: Logger

    public init(url: URL, timeout: Duration, httpClient: HTTPClient = UpstreamHTTPClient.shared, logger: Logger = Logger(label: "idp")) {
        self.url = url
        self.timeout = timeout
        self.httpClient = httpClient
        self.logger = logger
    }

    public func identify(token: String) async throws -> UserIdentity {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: JSONValue.object(["token": .string(token)]).bytes()))

        let body: ByteBuffer
        let status: HTTPResponseStatus
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            status = response.status
            body = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw IdentityProviderError.timedOut
        } catch is NIOTooManyBytesError {
            throw IdentityProviderError.malformedResponse
        } catch {
            // The description of a transport error names the host, never the token.
            throw IdentityProviderError.unreachable(reason: String(describing: error))
        }

        switch status.code {
        case 200: break
        case 401: throw IdentityProviderError.unauthorized
        case 403: throw IdentityProviderError.forbidden
        case 500: throw IdentityProviderError.internalError
        default: throw IdentityProviderError.unexpectedStatus(Int(status.code))
        }
        guard let object = try? JSONValue.decode(Data(buffer: body)).objectValue else {
            throw IdentityProviderError.malformedResponse
        }
        if let reason = object["error"] {
            throw IdentityProviderError.tokenRejected(reason: reason.scalarDescription ?? String(decoding: reason.encoded(), as: UTF8.self))
        }
        return UserIdentity(idpObject: object)
    }
}
