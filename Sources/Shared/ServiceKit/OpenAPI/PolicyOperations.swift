/// `GET /policy` in the OpenAPI documents of the services the access policy governs.
public enum PolicyOperations {
    public static let read = OpenAPIDocument.Operation(
        "GET", "/policy", summary: "The access policy in force, its SHA-256 and when it was loaded.", tags: ["policy"], security: .bearer,
        responses: [
            200: .init(
                "The policy",
                schema: [
                    "type": "object",
                    "properties": [
                        "source": ["type": "string"], "sha256": ["type": "string"], "loaded_at": ["type": "string", "format": "date-time"],
                        "policy": ["type": "object", "description": "entity → mode → operation → roles"],
                    ],
                ]),
            401: .init("Missing or invalid credential", schema: OpenAPIDocument.errorDetail),
            403: .init("Refused by the access policy (policy read)", schema: OpenAPIDocument.errorDetail),
        ]
    )
}
