/// The names upstream's MCP server gives its tools (FastAPI's default operation ids: the
/// handler's name, the path and the method; docs/specs/mcp.md), by method and path with the
/// parameters' names left out (`GET /s3/buckets/{}`), so an agent prompt or a client's allow
/// list written for upstream finds the same tools here. A route upstream does not have gets a
/// name made from its method and path (``MCPToolCatalog/generatedName(method:path:)``).
enum UpstreamToolNames {
    static let byRoute: [String: String] = [
        "GET /health": "health_check_health_get",
        "GET /ready": "readiness_check_ready_get",
        "POST /kafka": "create_kafka_datasource_kafka_post",
        "POST /organization": "create_organization_endpoint_organization_post",
        "GET /organization": "list_organizations_organization_get",
        "POST /url": "create_url_resource_url_post",
        "POST /s3": "create_s3_resource_s3_post",
        "POST /services": "create_service_services_post",
        "POST /dataset": "create_general_dataset_endpoint_dataset_post",
        "POST /dataset/{}/publish": "publish_dataset_endpoint_dataset__dataset_id__publish_post",
        "GET /search": "search_datasets_search_get",
        "POST /search": "search_datasource_search_post",
        "PUT /kafka/{}": "update_kafka_datasource_kafka__dataset_id__put",
        "PATCH /kafka/{}": "patch_kafka_datasource_kafka__dataset_id__patch",
        "PUT /url/{}": "update_url_resource_url__resource_id__put",
        "PATCH /url/{}": "patch_url_resource_url__resource_id__patch",
        "PUT /s3/{}": "update_s3_resource_s3__resource_id__put",
        "PATCH /s3/{}": "patch_s3_resource_s3__resource_id__patch",
        "PUT /services/{}": "update_service_endpoint_services__service_id__put",
        "PATCH /services/{}": "patch_service_endpoint_services__service_id__patch",
        "PUT /dataset/{}": "update_dataset_endpoint_dataset__dataset_id__put",
        "PATCH /dataset/{}": "patch_general_dataset_endpoint_dataset__dataset_id__patch",
        "PATCH /dataset/{}/resource/{}": "patch_resource_endpoint_dataset__dataset_id__resource__resource_id__patch",
        "DELETE /dataset/{}/resource/{}": "delete_resource_from_dataset_dataset__dataset_id__resource__resource_id__delete",
        "DELETE /organization/{}": "delete_organization_organization__organization_name__delete",
        "DELETE /resource": "delete_resource_resource_delete",
        "DELETE /resource/{}": "delete_resource_by_id_resource__resource_id__delete",
        "GET /resource/{}": "get_resource_by_id_resource__resource_id__get",
        "PATCH /resource/{}": "patch_resource_by_id_resource__resource_id__patch",
        "GET /resources/search": "search_resources_endpoint_resources_search_get",
        "GET /status": "get_status_status__get",
        "GET /status/metrics": "get_metrics_status_metrics_get",
        "GET /status/kafka-details": "get_kafka_details_status_kafka_details_get",
        "GET /status/jupyter": "get_jupyter_details_status_jupyter_get",
        "GET /status/rexec": "get_rexec_details_status_rexec_get",
        "GET /user/info": "get_user_info_user_info_get",
        "POST /user/access-requests": "create_request_user_access_requests_post",
        "GET /user/access-requests": "list_requests_user_access_requests_get",
        "POST /user/access-requests/{}/approve": "approve_request_user_access_requests__request_id__approve_post",
        "POST /user/access-requests/{}/reject": "reject_request_user_access_requests__request_id__reject_post",
        "GET /s3/buckets": "list_buckets_s3_buckets__get",
        "POST /s3/buckets": "create_bucket_s3_buckets__post",
        "GET /s3/buckets/{}": "get_bucket_info_s3_buckets__bucket_name__get",
        "DELETE /s3/buckets/{}": "delete_bucket_s3_buckets__bucket_name__delete",
        "GET /s3/objects/{}": "list_objects_s3_objects__bucket_name__get",
        "GET /s3/objects/{}/{}/metadata": "get_object_metadata_s3_objects__bucket_name___object_key__metadata_get",
        "POST /s3/objects/{}/{}/presigned-upload":
            "generate_presigned_upload_url_s3_objects__bucket_name___object_key__presigned_upload_post",
        "POST /s3/objects/{}/{}/presigned-download":
            "generate_presigned_download_url_s3_objects__bucket_name___object_key__presigned_download_post",
        "DELETE /s3/objects/{}/{}": "delete_object_s3_objects__bucket_name___object_key__delete",
        "GET /pelican/federations": "list_federations_pelican_federations_get",
        "GET /pelican/browse": "browse_files_pelican_browse_get",
        "GET /pelican/info": "get_info_pelican_info_get",
        "GET /pelican/download": "download_pelican_download_get",
        "POST /pelican/import-metadata": "import_metadata_pelican_import_metadata_post",
    ]

    /// `GET /s3/objects/{bucket}/{key}` → `GET /s3/objects/{}/{}` (a trailing slash dropped).
    static func key(method: String, path: String) -> String {
        var shape = ""
        var inParameter = false
        for character in path {
            switch character {
            case "{":
                inParameter = true
                shape += "{}"
            case "}": inParameter = false
            default: if !inParameter { shape.append(character) }
            }
        }
        while shape.count > 1, shape.hasSuffix("/") { shape.removeLast() }
        return "\(method.uppercased()) \(shape)"
    }
}
