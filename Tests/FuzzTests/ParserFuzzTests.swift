import AccessPolicy
import Essentials
import Foundation
import TestFixtures
import Testing

@testable import Broker
@testable import DeployAPI
@testable import KubeSim

/// Every hand-written parser under mutation fuzzing (``Fuzzer``): no input crashes it, and
/// what it accepts holds its invariant (reads back the same, or yields a sane answer).
@Suite("Parsers under fuzzing")
struct ParserFuzzTests {
    static let repository = Fuzzer.root.deletingLastPathComponent().deletingLastPathComponent()

    @Test("the JSON reader: accepted documents encode and read back equal")
    func json() throws {
        var fuzzer = Fuzzer(
            target: "json",
            seeds: [
                #"{"a": [1, -2.5e3, true, false, null, "x\u00e9\n\"\\"], "b": {}}"#, "[]", "0", #""\ud83d\ude00""#,
                #"{"kind": "Pod", "metadata": {"name": "p", "labels": {"app": "web"}}, "spec": {"containers": [{"image": "nginx"}]}}"#,
            ],
            dictionary: ["{", "}", "[", "]", ",", ":", "\"", "\\u", "\\ud800", "1e308", "-0", "0.", "true", "null", " ", "\u{0}"])
        try fuzzer.run { input in
            guard let value = try? JSONValue.decode(Data(input)) else { return }
            let encoded = try JSONEncoder().encode(value)
            #expect(try JSONValue.decode(encoded) == value, "\(String(decoding: input, as: UTF8.self))")
        }
    }

    @Test("the requirements validator: accepted sets validate again from their own lines")
    func requirements() {
        var fuzzer = Fuzzer(
            target: "requirements",
            seeds: [
                "python==3.11\nnumpy>=1.26\npandas==2.2.3", "python==3.12\nrequests[socks]>=2.0; python_version >= \"3.8\"",
                "# comment\n\npython==3.11\nscipy~=1.11.0", "python==3.11\nfoo!=1.0,<2",
            ],
            dictionary: ["python", "==", ">=", "~=", "!=", ";", "[", "]", ",", "\n", "#", "@", "://", " and ", "python_version", "\"", "."])
        fuzzer.run { input in
            guard let accepted = try? RequirementSet(lines: [String(decoding: input, as: UTF8.self)]) else { return }
            let again = try? RequirementSet(lines: accepted.lines)
            #expect(again?.lines == accepted.lines, "\(String(decoding: input, as: UTF8.self))")
        }
    }

    @Test("the access policy loader: any text is a policy or a PolicyError, never a crash")
    func policy() throws {
        let shipped = try String(contentsOf: Self.repository.appendingPathComponent("config/policy.yaml"), encoding: .utf8)
        var fuzzer = Fuzzer(
            target: "policy", seeds: [shipped, "catalog:\n  public:\n    read: [anyone]\n"],
            dictionary: [":", "\n  ", "- ", "[", "]", "{", "}", "&a", "*a", "!!str", "anyone", "admin", "owner", "private", "read", "'"])
        let parser = PolicyParser(file: "fuzz.yaml")
        fuzzer.run { input in
            do {
                _ = try parser.parse(String(decoding: input, as: UTF8.self))
            } catch {
                #expect(error is PolicyError, "\(error)")
            }
        }
    }

    @Test("the cron parser: accepted schedules find a later run, or none")
    func cron() {
        let start = Date(timeIntervalSince1970: 1_796_256_000)
        var fuzzer = Fuzzer(
            target: "cron", seeds: ["*/5 * * * *", "0 3 * * mon-fri", "30 2 1 jan,JUL *", "@hourly", "0 0 29 2 *", "5/20 9-17/4 ? * 7"],
            dictionary: ["*", "/", "-", ",", "?", " ", "@", "60", "0", "31", "sun", "dec", "L", "#"])
        fuzzer.run { input in
            guard let schedule = try? CronSchedule(String(decoding: input, as: UTF8.self)) else { return }
            if let next = schedule.next(after: start) {
                #expect(next > start, "\(String(decoding: input, as: UTF8.self))")
            }
        }
    }

    @Test("the broker's frame decoders: any frames are a request, a refusal or dropped")
    func zeroMQFrames() {
        // 0xFF separates frames, so mutations move frame boundaries too.
        var fuzzer = Fuzzer(
            target: "zmq-frames",
            seeds: [
                "client\u{FF}\u{FF}token\u{FF}fn\u{FF}args", "client\u{FF}\u{FF}token\u{FF}__REXEC_CANCEL__\u{FF}keyboard_interrupt",
                "alice\u{FF}\u{FF}__REXEC_HEARTBEAT__\u{FF}instance", "alice\u{FF}client\u{FF}\u{FF}payload", "STATISTICS", "TERMINATE\u{FF}secret",
            ],
            dictionary: ["\u{FF}", "\u{FF}\u{FF}", "__REXEC_CANCEL__", "__REXEC_HEARTBEAT__", "__REXEC_GOODBYE__", "\u{C3}", "TERMINATE "])
        fuzzer.run { input in
            let frames = input.split(separator: 0xFF, omittingEmptySubsequences: false).map(Array.init)
            if case .success(let request) = ClientRequest.parse(frames) {
                let forwarded = request.forwardFrames(to: Array("alice".utf8))
                #expect(forwarded.first == Array("alice".utf8) && forwarded.contains([]))
                #expect(!request.envelope.isEmpty || frames.first?.isEmpty == true)
            }
            if case .reply(_, let clientFrames) = ServerMessage.parse(frames) {
                #expect(!clientFrames.isEmpty && clientFrames.contains([]))
            }
            _ = ControlCommand.parse(frames)
        }
    }

    @Test("kube-sim's Kubernetes protobuf reader: any body is an object or a ProtobufError")
    func kubernetesProtobuf() {
        let reader = KubernetesProtobuf()
        var fuzzer = Fuzzer(
            target: "kubernetes-protobuf", seeds: [], dictionary: ["k8s\u{0}", "\u{0A}", "\u{12}", "\u{1A}", "\u{80}", "\u{FF}\u{FF}\u{FF}"])
        fuzzer.corpus = [KubernetesProtobufSamples.namespace, KubernetesProtobufSamples.deployment]
        fuzzer.run { input in
            do {
                let object = try reader.decode(input)
                #expect(object["kind"]?.stringValue?.isEmpty == false)
            } catch {
                #expect(error is ProtobufError)
            }
        }
    }
}
