import Foundation
import Kubernetes
import ServiceKit

/// How long a pod lives (MergeTB's experiment-container expiration,
/// docs/specs/anchors-platforms.md §C.3): every pod gets an expiry at creation, which its
/// owner may extend; the sweep (every `BACKEND_SWEEPINTERVAL`) deletes pods past it. The
/// expiry is an annotation on the pod, so the cluster holds it and a restart loses nothing.
struct PodLifetime: Sendable, Equatable {
    /// `POD_DEFAULT_LIFETIME` (7d): a new pod's lifetime; a manifest may ask for less.
    var defaultLifetime: Duration
    /// `POD_MAX_LIFETIME` (30d): an expiry is never further than this from now.
    var maxLifetime: Duration
    /// A pod expiring within this is `expiring_soon` in `get_pods` (a day: the warning).
    var warningWindow: Duration = .seconds(86_400)

    enum Keys {
        /// The expiry, RFC 3339 in UTC.
        static let expiresAt = "sciencedata.dk/expires-at"
        /// What a manifest may ask for (`2d`, `12h`): less than the default only.
        static let lifetime = "sciencedata.dk/lifetime"
    }

    static let maxLifetime = lifetime(
        "POD_MAX_LIFETIME", default: "30d", help: "The furthest an expiry (at creation or by extend_pod) reaches from now.")
    /// Follows the maximum: 7 days, or the maximum when that is less.
    static let defaultLifetime = lifetime(
        "POD_DEFAULT_LIFETIME", default: "7d", help: "A new pod's lifetime (a manifest may ask for less); at most POD_MAX_LIFETIME."
    ).derivingDefault("7d, or POD_MAX_LIFETIME when that is less") { source in min(.seconds(7 * 86_400), try source.value(maxLifetime)) }

    static let settings = SettingGroup("Pod expiry", [defaultLifetime, maxLifetime])

    static func load(_ source: ConfigurationSource) throws -> PodLifetime {
        let maxLifetime = try source.value(Self.maxLifetime)
        let defaultLifetime = try source.value(Self.defaultLifetime)
        guard defaultLifetime <= maxLifetime else {
            throw source.refusal(Self.defaultLifetime, expected: "at most POD_MAX_LIFETIME (\(source.given(Self.maxLifetime)?.text ?? "30d"))")
        }
        return PodLifetime(defaultLifetime: defaultLifetime, maxLifetime: maxLifetime)
    }

    /// A lifetime such as `7d`, `12h` or `1d12h`, longer than zero.
    private static func lifetime(_ name: String, default value: String, help: String) -> Setting<Duration> {
        let parse: @Sendable (String) throws -> Duration = { text in
            guard let duration = PodLifetime.parse(text.trimmingCharacters(in: .whitespaces)), duration > .zero else {
                throw SettingRefusal(expected: "a lifetime such as 7d, 12h, 90m or 1d12h")
            }
            return duration
        }
        return Setting(name, help: help, accepts: "lifetime (7d, 12h, 90m, 1d12h)", defaultDescription: value, parse: parse) { _ in
            try parse(value)
        }.blankMeansDefault()
    }

    /// `30d`, `12h`, `90m`, `45s` and sums of them (`1d12h`), as `mrg` takes them.
    static func parse(_ text: String) -> Duration? {
        var total = Duration.zero
        var digits = ""
        var any = false
        for character in text.trimmingCharacters(in: .whitespaces) {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            guard let amount = Int64(digits), amount < 1_000_000 else { return nil }
            switch character {
            case "d": total += .seconds(amount * 86_400)
            case "h": total += .seconds(amount * 3_600)
            case "m": total += .seconds(amount * 60)
            case "s": total += .seconds(amount)
            default: return nil
            }
            digits = ""
            any = true
        }
        return any && digits.isEmpty ? total : nil
    }

    /// A new pod's expiry: the default lifetime, or less if its manifest asks for less.
    func expiry(forNewPodAskingFor asked: String?, now: Date) -> Date {
        let requested = asked.flatMap(Self.parse).map { min($0, defaultLifetime) } ?? defaultLifetime
        return now.addingTimeInterval(requested.seconds)
    }

    static func expiresAt(_ pod: UnstructuredObject) -> Date? {
        pod.annotations[Keys.expiresAt].flatMap(KubernetesTime.parse)
    }

    /// What an extension by `duration` makes the expiry: now plus it, at most now plus the
    /// maximum lifetime, and never earlier than it already was (extending does not shorten).
    func extended(from current: Date, by duration: Duration, now: Date) -> Date {
        max(current, now.addingTimeInterval(min(duration, maxLifetime).seconds))
    }

    func isExpiringSoon(_ expiry: Date, now: Date) -> Bool {
        expiry > now && expiry.timeIntervalSince(now) <= warningWindow.seconds
    }
}
