import Essentials
import Foundation

/// What the API server fills in on create before anything else sees the object.
enum Defaults {
    static func onCreate(_ object: JSONValue, type: ResourceType) -> JSONValue {
        switch type.plural {
        case "namespaces":
            return ObjectMeta.setting(path: ["status"], ["phase": "Active"], in: object)
        case "pods":
            var pod = ObjectMeta.setting(path: ["status"], ["phase": "Pending", "qosClass": "BestEffort"], in: object)
            if pod["spec"]?["restartPolicy"] == nil { pod = ObjectMeta.setting(path: ["spec", "restartPolicy"], "Always", in: pod) }
            return pod
        case "persistentvolumes":
            return ObjectMeta.setting(path: ["status"], ["phase": "Pending"], in: object)
        case "persistentvolumeclaims":
            return ObjectMeta.setting(path: ["status"], ["phase": "Pending"], in: object)
        case "deployments":
            var deployment = object
            if deployment["spec"]?["replicas"] == nil { deployment = ObjectMeta.setting(path: ["spec", "replicas"], 1, in: deployment) }
            return ObjectMeta.setting(
                path: ["status"], ["replicas": 0, "readyReplicas": 0, "availableReplicas": 0, "observedGeneration": 1], in: deployment)
        default:
            return object
        }
    }

    /// On every write: a Secret's `stringData` is merged into `data` (base64) and never
    /// stored, as the API server does.
    static func onWrite(_ object: JSONValue, type: ResourceType) -> JSONValue {
        guard type.plural == "secrets", let plain = object["stringData"]?.objectValue else { return object }
        var data = object["data"]?.objectValue ?? [:]
        for (key, value) in plain {
            data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
        }
        var fields = object.objectValue ?? [:]
        fields["data"] = .object(data)
        fields["stringData"] = nil
        return .object(fields)
    }
}
