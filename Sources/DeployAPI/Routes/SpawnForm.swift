import Hummingbird
import Shared

/// The fields of a spawn request as every client version sends them (specs/rexec.md §4.2,
/// §5.10): repeated `requirments` (sic; `requirements` accepted too), `token`, the force
/// flag under either name, and our `wait`.
struct SpawnForm: Sendable {
    let requirements: [String]
    let token: String?
    let force: Bool
    let wait: Bool

    static func parse(_ form: FormBody, query: [String: String]) throws -> SpawnForm {
        let requirements = form.all("requirments") + form.all("requirements")
        guard !requirements.isEmpty else {
            throw APIError.validation("field required", field: "requirments")
        }
        return SpawnForm(
            requirements: requirements,
            token: form.first("token"),
            force: try flag(form, query, names: ["force", "force_reinstall"]),
            wait: try flag(form, query, names: ["wait"])
        )
    }

    /// Python's `str(True)` is `True`; accept any of the usual spellings, in any case.
    static func flag(_ form: FormBody, _ query: [String: String], names: [String]) throws -> Bool {
        for name in names {
            guard let value = form.first(name) ?? query[name] else { continue }
            guard let parsed = try? BooleanSetting.parse(value, variable: name) else {
                throw APIError.validation("value could not be parsed to a boolean", field: name)
            }
            if parsed { return true }
        }
        return false
    }
}
