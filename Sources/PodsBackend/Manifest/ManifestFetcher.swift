import AsyncHTTPClient
import Essentials
import Foundation
import Kubernetes
import NIOCore

/// Fetches a pod manifest from `yaml_url` (docs/specs/pods-backend.md §2.3.2 steps 3-5), with what
/// upstream lacked (docs/specs/pods-backend.md W2, W18): the whitelist is anchored at the start of the URL and checked
/// again for every redirect, the whole fetch has a deadline, and the body a size cap.
struct ManifestFetcher: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Anchored: upstream's unanchored search let "https://evil/?https://raw.github…" pass.
    let whitelistPattern: String
    let settings: PodsSettings.ManifestSettings
    let client: HTTPClient

    init(whitelistPattern: String, settings: PodsSettings.ManifestSettings, client: HTTPClient = UpstreamHTTPClient.shared) throws {
        _ = try Regex("^(?:\(whitelistPattern))")
        self.whitelistPattern = whitelistPattern
        self.settings = settings
        self.client = client
    }

    func isAllowed(_ url: String) -> Bool {
        // Regex is not Sendable; compiling the short pattern per fetch costs microseconds.
        guard let whitelist = try? Regex("^(?:\(whitelistPattern))") else { return false }
        return (try? whitelist.prefixMatch(in: url)) != nil
    }

    /// The manifest as JSON (YAML or JSON accepted).
    func fetch(_ url: String) async throws -> JSONValue {
        let text = try await download(url)
        return try Self.decode(text)
    }

    func download(_ url: String) async throws -> String {
        guard isAllowed(url) else { throw Failure(description: "yaml_url is not an allowed manifest location") }
        do {
            return try await withDeadline(settings.timeout) { try await follow(url) }
        } catch is DeadlineExceeded {
            throw Failure(description: "fetching the manifest took longer than \(settings.timeout)")
        }
    }

    private func follow(_ start: String) async throws -> String {
        var url = start
        for _ in 0...settings.maxRedirects {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "application/yaml, text/plain, */*")
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: .milliseconds(Int64(settings.timeout.seconds * 1000)))
            } catch {
                throw Failure(description: "fetching the manifest failed: \(error)")
            }
            if (300...399).contains(Int(response.status.code)), let location = response.headers.first(name: "Location") {
                guard let next = URL(string: location, relativeTo: URL(string: url))?.absoluteString, isAllowed(next) else {
                    throw Failure(description: "the manifest URL redirects outside the allowed locations")
                }
                url = next
                continue
            }
            guard response.status == .ok else { throw Failure(description: "fetching the manifest answered HTTP \(response.status.code)") }
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: settings.maxBytes)
            } catch {
                throw Failure(description: "the manifest is larger than \(settings.maxBytes) bytes")
            }
            return String(buffer: body)
        }
        throw Failure(description: "the manifest URL redirects more than \(settings.maxRedirects) times")
    }

    /// A Pod manifest in YAML (or JSON, a subset): one document, `apiVersion: v1`, `kind: Pod`.
    static func decode(_ text: String) throws -> JSONValue {
        let value: JSONValue
        do {
            value = try YAMLDocument.decodeSingle(text)
        } catch {
            throw Failure(description: "the manifest is not valid YAML: \(error)")
        }
        guard value["apiVersion"]?.stringValue == "v1", value["kind"]?.stringValue == "Pod" else {
            throw Failure(description: "the manifest must be a single object with apiVersion v1 and kind Pod")
        }
        guard value["spec"]?["containers"]?.arrayValue?.isEmpty == false else {
            throw Failure(description: "the manifest's pod has no containers")
        }
        return value
    }
}
