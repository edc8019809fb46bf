import Essentials
import Foundation
import Testing

@Suite("Time-ordered UUIDs")
struct TimeOrderedUUIDTests {
    @Test("version 7, RFC 9562 variant, the time in the first 48 bits, and sorted as made")
    func layout() {
        let instant = Date(timeIntervalSince1970: 1_764_633_600.123)
        let text = UUID.timeOrdered(at: instant).uuidString.lowercased()
        let hex = text.replacingOccurrences(of: "-", with: "")
        #expect(UInt64(hex.prefix(12), radix: 16) == 1_764_633_600_123)
        #expect(hex.dropFirst(12).first == "7")
        #expect(["8", "9", "a", "b"].contains(hex.dropFirst(16).first.map(String.init) ?? ""))
        // Ids of different milliseconds sort by time (within one millisecond, by their random bits).
        let later = (0..<50).map { UUID.timeOrdered(at: instant.addingTimeInterval(Double($0) * 0.005)).uuidString }
        #expect(later == later.sorted())
        #expect(Set((0..<1000).map { _ in UUID.timeOrdered(at: instant) }).count == 1000)
    }
}
