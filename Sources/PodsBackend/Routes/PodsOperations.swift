import Essentials
import ServiceKit

/// The pods backend's operations for /openapi.json and /docs.
enum PodsOperations {
    typealias Doc = OpenAPIDocument

    static let podInfo = Doc.object(
        [
            "pod_name": Doc.string, "container_name": Doc.string, "image_name": Doc.string, "pod_ip": Doc.string, "node_ip": Doc.string,
            "owner": Doc.string, "age": ["type": "string", "description": "H:M:S since start, unpadded"],
            "status": ["type": "string", "description": "<Phase>:<start UTC>Z, or Creating / Deleting"],
            "url": Doc.string, "ssh_url": Doc.string,
            "tokens": ["type": "object", "additionalProperties": Doc.string],
            "k8s_pod_info": ["type": "object", "additionalProperties": Doc.string],
            "expires_at": ["type": ["string", "null"], "description": "When the pod is deleted unless extended (RFC 3339, UTC)"],
            "expiring_soon": ["type": "boolean", "description": "It expires within a day"],
        ], required: ["pod_name", "owner", "status", "url", "ssh_url", "tokens", "k8s_pod_info"])

    static let userBody = Doc.object(["user_id": Doc.string], required: ["user_id"])
    static let podBody = Doc.object(["user_id": Doc.string, "pod_name": Doc.string], required: ["user_id", "pod_name"])
    static let createBody = Doc.object(
        [
            "user_id": Doc.string,
            "yaml_url": ["type": "string", "description": "A manifest URL matching whitelistManifestRegex (anchored)"],
            "settings": [
                "description": "container name → env name → value; only env names the manifest declares are set",
                "oneOf": [
                    ["type": "object", "additionalProperties": ["type": "object", "additionalProperties": Doc.string]], ["type": "array"],
                    ["type": "null"],
                ],
            ],
        ], required: ["user_id", "yaml_url"])

    static let authFailures: [Int: Doc.Operation.Response] = [
        401: .init("No or invalid credential (X-Backend-Secret, HMAC signature or bearer token)", schema: Doc.errorDetail),
        403: .init("The caller may not act for this user_id (or needs the admin credential)", schema: Doc.errorDetail),
        502: .init("The Kubernetes API or identity provider is unavailable", schema: Doc.anyObject),
    ]

    static func post(
        _ path: String, _ summary: String, body: JSONValue, ok: JSONValue, failure: String, tags: [String] = ["pods"],
        also: [Int: Doc.Operation.Response] = [:]
    ) -> Doc.Operation {
        .init(
            "POST", path, summary: summary, tags: tags, requestBody: Doc.jsonBody(body),
            responses: authFailures.merging([
                200: .init("Done", schema: ok),
                400: .init(failure, schema: Doc.anyObject),
            ]) { $1 }.merging(also) { $1 })
    }

    static let all: [Doc.Operation] = [
        post(
            "/get_pods", "The user's pods (null when there are none).", body: userBody,
            ok: ["oneOf": [["type": "array", "items": podInfo], ["type": "null"]]], failure: "Invalid user_id"),
        post(
            "/create_pod", "Create a pod from a whitelisted manifest; start jobs continue in the background.", body: createBody,
            ok: Doc.object(["pod_name": Doc.string], required: ["pod_name"]), failure: "Refused: {pod_name: \"\", detail}"),
        post(
            "/watch_create_pod", "Wait until the creation ends; ready is false for unknown or other users' pods.", body: podBody,
            ok: Doc.object(["ready": Doc.boolean], required: ["ready"]), failure: "Never (always 200)"),
        post(
            "/delete_pod", "Delete one of the user's pods (storage follows with the last pod, in the background).", body: podBody,
            ok: Doc.object(["requested": Doc.boolean], required: ["requested"]), failure: "Not found, not owned or already deleting"),
        post(
            "/watch_delete_pod", "Wait until the pod is gone; deleted is true for unknown or other users' pods.", body: podBody,
            ok: Doc.object(["deleted": Doc.boolean], required: ["deleted"]), failure: "Never (always 200)"),
        post(
            "/get_pod_logs", "A user's own pod's log.",
            body: Doc.object(
                ["user_id": Doc.string, "pod_name": Doc.string, "container": Doc.string, "tail_lines": Doc.integer],
                required: ["user_id", "pod_name"]),
            ok: Doc.object(["pod_name": Doc.string, "logs": Doc.string]), failure: "Invalid user_id",
            also: [404: .init("No such pod of this user: {detail, logs: \"\"}", schema: Doc.anyObject)]),
        post(
            "/refresh_tokens", "Read a ready pod's tokens again (/tmp/<key> for each copy-token key).", body: podBody,
            ok: Doc.object(["tokens": ["type": "object", "additionalProperties": Doc.string]]), failure: "Invalid user_id",
            also: [404: .init("No such pod of this user: {detail, tokens: {}}", schema: Doc.anyObject)]),
        post(
            "/extend_pod",
            "Push a pod's expiry to now + duration (30d, 12h, 1d12h), at most now + POD_MAX_LIFETIME, never earlier; the owner or an admin.",
            body: Doc.object(
                ["user_id": Doc.string, "pod_name": Doc.string, "duration": Doc.string], required: ["user_id", "pod_name", "duration"]),
            ok: Doc.object(["pod_name": Doc.string, "expires_at": Doc.string], required: ["pod_name", "expires_at"]),
            failure: "Invalid duration",
            also: [
                404: .init("No such pod of this user", schema: Doc.errorDetail),
                409: .init("The pod expired, is being deleted, or kept changing", schema: Doc.errorDetail),
            ]),
        post(
            "/delete_all_user", "Admin: delete every pod of a user and their storage, and wait.", body: userBody,
            ok: Doc.object(["deleted": Doc.boolean], required: ["deleted"]), failure: "Invalid user_id", tags: ["admin"]),
        post(
            "/clean_all_unused", "Admin: remove companions of vanished pods, failed pods and unused storage.", body: Doc.anyObject,
            ok: Doc.anyObject, failure: "Never", tags: ["admin"]),
        .init(
            "GET", "/get_podip_owner", summary: "The owner of the Running pod with this IP (empty when none); silos and admins only.", tags: ["silo"],
            parameters: [["name": "ip", "in": "query", "required": true, "schema": Doc.string]],
            responses: [
                200: .init("The owner's user id, or empty", schema: Doc.string, contentType: "text/plain"),
                400: .init("Missing ip, not an IP, or outside podSubnetCidr", schema: Doc.string, contentType: "text/plain"),
                // Upstream's silo clients read this route's refusals as text: an empty body.
                401: .init("No or invalid credential (empty)", schema: Doc.string, contentType: "text/plain"),
                403: .init("Neither a silo nor an admin (empty)", schema: Doc.string, contentType: "text/plain"),
                502: authFailures[502]!,
            ]),
    ]
}
