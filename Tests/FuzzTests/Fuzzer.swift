import Foundation
import TestSupport
import Testing

/// A small mutation fuzzer for the hand-written parsers: inputs grow from a seed corpus by
/// byte flips, insertions, deletions, duplications, splices and tokens from a per-target
/// dictionary, reproducibly from one seed.
///
/// Budget: `FUZZ_SECONDS` per target (`make fuzz`), else `FUZZ_ITERATIONS` (default 2,000,
/// what `make test` runs). With `FUZZ_SECONDS` set, each input is written to
/// `.build/fuzz/<target>.current` before it runs, so an input that crashes the process is
/// left behind; copy it into `Tests/FuzzTests/Corpus/<target>/` and it is replayed on every
/// run from then on (as are the corpus files the targets start from).
struct Fuzzer {
    let target: String
    var corpus: [[UInt8]]
    let dictionary: [[UInt8]]
    var generator: SeededGenerator

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    init(target: String, seeds: [String], dictionary: [String], seed: UInt64 = 20_261_203) {
        self.target = target
        let saved =
            (try? FileManager.default.contentsOfDirectory(
                at: Self.root.appendingPathComponent("Corpus/\(target)"), includingPropertiesForKeys: nil)) ?? []
        corpus = seeds.map { Array($0.utf8) } + saved.sorted { $0.path < $1.path }.compactMap { try? Array(Data(contentsOf: $0)) }
        self.dictionary = dictionary.map { Array($0.utf8) }
        generator = SeededGenerator(seed: seed)
    }

    static var seconds: Double? { ProcessInfo.processInfo.environment["FUZZ_SECONDS"].flatMap(Double.init) }
    static var iterations: Int { ProcessInfo.processInfo.environment["FUZZ_ITERATIONS"].flatMap(Int.init) ?? 2_000 }

    /// Runs `check` on the corpus, then on mutants until the budget is spent. `check` records
    /// its own findings (with `#expect`); the count of inputs tried is returned.
    @discardableResult
    mutating func run(_ check: ([UInt8]) throws -> Void) rethrows -> Int {
        let watchFile = Self.seconds == nil ? nil : Self.watchFile(target)
        for input in corpus {
            try check(input)
        }
        let deadline = Self.seconds.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
        var tried = corpus.count
        while deadline.map({ ContinuousClock.now < $0 }) ?? (tried < Self.iterations + corpus.count) {
            let input = mutant()
            if let watchFile { try? Data(input).write(to: watchFile) }
            try check(input)
            tried += 1
        }
        if Self.seconds != nil { print("fuzz \(target): \(tried) inputs") }
        return tried
    }

    static func watchFile(_ target: String) -> URL {
        let directory = root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/fuzz")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("\(target).current")
    }

    mutating func mutant() -> [UInt8] {
        var input = corpus.randomElement(using: &generator) ?? []
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            switch Int.random(in: 0..<7, using: &generator) {
            case 0 where !input.isEmpty:
                input[Int.random(in: 0..<input.count, using: &generator)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
            case 1:
                input.insert(UInt8.random(in: 0...255, using: &generator), at: Int.random(in: 0...input.count, using: &generator))
            case 2 where !input.isEmpty:
                let start = Int.random(in: 0..<input.count, using: &generator)
                input.removeSubrange(start..<min(input.count, start + Int.random(in: 1...8, using: &generator)))
            case 3 where !input.isEmpty:
                let start = Int.random(in: 0..<input.count, using: &generator)
                let piece = input[start..<min(input.count, start + Int.random(in: 1...16, using: &generator))]
                input.insert(contentsOf: Array(piece), at: Int.random(in: 0...input.count, using: &generator))
            case 4:
                let other = corpus.randomElement(using: &generator) ?? []
                let cut = Int.random(in: 0...input.count, using: &generator)
                input = Array(input.prefix(cut)) + Array(other.suffix(Int.random(in: 0...other.count, using: &generator)))
            default:
                if let token = dictionary.randomElement(using: &generator) {
                    input.insert(contentsOf: token, at: Int.random(in: 0...input.count, using: &generator))
                }
            }
        }
        // Bounded, so one target cannot eat the budget on ever longer inputs.
        return Array(input.prefix(4096))
    }
}
