import HummingbirdTesting
import NIOCore
import TestSupport

extension HTTPReply {
    /// A reply from Hummingbird's test client.
    public init(_ response: TestResponse) {
        self.init(
            status: Int(response.status.code), bytes: response.body.readableBytesView,
            headers: response.headers.map { (name: $0.name.canonicalName, value: $0.value) }
        )
    }
}
