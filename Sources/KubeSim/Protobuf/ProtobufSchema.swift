/// The Kubernetes protobuf messages kube-sim can read, from ``table`` (generated from kubectl's
/// own message descriptors by scripts/kube-sim/protobuf-schema.py): field numbers, the JSON
/// names the API uses for them, and their types.
struct ProtobufSchema: Sendable {
    indirect enum FieldType: Sendable, Equatable {
        case string, bytes, signed, unsigned, bool, double, float
        case message(String)
        case map(key: FieldType, value: FieldType)
    }

    struct Field: Sendable {
        var name: String
        var type: FieldType
        var repeated: Bool
    }

    struct Message: Sendable {
        var name: String
        var fields: [Int: Field]

        /// `DeploymentSpec` of `apps.v1.DeploymentSpec`.
        var shortName: Substring { name.split(separator: ".").last ?? Substring(name) }
    }

    let messages: [String: Message]

    static let standard = ProtobufSchema(table: table)

    init(table: String) {
        var messages: [String: Message] = [:]
        for line in table.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let name = words.first.map(String.init) else { continue }
            var fields: [Int: Field] = [:]
            for word in words.dropFirst() {
                let parts = word.split(separator: ":", maxSplits: 2).map(String.init)
                guard parts.count == 3, let number = Int(parts[1]) else { continue }
                let repeated = parts[2].hasPrefix("*")
                fields[number] = Field(name: parts[0], type: Self.type(repeated ? String(parts[2].dropFirst()) : parts[2]), repeated: repeated)
            }
            messages[name] = Message(name: name, fields: fields)
        }
        self.messages = messages
    }

    /// `s`, `{s:b}`, `core.v1.Container`… as in the table.
    static func type(_ text: String) -> FieldType {
        switch text {
        case "s": return .string
        case "b": return .bytes
        case "i": return .signed
        case "u": return .unsigned
        case "B": return .bool
        case "d": return .double
        case "f": return .float
        default:
            if text.hasPrefix("{"), text.hasSuffix("}"), let colon = text.firstIndex(of: ":") {
                return .map(
                    key: type(String(text[text.index(after: text.startIndex)..<colon])),
                    value: type(String(text[text.index(after: colon)..<text.index(before: text.endIndex)])))
            }
            return .message(text)
        }
    }

    /// The message of a kind: `apps/v1` `Deployment` is `apps.v1.Deployment`, `v1` `Pod` is
    /// `core.v1.Pod`, `rbac.authorization.k8s.io/v1` `Role` is `rbac.v1.Role`.
    func message(apiVersion: String, kind: String) -> Message? {
        let parts = apiVersion.split(separator: "/")
        let package: String
        switch parts.count {
        case 1: package = "core.\(parts[0])"
        case 2: package = "\(parts[0].split(separator: ".").first ?? parts[0]).\(parts[1])"
        default: return nil
        }
        return messages["\(package).\(kind)"]
    }
}
