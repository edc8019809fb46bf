import Essentials
import Foundation

/// Reads a body in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), as
/// kubectl sends its typed creates, into the JSON object the API server would have stored:
/// the magic `k8s\0`, then a `runtime.Unknown` holding the TypeMeta and the object's bytes.
///
/// Go writes every non-pointer field, zero or not; JSON leaves zero values out (`omitempty`).
/// So zero scalars and empty messages, lists and maps are dropped, except the fields that are
/// pointers in Go, where an explicit zero means something (`replicas: 0`, `backoffLimit: 0`).
struct KubernetesProtobuf {
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]
    static let contentType = "application/vnd.kubernetes.protobuf"
    /// Nesting bound: a hostile body cannot recurse the reader off the stack.
    static let maxDepth = 64

    /// Go pointer fields (`Message.field`) of the kinds kube-sim serves whose zero value
    /// differs from absence. Status fields are never here: the server owns them.
    static let meaningfulZero: Set<String> = [
        "DeploymentSpec.replicas", "DeploymentSpec.revisionHistoryLimit", "DeploymentSpec.progressDeadlineSeconds",
        "RollingUpdateDeployment.maxUnavailable", "RollingUpdateDeployment.maxSurge",
        "JobSpec.parallelism", "JobSpec.completions", "JobSpec.activeDeadlineSeconds", "JobSpec.backoffLimit", "JobSpec.backoffLimitPerIndex",
        "JobSpec.maxFailedIndexes", "JobSpec.ttlSecondsAfterFinished", "JobSpec.suspend", "JobSpec.manualSelector",
        "CronJobSpec.startingDeadlineSeconds", "CronJobSpec.suspend", "CronJobSpec.successfulJobsHistoryLimit",
        "CronJobSpec.failedJobsHistoryLimit",
        "PodSpec.terminationGracePeriodSeconds", "PodSpec.activeDeadlineSeconds", "PodSpec.automountServiceAccountToken",
        "PodSpec.shareProcessNamespace", "PodSpec.enableServiceLinks", "PodSpec.priority", "PodSpec.hostUsers", "PodSpec.setHostnameAsFQDN",
        "SecurityContext.runAsUser", "SecurityContext.runAsGroup", "SecurityContext.runAsNonRoot", "SecurityContext.privileged",
        "SecurityContext.readOnlyRootFilesystem", "SecurityContext.allowPrivilegeEscalation",
        "PodSecurityContext.runAsUser", "PodSecurityContext.runAsGroup", "PodSecurityContext.runAsNonRoot", "PodSecurityContext.fsGroup",
        "ConfigMap.immutable", "Secret.immutable", "ServiceAccount.automountServiceAccountToken",
        "SecretVolumeSource.defaultMode", "SecretVolumeSource.optional", "ConfigMapVolumeSource.defaultMode", "ConfigMapVolumeSource.optional",
        "HorizontalPodAutoscalerSpec.minReplicas", "PodDisruptionBudgetSpec.minAvailable", "PodDisruptionBudgetSpec.maxUnavailable",
        "ServiceSpec.allocateLoadBalancerNodePorts", "ScaleSpec.replicas", "DeleteOptions.gracePeriodSeconds", "DeleteOptions.orphanDependents",
    ]

    let schema: ProtobufSchema

    init(schema: ProtobufSchema = .standard) {
        self.schema = schema
    }

    func decode(_ body: [UInt8]) throws -> JSONValue {
        guard body.starts(with: Self.magic) else { throw ProtobufError.notKubernetesProtobuf }
        var apiVersion = ""
        var kind = ""
        var raw: ArraySlice<UInt8> = []
        var envelope = ProtobufReader(body[Self.magic.count...])
        while let (number, value) = try envelope.next() {
            guard case .bytes(let bytes) = value else { continue }
            switch number {
            case 1:
                var typeMeta = ProtobufReader(bytes)
                while let (field, value) = try typeMeta.next() {
                    guard case .bytes(let text) = value else { continue }
                    if field == 1 { apiVersion = String(decoding: text, as: UTF8.self) }
                    if field == 2 { kind = String(decoding: text, as: UTF8.self) }
                }
            case 2: raw = bytes
            default: continue  // contentEncoding and contentType: empty for objects
            }
        }
        guard let message = schema.message(apiVersion: apiVersion, kind: kind) ?? schema.messages["apis.meta.v1.\(kind)"] else {
            throw ProtobufError.unknownKind(apiVersion: apiVersion, kind: kind)
        }
        var object = try decodeMessage(raw, message, depth: 0)
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        return .object(object)
    }

    private func decodeMessage(_ bytes: ArraySlice<UInt8>, _ message: ProtobufSchema.Message, depth: Int) throws -> [String: JSONValue] {
        guard depth < Self.maxDepth else { throw ProtobufError.malformed("messages nested more than \(Self.maxDepth) deep") }
        var object: [String: JSONValue] = [:]
        var lists: [String: [JSONValue]] = [:]
        var maps: [String: [String: JSONValue]] = [:]
        var reader = ProtobufReader(bytes)
        while let (number, value) = try reader.next() {
            guard let field = message.fields[number] else {
                // A newer kubectl writes fields this table does not have yet; an empty one
                // (Go writes every non-pointer field) loses nothing, a set one is refused.
                if value.isEmpty { continue }
                throw ProtobufError.unknownField(message: message.name, number: number)
            }
            if case .map(let keyType, let valueType) = field.type {
                guard case .bytes(let entry) = value else { throw ProtobufError.wrongWireType(message: message.name, field: field.name) }
                let (key, item) = try decodeMapEntry(entry, key: keyType, value: valueType, in: message, field: field, depth: depth)
                maps[field.name, default: [:]][key] = item
            } else if field.repeated {
                // A packed list of scalars comes as one length-delimited field.
                if case .bytes(let packed) = value, field.type.isPackable {
                    var items = ProtobufReader(packed)
                    while !items.isAtEnd {
                        lists[field.name, default: []].append(try scalar(.varint(items.varint()), field.type, in: message, field: field))
                    }
                } else {
                    lists[field.name, default: []].append(try decodeValue(value, field.type, in: message, field: field, depth: depth))
                }
            } else {
                let decoded = try decodeValue(value, field.type, in: message, field: field, depth: depth)
                if !decoded.isZero || Self.meaningfulZero.contains("\(message.shortName).\(field.name)") { object[field.name] = decoded }
            }
        }
        for (name, items) in lists { object[name] = .array(items) }
        for (name, entries) in maps where !entries.isEmpty { object[name] = .object(entries) }
        return object
    }

    private func decodeMapEntry(
        _ bytes: ArraySlice<UInt8>, key keyType: ProtobufSchema.FieldType, value valueType: ProtobufSchema.FieldType,
        in message: ProtobufSchema.Message, field: ProtobufSchema.Field, depth: Int
    ) throws -> (String, JSONValue) {
        var key = ""
        var item: JSONValue = valueType == .string ? .string("") : .null
        var reader = ProtobufReader(bytes)
        while let (number, value) = try reader.next() {
            if number == 1 { key = try decodeValue(value, keyType, in: message, field: field, depth: depth).scalarDescription ?? "" }
            if number == 2 { item = try decodeValue(value, valueType, in: message, field: field, depth: depth) }
        }
        if item == .null, valueType == .bytes { item = .string("") }
        return (key, item)
    }

    private func decodeValue(
        _ value: ProtobufReader.Value, _ type: ProtobufSchema.FieldType, in message: ProtobufSchema.Message, field: ProtobufSchema.Field,
        depth: Int
    ) throws -> JSONValue {
        guard case .message(let name) = type else { return try scalar(value, type, in: message, field: field) }
        guard case .bytes(let bytes) = value else { throw ProtobufError.wrongWireType(message: message.name, field: field.name) }
        if let native = try NativeMessage(rawValue: name)?.decode(bytes) { return native }
        guard let nested = schema.messages[name] else { throw ProtobufError.unknownField(message: message.name, number: 0) }
        return .object(try decodeMessage(bytes, nested, depth: depth + 1))
    }

    private func scalar(
        _ value: ProtobufReader.Value, _ type: ProtobufSchema.FieldType, in message: ProtobufSchema.Message, field: ProtobufSchema.Field
    ) throws -> JSONValue {
        switch (type, value) {
        case (.string, .bytes(let bytes)):
            guard let text = String(validating: bytes, as: UTF8.self) else { throw ProtobufError.malformed("field \(field.name) is not UTF-8") }
            return .string(text)
        case (.bytes, .bytes(let bytes)): return .string(Data(bytes).base64EncodedString())
        case (.signed, .varint(let raw)): return .number(Double(Int64(bitPattern: raw)))
        case (.unsigned, .varint(let raw)): return .number(Double(raw))
        case (.bool, .varint(let raw)): return .bool(raw != 0)
        case (.double, .fixed64(let raw)): return .number(Double(bitPattern: raw))
        case (.float, .fixed32(let raw)): return .number(Double(Float(bitPattern: raw)))
        default: throw ProtobufError.wrongWireType(message: message.name, field: field.name)
        }
    }
}

extension ProtobufSchema.FieldType {
    var isPackable: Bool {
        switch self {
        case .signed, .unsigned, .bool: true
        default: false
        }
    }
}

extension JSONValue {
    /// What Go's `omitempty` leaves out.
    var isZero: Bool {
        switch self {
        case .null: true
        case .bool(let value): !value
        case .number(let value): value == 0
        case .string(let value): value.isEmpty
        case .array(let items): items.isEmpty
        case .object(let fields): fields.isEmpty
        }
    }
}
