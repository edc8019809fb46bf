import Essentials
import ServiceKit

/// The fields of a typed registration's body (docs/specs/ndp-ep.md §2.7), in upstream's
/// names: all optional here, ``NewRegistration`` requires what a creation needs. Read as
/// pydantic's lax mode reads them (`"kafka_port": "9092"` is the port 9092), then handed to
/// ``RegistrationKind`` as the JSON they are.
protocol RegistrationFields: Codable, Sendable, Validatable {
    /// What a creation must have.
    static var required: [String] { get }
}

struct KafkaFields: RegistrationFields {
    var dataset_name: String?
    var dataset_title: String?
    var owner_org: String?
    var kafka_topic: String?
    var kafka_host: String?
    var kafka_port: Int?
    var dataset_description: String?
    var extras: [String: JSONValue]?
    var mapping: JSONValue?
    var processing: JSONValue?

    static let required = ["dataset_name", "dataset_title", "owner_org", "kafka_topic", "kafka_host", "kafka_port"]

    func validate(_ checks: inout FieldChecks) {
        checks.pattern(dataset_name, "dataset_name", CatalogText.namePattern, message: CatalogText.nameRule("dataset_name"))
        checks.range(kafka_port, "kafka_port", 0...65535)
    }
}

struct URLFields: RegistrationFields {
    var resource_name: String?
    var resource_title: String?
    var owner_org: String?
    var resource_url: String?
    var file_type: String?
    var notes: String?
    var extras: [String: JSONValue]?
    var mapping: JSONValue?
    var processing: JSONValue?

    static let required = ["resource_name", "resource_title", "owner_org", "resource_url"]

    func validate(_ checks: inout FieldChecks) {
        checks.pattern(resource_name, "resource_name", CatalogText.namePattern, message: CatalogText.nameRule("resource_name"))
        checks.scheme(resource_url, "resource_url", ["http://", "https://"])
    }
}

struct S3Fields: RegistrationFields {
    var resource_name: String?
    var resource_title: String?
    var owner_org: String?
    var resource_s3: String?
    var notes: String?
    var extras: [String: JSONValue]?

    static let required = ["resource_name", "resource_title", "owner_org", "resource_s3"]

    func validate(_ checks: inout FieldChecks) {
        checks.pattern(resource_name, "resource_name", CatalogText.namePattern, message: CatalogText.nameRule("resource_name"))
        checks.scheme(resource_s3, "resource_s3", ["s3://", "http://", "https://"])
    }
}

struct ServiceFields: RegistrationFields {
    var service_name: String?
    var service_title: String?
    var owner_org: String?
    var service_url: String?
    var service_type: String?
    var notes: String?
    var extras: [String: JSONValue]?
    var health_check_url: String?
    var documentation_url: String?

    static let required = ["service_name", "service_title", "owner_org", "service_url"]

    func validate(_ checks: inout FieldChecks) {
        checks.pattern(service_name, "service_name", CatalogText.namePattern, message: CatalogText.nameRule("service_name"))
        checks.length(service_title, "service_title", 1...200)
        checks.scheme(service_url, "service_url", ["http://", "https://"])
        checks.length(service_type, "service_type", 0...50)
    }
}

/// A registration's creation: its fields, with the ones a creation needs required.
struct NewRegistration<Fields: RegistrationFields>: JSONRequest, Validatable, SchemaDescribing {
    var fields: Fields
    /// The fields the body set (not null).
    var given: Set<String>

    init(from decoder: any Decoder) throws {
        fields = try Fields(from: decoder)
        let container = try decoder.container(keyedBy: AnyFieldKey.self)
        given = Set(container.allKeys.filter { (try? container.decodeNil(forKey: $0)) == false }.map(\.stringValue))
    }

    func validate(_ checks: inout FieldChecks) {
        for field in Fields.required where !given.contains(field) { checks.fail(field, "Field required", type: "missing") }
        fields.validate(&checks)
    }

    static var jsonSchema: JSONValue {
        var schema = JSONSchema.of(Fields.self)
        schema["required"] = .array(Fields.required.map(JSONValue.string))
        return schema
    }
}

/// A registration's update: any of its fields.
struct RegistrationUpdate<Fields: RegistrationFields>: JSONRequest, Validatable {
    var fields: Fields

    init(from decoder: any Decoder) throws {
        fields = try Fields(from: decoder)
    }

    func validate(_ checks: inout FieldChecks) {
        fields.validate(&checks)
    }
}

/// Any field name, for reading which fields a body set.
struct AnyFieldKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension FieldChecks {
    /// A URL that must start with one of `schemes`.
    mutating func scheme(_ value: String?, _ field: String, _ schemes: [String]) {
        guard let value, !schemes.contains(where: value.lowercased().hasPrefix) else { return }
        fail(field, "\(field) must start with \(schemes.joined(separator: ", "))", input: .string(value))
    }
}
