import Hummingbird
import HummingbirdCore
import ServiceKit

/// A request's query, decoded as Go's `url.Values` encodes it (`+` is a space), which is
/// how kubectl and client-go send selectors and exec commands.
struct QueryParameters: Sendable {
    private let form: FormBody

    init(_ uri: URI) {
        form = FormBody(parsing: uri.query ?? "")
    }

    init(rawQuery: String) {
        form = FormBody(parsing: rawQuery)
    }

    subscript(name: String) -> String? { form.first(name) }

    func all(_ name: String) -> [String] { form.all(name) }

    func flag(_ name: String) -> Bool {
        let value = self[name]
        return value == "true" || value == "1"
    }
}
