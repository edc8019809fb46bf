import Essentials
import Foundation
import ServiceKit

/// The typed registrations (docs/specs/ndp-ep.md §2.7): a Kafka topic, a URL, an S3 link or a
/// service, each one dataset with one resource, in the field names upstream's client sends.
/// One description per kind says which body fields are the dataset's name, title and notes,
/// which extras the kind keeps, and how its resource is made.
struct RegistrationKind: Sendable {
    /// The route's path (`kafka`) and the resource format.
    let path: String
    let format: String
    /// What is registered, in words for the route summaries ("a Kafka topic").
    let what: String
    let nameField: String
    let titleField: String
    let notesField: String
    /// Extras a caller may not set (they are fields of the dataset or of this kind).
    let reservedKeys: Set<String>
    /// Body fields kept as extras, by the extra's key.
    let extraFields: [(field: String, key: String)]
    /// Body fields kept as extras encoded as JSON text (upstream's `mapping` and `processing`).
    let jsonExtraFields: [String]
    /// The client matches "Duplicate Dataset" or "Duplicate Service" in the 409's detail.
    let duplicate: String
    let updated: String
    let notFound: String
    /// The body's resource: url, name and description, from the whole dataset as it will be.
    let resource: @Sendable (_ body: [String: JSONValue], _ dataset: CatalogDataset) -> (url: String, name: String, description: String)
    /// Checks beyond the fields' own (``RegistrationFields``): a service's owner_org.
    let validate: @Sendable (_ body: [String: JSONValue]) throws -> Void

    static let common: Set<String> = ["name", "title", "owner_org", "notes", "id", "resources", "collection"]

    static let kafka = RegistrationKind(
        path: "kafka", format: "kafka", what: "a Kafka topic", nameField: "dataset_name", titleField: "dataset_title",
        notesField: "dataset_description",
        reservedKeys: common.union(["host", "port", "topic", "mapping", "processing"]),
        extraFields: [("kafka_host", "host"), ("kafka_port", "port"), ("kafka_topic", "topic")], jsonExtraFields: ["mapping", "processing"],
        duplicate: "Duplicate Dataset", updated: "Kafka dataset updated successfully", notFound: "Kafka dataset not found",
        resource: { _, dataset in
            let topic = dataset.extra("topic")?.scalarDescription ?? ""
            let host = dataset.extra("host")?.scalarDescription ?? ""
            let port = dataset.extra("port")?.scalarDescription ?? ""
            return ("", topic, "Kafka topic \(topic) hosted at \(host):\(port)")
        },
        validate: { _ in })

    static let url = RegistrationKind(
        path: "url", format: "url", what: "a URL", nameField: "resource_name", titleField: "resource_title", notesField: "notes",
        reservedKeys: common.union(["url", "mapping", "processing", "file_type"]), extraFields: [("file_type", "file_type")],
        jsonExtraFields: ["mapping", "processing"], duplicate: "Duplicate Dataset", updated: "Resource updated successfully",
        notFound: "Resource not found",
        resource: { body, dataset in (body["resource_url"]?.stringValue ?? dataset.resources.first?.url ?? "", dataset.name, dataset.notes) },
        validate: { _ in })

    static let s3 = RegistrationKind(
        path: "s3", format: "s3", what: "an S3 object", nameField: "resource_name", titleField: "resource_title", notesField: "notes",
        reservedKeys: common,
        extraFields: [], jsonExtraFields: [], duplicate: "Duplicate Dataset", updated: "S3 resource updated successfully",
        notFound: "S3 resource not found",
        resource: { body, dataset in (body["resource_s3"]?.stringValue ?? dataset.resources.first?.url ?? "", dataset.name, dataset.notes) },
        validate: { _ in })

    static let service = RegistrationKind(
        path: "services", format: "service", what: "a web service", nameField: "service_name", titleField: "service_title", notesField: "notes",
        reservedKeys: common.union(["service_url", "service_type", "health_check_url", "documentation_url"]),
        extraFields: [("service_type", "service_type"), ("health_check_url", "health_check_url"), ("documentation_url", "documentation_url")],
        jsonExtraFields: [], duplicate: "Duplicate Service", updated: "Service updated successfully", notFound: "Service not found",
        resource: { body, dataset in (body["service_url"]?.stringValue ?? dataset.resources.first?.url ?? "", dataset.name, dataset.notes) },
        validate: { body in
            if let owner = body["owner_org"], owner.stringValue != Catalog.servicesOrganization {
                // A text, not pydantic's list: ndp-ep looks for these words in `detail`.
                throw APIError(.unprocessableContent, detail: "owner_org must be 'services' for service registration")
            }
        })

    static let all = [kafka, url, s3, service]
}
