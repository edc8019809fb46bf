import HTTPTypes
import Hummingbird
import ServiceKit

/// Where a request may carry its token. Upstream's clients differ: most send
/// `Authorization: Bearer`, scidx-rexec and ndp-ep send the deploy API a `token` form field.
public enum TokenSource: Sendable, Equatable {
    /// `Authorization: Bearer <token>` (the scheme in any case).
    case bearerHeader
    /// `Authorization: token <token>`, JupyterHub's scheme, which the kbatch client sends.
    case tokenHeader
    /// `Authorization: <token>`, the whole value when it is one word: CKAN's API tokens, as
    /// `ckanapi` and CKAN's other clients send them.
    case plainAuthorizationHeader
    /// A header of its own (CKAN's older `X-CKAN-API-Key`).
    case header(String)
    /// A field of an `application/x-www-form-urlencoded` body.
    case formField(String)
    /// A query parameter (kept where upstream read one; query strings reach access logs,
    /// ours never log them).
    case queryParameter(String)

    /// The first non-empty token among `sources`, in their order.
    public static func token(in request: Request, from sources: [TokenSource]) async throws -> String? {
        var form: FormBody?
        for source in sources {
            let value: String?
            switch source {
            case .bearerHeader:
                value = BearerToken.from(request.headers)
            case .tokenHeader:
                value = BearerToken.from(request.headers, scheme: "token")
            case .plainAuthorizationHeader:
                value = request.headers[.authorization].flatMap { $0.contains(" ") ? nil : $0 }
            case .header(let name):
                value = HTTPField.Name(name).flatMap { request.headers[$0] }
            case .formField(let name):
                if form == nil { form = try await FormBody.read(from: request) }
                value = form?.first(name)
            case .queryParameter(let name):
                value = request.uri.queryParameters[Substring(name)].map(String.init)
            }
            if let value, !value.isEmpty { return value }
        }
        return nil
    }
}
