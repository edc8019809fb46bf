/// The few commands a simulated container runs for `exec`, against the pod's fake files:
/// `cat FILE…`, `head -c N FILE`, `echo ARGS…`, `ls [DIR]`, `test -f FILE`, `true`, `false`,
/// `exit N`, and `sh -c "…"` / `bash -c "…"` wrapping one of them.
struct FakeShell {
    struct Result: Equatable {
        var stdout = ""
        var stderr = ""
        var exitCode = 0
    }

    let files: [String: String]

    func run(_ command: [String]) -> Result {
        guard let name = command.first else { return Result(stderr: "no command\n", exitCode: 126) }
        let arguments = Array(command.dropFirst())
        switch name {
        case "sh", "bash", "/bin/sh", "/bin/bash":
            guard arguments.first == "-c", arguments.count >= 2 else { return Result(stderr: "\(name): only -c is supported\n", exitCode: 2) }
            return run(Self.split(arguments[1]))
        case "cat", "/bin/cat":
            var result = Result()
            for path in arguments {
                if let contents = files[path] {
                    result.stdout += contents
                } else {
                    result.stderr += "cat: \(path): No such file or directory\n"
                    result.exitCode = 1
                }
            }
            return result
        case "head":
            guard arguments.count == 3, arguments[0] == "-c", let count = Int(arguments[1]) else {
                return Result(stderr: "head: usage: head -c N FILE\n", exitCode: 1)
            }
            guard let contents = files[arguments[2]] else {
                return Result(stderr: "head: cannot open '\(arguments[2])' for reading: No such file or directory\n", exitCode: 1)
            }
            return Result(stdout: String(decoding: Array(contents.utf8).prefix(count), as: UTF8.self))
        case "echo":
            return Result(stdout: arguments.joined(separator: " ") + "\n")
        case "ls":
            let directory = (arguments.first ?? "/").hasSuffix("/") ? (arguments.first ?? "/") : (arguments.first ?? "/") + "/"
            let names = Set(
                files.keys.filter { $0.hasPrefix(directory) }.map { String($0.dropFirst(directory.count).split(separator: "/").first ?? "") })
            return Result(stdout: names.sorted().map { $0 + "\n" }.joined())
        case "test":
            guard arguments.count == 2, arguments[0] == "-f" else { return Result(exitCode: 2) }
            return Result(exitCode: files[arguments[1]] == nil ? 1 : 0)
        case "true": return Result()
        case "false": return Result(exitCode: 1)
        case "exit": return Result(exitCode: Int(arguments.first ?? "0") ?? 2)
        default:
            return Result(stderr: "\(name): command not found\n", exitCode: 127)
        }
    }

    /// Splits a `sh -c` string on spaces, honouring simple single and double quotes.
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character? = nil
        var inWord = false
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character == " " {
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
