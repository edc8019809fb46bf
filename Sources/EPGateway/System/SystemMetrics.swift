import Essentials
import Foundation

/// CPU, memory and disk figures for `GET /status/metrics`, in upstream's formats
/// (`"12.3%"`, `"0.7GB/23.5GB"`), read from /proc and statvfs.
actor SystemMetrics {
    private struct CPUSample {
        let busy: UInt64
        let total: UInt64
        let at: ContinuousClock.Instant
    }

    private var last: CPUSample?

    /// Busy share of all CPUs since the previous call, or over a short sample when there
    /// was none recently (upstream blocked a whole second per call).
    func cpu() async -> String {
        var previous = last
        if previous == nil || ContinuousClock.now - (previous?.at ?? .now) < .milliseconds(200) {
            previous = Self.sampleCPU()
            try? await Sleep.for(.milliseconds(200))
        }
        guard let before = previous, let now = Self.sampleCPU() else { return "unavailable" }
        last = now
        let total = now.total &- before.total
        guard total > 0 else { return "0.0%" }
        return String(format: "%.1f%%", Double(now.busy &- before.busy) * 100 / Double(total))
    }

    nonisolated func memory() -> String {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return "unavailable" }
        func kib(_ key: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(key + ":") }
                .flatMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first }.flatMap { Double($0) }
        }
        guard let total = kib("MemTotal"), let available = kib("MemAvailable") else { return "unavailable" }
        return Self.gigabytes(used: (total - available) * 1024, total: total * 1024)
    }

    nonisolated func disk(path: String = "/") -> String {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return "unavailable" }
        let total = Double(stats.f_blocks) * Double(stats.f_frsize)
        let free = Double(stats.f_bfree) * Double(stats.f_frsize)
        return Self.gigabytes(used: total - free, total: total)
    }

    static func gigabytes(used: Double, total: Double) -> String {
        String(format: "%.1fGB/%.1fGB", used / 1_073_741_824, total / 1_073_741_824)
    }

    private static func sampleCPU() -> CPUSample? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 4 else { return nil }
        let idle = fields[3] + (fields.count > 4 ? fields[4] : 0)
        let total = fields.reduce(0, +)
        return CPUSample(busy: total - idle, total: total, at: .now)
    }
}
