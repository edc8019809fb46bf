import Essentials
import ServiceKit

/// `GET /broker-config`: where clients reach the broker, every key present (`null` when
/// unknown), and where to spawn when the deploy API has a public URL.
public struct BrokerConfig: JSONAnswer, Sendable, Equatable {
    public var host: String?
    public var port: Int?
    /// `host:port`, when both are known.
    public var url: String?
    public var apiURL: String?

    public init(host: String?, port: Int?, apiURL: String?) {
        self.host = host
        self.port = port
        self.url = if let host, let port { "\(host):\(port)" } else { nil }
        self.apiURL = apiURL
    }

    enum CodingKeys: String, CodingKey {
        case host = "broker_external_host"
        case port = "broker_external_port"
        case url = "broker_external_url"
        case apiURL = "api_url"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(host, forKey: .host)
        try container.encode(port, forKey: .port)
        try container.encode(url, forKey: .url)
        try container.encode(apiURL, forKey: .apiURL)
    }
}
