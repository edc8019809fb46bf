import Essentials
import ServiceKit

/// A spawn request as every client version sends it: a form with repeated `requirments`
/// (upstream's spelling; `requirements` is accepted too), `token`, the force flag under
/// either name, and our `wait`. Flags may also come in the query string.
///
/// The deploy API acts on it; the gateway reads it before delegating (a `wait=true` spawn
/// gets a longer deadline), with this one parser.
public struct SpawnRequest: Sendable, Equatable {
    public var requirements: [String]
    public var token: String?
    /// Replace a server whose requirements differ instead of answering 409.
    public var force: Bool
    /// Answer once the server is ready (or the wait times out) instead of at once.
    public var wait: Bool

    public init(requirements: [String], token: String? = nil, force: Bool = false, wait: Bool = false) {
        self.requirements = requirements
        self.token = token
        self.force = force
        self.wait = wait
    }

    /// - Throws: 422 ``APIError`` naming the field, as FastAPI answers upstream.
    public init(form: FormBody, query: [String: String]) throws {
        let requirements = form.all("requirments") + form.all("requirements")
        guard !requirements.isEmpty else {
            throw APIError.validation("field required", field: "requirments")
        }
        self.init(
            requirements: requirements,
            token: form.first("token"),
            force: try Self.flag(["force", "force_reinstall"], form: form, query: query),
            wait: try Self.flag(["wait"], form: form, query: query)
        )
    }

    /// True when any of `names` is set to true in the form or, failing that, the query.
    /// Python's `str(True)` is `True`: any of the usual spellings counts, in any case.
    public static func flag(_ names: [String], form: FormBody, query: [String: String]) throws -> Bool {
        for name in names {
            guard let value = form.first(name) ?? query[name] else { continue }
            guard let parsed = BooleanSetting.value(value) else {
                throw APIError.validation("value could not be parsed to a boolean", field: name)
            }
            if parsed { return true }
        }
        return false
    }

    /// The form as clients send it: what the OpenAPI documents of both services show. (The
    /// form is read by ``init(form:query:)``: its aliases and query fallbacks are more than a
    /// decoder's.)
    public struct Form: FormRequest {
        /// PEP 508 lines; one must be python==X.Y (upstream's spelling).
        public var requirments: [String]
        /// Accepted as well.
        public var requirements: [String]?
        public var token: String?
        public var force: Bool?
        public var force_reinstall: Bool?
        public var wait: Bool?
    }
}
