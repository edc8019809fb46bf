import Foundation
import TestSupport
import Testing

@testable import Broker

@Suite("Broker framing")
struct ClientRequestTests {
    static func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("invoke: token parsed, forwarded without the token to the server identity")
    func invoke() throws {
        let parsed = try ClientRequest.parse([Self.b("cid"), [], Self.b("tok"), [1], [2]]).get()
        #expect(parsed == ClientRequest(envelope: [Self.b("cid")], token: "tok", kind: .invoke(body: [[1], [2]])))
        #expect(parsed.forwardFrames(to: Self.b("sub-1")) == [Self.b("sub-1"), Self.b("cid"), [], [1], [2]])
    }

    @Test("cancel: reason kept, or keyboard_interrupt when missing")
    func cancel() throws {
        let withReason = try ClientRequest.parse([Self.b("cid"), [], Self.b("tok"), Self.b("__REXEC_CANCEL__"), Self.b("user")]).get()
        #expect(withReason.forwardFrames(to: Self.b("s")) == [Self.b("s"), Self.b("cid"), [], Self.b("__REXEC_CANCEL__"), Self.b("user")])
        let bare = try ClientRequest.parse([Self.b("cid"), [], Self.b("tok"), Self.b("__REXEC_CANCEL__")]).get()
        #expect(bare.kind == .cancel(reason: Self.b("keyboard_interrupt")))
    }

    @Test(
        "framing errors and a non-UTF-8 token get upstream's texts, addressed to the client",
        arguments: [
            ([[UInt8]]([Array("cid".utf8), Array("tok".utf8), [1], [2]]), "Invalid request framing."),
            ([Array("cid".utf8), [], Array("tok".utf8)], "Invalid request framing."),
            ([Array("cid".utf8), [], Array("tok".utf8), [1]], "Invalid request framing."),
            ([Array("cid".utf8), [], [0xFF, 0xFE], [1], [2]], "Token is not valid utf-8."),
        ])
    func failures(frames: [[UInt8]], text: String) {
        guard case .failure(let failure) = ClientRequest.parse(frames) else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.replyText == text)
        #expect(failure.envelope == [Self.b("cid")])
    }

    @Test("pickled strings load in real Python, unicode included")
    func pickles() async throws {
        let texts = ["Token validation failed.", "Server not ready/available for user 0b7d-ünï.", ""]
        for text in texts {
            let python = try await runTool(
                ["python3", "-c", "import pickle,sys; sys.stdout.write(pickle.loads(sys.stdin.buffer.read()))"],
                stdin: Data(PickledString.encode(text))
            )
            #expect(python.status == 0)
            #expect(String(decoding: python.output, as: UTF8.self) == text)
        }
    }

    @Test("the error for a lost call loads in real Python as a stream ERROR event (a dict of strings)")
    func streamErrorPickle() async throws {
        let python = try await runTool(
            ["python3", "-c", "import pickle,sys,json; sys.stdout.write(json.dumps(pickle.loads(sys.stdin.buffer.read())))"],
            stdin: Data(PickledStreamError.encode(message: "Server für ünï gone.", details: "why"))
        )
        #expect(python.status == 0)
        let event = try JSONDecoder().decode([String: String].self, from: python.output)
        #expect(event == ["type": "ERROR", "message": "Server für ünï gone.", "details": "why"])
    }
}
