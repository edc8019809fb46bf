import Essentials
import Foundation
import TestFixtures
import TestSupport
import Testing

@testable import KubeSim

/// Reading Kubernetes protobuf bodies, from bodies kubectl 1.32 really sent (captured from
/// `kubectl create namespace x` and `kubectl create deployment d1 --image=nginx --replicas=2
/// --port=80`), and from broken ones: every failure is an error, never a crash.
@Suite("Kubernetes protobuf bodies")
struct KubernetesProtobufTests {
    static let namespace = KubernetesProtobufSamples.namespace
    static let deployment = KubernetesProtobufSamples.deployment
    static let secret = KubernetesProtobufSamples.secret

    @Test("kubectl's namespace, deployment and secret read as the JSON the API server stores, zero values left out")
    func kubectlBodies() throws {
        let reader = KubernetesProtobuf()
        #expect(try reader.decode(Self.namespace) == ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "x"]])
        let deployment = try reader.decode(Self.deployment)
        #expect(
            deployment == [
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": ["name": "d1", "labels": ["app": "d1"]],
                "spec": [
                    "replicas": 2, "selector": ["matchLabels": ["app": "d1"]],
                    "template": [
                        "metadata": ["labels": ["app": "d1"]],
                        "spec": ["containers": [["name": "nginx", "image": "nginx", "ports": [["containerPort": 80]]]]],
                    ],
                ],
            ])
        // Secret data is bytes: base64 in JSON.
        #expect(try reader.decode(Self.secret)["data"] == ["a": "Yg=="])
    }

    @Test("every truncation of a real body is an error, not a crash or a partial object")
    func truncated() {
        let reader = KubernetesProtobuf()
        for length in 0..<Self.deployment.count {
            let prefix = Array(Self.deployment.prefix(length))
            if let decoded = try? reader.decode(prefix) {
                // A cut exactly between two top-level fields is a whole (shorter) message.
                #expect(decoded["kind"] == "Deployment", "length \(length)")
            }
        }
    }

    @Test("hostile bodies: random bytes, deep nesting, overlong varints, unknown fields and kinds")
    func hostile() throws {
        let reader = KubernetesProtobuf()
        var generator = SeededGenerator(seed: 20_261_203)
        for _ in 0..<2000 {
            var body = KubernetesProtobuf.magic + Self.deployment.dropFirst(4)
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                body[Int.random(in: 4..<body.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? reader.decode(body)
        }
        #expect(throws: ProtobufError.notKubernetesProtobuf) { try reader.decode(Array("{}".utf8)) }
        let overlong = KubernetesProtobuf.magic + [0x08] + [UInt8](repeating: 0xFF, count: 11)
        #expect(throws: ProtobufError.self) { try reader.decode(overlong) }
        // A field number ConfigMap does not have.
        let unknownField =
            KubernetesProtobuf.magic + [0x0A, 0x0F, 0x0A, 0x02] + Array("v1".utf8) + [0x12, 0x09] + Array("ConfigMap".utf8)
            + [0x12, 0x02, 0x48, 0x01]
        #expect(throws: ProtobufError.unknownField(message: "core.v1.ConfigMap", number: 9)) { try reader.decode(unknownField) }
        // The same field empty, as a newer kubectl writes a field it does not set: skipped.
        var emptyField = unknownField
        emptyField[emptyField.count - 1] = 0
        #expect(try reader.decode(emptyField) == ["apiVersion": "v1", "kind": "ConfigMap"])
        let unknownKind = KubernetesProtobuf.magic + [0x0A, 0x0B, 0x0A, 0x02] + Array("v1".utf8) + [0x12, 0x05] + Array("Widge".utf8)
        #expect(throws: ProtobufError.unknownKind(apiVersion: "v1", kind: "Widge")) { try reader.decode(unknownKind) }
        // 200 levels of length-delimited nesting: refused where the schema ends, not recursed.
        var nested: [UInt8] = []
        for _ in 0..<200 { nested = [0x1A] + Self.varint(nested.count) + nested }
        let deep =
            KubernetesProtobuf.magic + [0x0A, 0x15, 0x0A, 0x07] + Array("apps/v1".utf8) + [0x12, 0x0A] + Array("Deployment".utf8)
            + [0x12] + Self.varint(nested.count) + nested
        #expect(throws: ProtobufError.self) { try reader.decode(deep) }
    }

    static func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value)
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }
}
