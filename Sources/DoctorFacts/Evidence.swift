/// One observation that supports a finding, verifiable by hand.
public struct Evidence: Hashable, Codable, Sendable {
    /// What sort of observation this is; raw values are part of the JSON contract.
    public enum Kind: String, Codable, Sendable {
        case log, config, probe, listener, file, service, process, command
    }

    public var kind: Kind
    /// The observation itself (a log line, a directive, a probe result), already redacted.
    public var text: String
    /// Where it was observed (`path:line`, a command, an address), if anywhere.
    public var source: String?

    public init(kind: Kind, text: String, source: String? = nil) {
        self.kind = kind
        self.text = text
        self.source = source
    }
}
