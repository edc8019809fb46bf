import Essentials
import ServiceKit

/// The S3 storage routes in the gateway's OpenAPI document (present when `S3_ENABLED`).
enum StorageOperations {
    typealias Doc = OpenAPIDocument

    static let errors: [Int: Doc.Operation.Response] = [
        400: .init("Invalid bucket name, or S3 refused the request", schema: Doc.errorDetail),
        401: .init("Missing or invalid token", schema: Doc.errorDetail),
        403: .init("Refused by the access policy", schema: Doc.errorDetail),
        422: .init("Invalid request", schema: Doc.errorDetail),
        502: .init("S3 failed", schema: Doc.errorDetail),
        503: .init("S3 not configured or unreachable", schema: Doc.errorDetail),
    ]

    static let bucket: JSONValue = ["name": "bucket", "in": "path", "required": true, "schema": Doc.string]
    static let key: JSONValue = ["name": "key", "in": "path", "required": true, "schema": Doc.string]
    static let message = Doc.object(["message": Doc.string, "success": Doc.boolean])
    static let bucketSchema = Doc.object(["name": Doc.string, "creation_date": Doc.string])
    static let presignBody = Doc.jsonBody(
        Doc.object([
            "expires_in": ["type": "integer", "minimum": 1, "maximum": 604_800],
            "expiration": ["type": "integer", "minimum": 1, "maximum": 604_800],
        ]), required: false)
    static let presigned = Doc.object(["url": Doc.string, "expires_in": Doc.integer])

    static func operation(
        _ method: String, _ path: String, _ summary: String, parameters: [JSONValue] = [], body: JSONValue? = nil,
        answers: [Int: Doc.Operation.Response]
    ) -> Doc.Operation {
        Doc.Operation(
            method, path, summary: summary, tags: ["storage"], security: .bearer, parameters: parameters, requestBody: body,
            responses: errors.merging(answers) { $1 })
    }

    static let all: [Doc.Operation] = [
        operation(
            "GET", "/s3/buckets/", "List buckets (policy: storage read).",
            answers: [200: .init("Buckets", schema: Doc.object(["buckets": ["type": "array", "items": bucketSchema]]))]),
        operation(
            "POST", "/s3/buckets/", "Create a bucket (policy: storage create).",
            body: Doc.jsonBody(Doc.object(["name": Doc.string, "region": Doc.string], required: ["name"])),
            answers: [201: .init("Created", schema: message), 409: .init("Exists", schema: Doc.errorDetail)]),
        operation(
            "GET", "/s3/buckets/{bucket}", "A bucket (policy: storage read).", parameters: [bucket],
            answers: [200: .init("The bucket", schema: bucketSchema), 404: .init("No such bucket", schema: Doc.errorDetail)]),
        operation(
            "DELETE", "/s3/buckets/{bucket}", "Delete an empty bucket (policy: storage delete).", parameters: [bucket],
            answers: [
                200: .init("Deleted", schema: message), 404: .init("No such bucket", schema: Doc.errorDetail),
                409: .init("Not empty", schema: Doc.errorDetail),
            ]),
        operation(
            "POST", "/s3/objects/{bucket}",
            "Upload the form's `file` under `object_key` (default: its file name), streamed; over one part a multipart upload (policy: storage create).",
            parameters: [bucket],
            body: [
                "required": true,
                "content": [
                    "multipart/form-data": [
                        "schema": Doc.object(["file": ["type": "string", "format": "binary"], "object_key": Doc.string], required: ["file"])
                    ]
                ],
            ],
            answers: [
                200: .init(
                    "Stored", schema: Doc.object(["bucket": Doc.string, "key": Doc.string, "size": Doc.integer, "etag": Doc.string])),
                404: .init("No such bucket", schema: Doc.errorDetail), 413: .init("Too large", schema: Doc.errorDetail),
            ]),
        operation(
            "GET", "/s3/objects/{bucket}", "List every object under `prefix` (policy: storage read).",
            parameters: [bucket, ["name": "prefix", "in": "query", "required": false, "schema": Doc.string]],
            answers: [200: .init("Objects", schema: Doc.object(["objects": ["type": "array"], "prefix": [:]]))]),
        operation(
            "GET", "/s3/objects/{bucket}/{key}", "Download an object, streamed (policy: storage read); `{key}/metadata` gives its HEAD.",
            parameters: [bucket, key],
            answers: [
                200: .init("The bytes", schema: ["type": "string", "format": "binary"], contentType: "application/octet-stream"),
                404: .init("No such object", schema: Doc.errorDetail),
            ]),
        operation(
            "DELETE", "/s3/objects/{bucket}/{key}", "Delete an object (policy: storage delete).", parameters: [bucket, key],
            answers: [200: .init("Deleted", schema: message), 404: .init("No such object", schema: Doc.errorDetail)]),
        operation(
            "POST", "/s3/objects/{bucket}/{key}/presigned-upload", "A presigned PUT URL (policy: storage create).", parameters: [bucket, key],
            body: presignBody, answers: [200: .init("The URL", schema: presigned)]),
        operation(
            "POST", "/s3/objects/{bucket}/{key}/presigned-download", "A presigned GET URL (policy: storage read).",
            parameters: [bucket, key], body: presignBody, answers: [200: .init("The URL", schema: presigned)]),
    ]
}
