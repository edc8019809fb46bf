import Essentials
import Foundation
import Hummingbird
import ServiceLifecycle

/// Writes a watch as the API server does: one JSON event per line, plus BOOKMARK events when
/// asked for, until the client leaves, the timeout passes or the server drops the watch.
struct WatchStream: Sendable {
    let events: AsyncStream<WatchEvent>
    let store: ObjectStore
    let type: ResourceType
    let bookmarkInterval: Duration?
    let timeout: Duration?
    let asTable: Bool

    func write(to writer: inout any ResponseBodyWriter) async throws {
        let (lines, output) = AsyncStream.makeStream(of: JSONValue.self)
        let pump = Task {
            for await event in events { output.yield(render(event)) }
            output.finish()
        }
        let ticker = bookmarkInterval.map { interval in
            Task {
                while !Task.isCancelled {
                    try await Sleep.for(interval)
                    output.yield(bookmark(revision: await store.revision))
                }
            }
        }
        let deadline = timeout.map { timeout in
            Task {
                try await Sleep.for(timeout)
                output.finish()
            }
        }
        defer {
            pump.cancel()
            ticker?.cancel()
            deadline?.cancel()
        }
        // The server waits for open responses when it shuts down; a watch ends then, as the
        // API server's do, and clients re-watch from their last resourceVersion.
        try await withGracefulShutdownHandler {
            for await line in lines {
                var data = line.encoded()
                data.append(UInt8(ascii: "\n"))
                try await writer.write(ByteBuffer(data: data))
            }
        } onGracefulShutdown: {
            output.finish()
        }
        try await writer.finish(nil)
    }

    private func render(_ event: WatchEvent) -> JSONValue {
        guard asTable, event.kind != .error else { return event.json }
        let table = TableRenderer.table(type: type, items: [event.object], metadata: ["resourceVersion": .string(String(event.revision))])
        return ["type": .string(event.kind.rawValue), "object": table]
    }

    private func bookmark(revision: Int) -> JSONValue {
        [
            "type": "BOOKMARK",
            "object": [
                "kind": .string(type.kind), "apiVersion": .string(type.apiVersion), "metadata": ["resourceVersion": .string(String(revision))],
            ],
        ]
    }
}
