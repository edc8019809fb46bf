/// A setting that cannot be used. Its description is the one line printed at start-up:
/// it names the variable, shows the rejected value and says what is allowed.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    public let variable: String
    public let value: String
    public let expected: String

    public init(variable: String, value: String, expected: String) {
        self.variable = variable
        self.value = value
        self.expected = expected
    }

    public var description: String {
        "invalid value '\(value)' for \(variable): expected \(expected)"
    }
}
