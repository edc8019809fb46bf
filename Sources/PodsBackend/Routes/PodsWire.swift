import Essentials
import ServiceKit

/// The pods routes' bodies and answers as the user_pods frontend sends and reads them
/// (docs/specs/pods-backend.md §2): what the OpenAPI document shows. The bodies are read as
/// upstream's Go decoder read them (``LenientBody``: keys in any case, a field of the wrong
/// type skipped), which a Codable decoder does not do.
enum PodsWire {
    struct UserBody: Decodable {
        var user_id: String
    }

    struct PodBody: Decodable {
        var user_id: String
        var pod_name: String
    }

    struct CreateBody: Decodable, SchemaDescribing {
        var user_id: String
        var yaml_url: String

        static var jsonSchema: JSONValue {
            JSONSchema.object(
                [
                    "user_id": JSONSchema.string,
                    "yaml_url": ["type": "string", "description": "A manifest URL matching whitelistManifestRegex (anchored)"],
                    "settings": [
                        "description": "container name → env name → value; only env names the manifest declares are set",
                        "oneOf": [
                            ["type": "object", "additionalProperties": ["type": "object", "additionalProperties": JSONSchema.string]],
                            ["type": "array"], ["type": "null"],
                        ],
                    ],
                ], required: ["user_id", "yaml_url"])
        }
    }

    struct LogsBody: Decodable {
        var user_id: String
        var pod_name: String
        var container: String?
        var tail_lines: Int?
    }

    struct ExtendBody: Decodable {
        var user_id: String
        var pod_name: String
        /// `30d`, `12h`, `90m`, `1d12h`.
        var duration: String
    }

    /// One element of `get_pods` (``PodInfo`` writes it).
    struct PodInfoAnswer: Codable {
        var pod_name: String
        var container_name: String?
        var image_name: String?
        var pod_ip: String?
        var node_ip: String?
        var owner: String
        /// H:M:S since start, unpadded.
        var age: String?
        /// `<Phase>:<start UTC>Z`, or `Creating` / `Deleting`.
        var status: String
        var url: String
        var ssh_url: String
        var tokens: [String: String]
        var k8s_pod_info: [String: String]
        /// When the pod is deleted unless extended (RFC 3339, UTC); null until it has one.
        var expires_at: String?
        /// It expires within a day.
        var expiring_soon: Bool?
    }

    struct PodName: Codable { var pod_name: String }
    struct Ready: Codable { var ready: Bool }
    struct Requested: Codable { var requested: Bool }
    struct Deleted: Codable { var deleted: Bool }
    struct Logs: Codable {
        var pod_name: String?
        var logs: String
    }
    struct Tokens: Codable { var tokens: [String: String] }
    struct Extended: Codable {
        var pod_name: String
        var expires_at: String
    }
}
