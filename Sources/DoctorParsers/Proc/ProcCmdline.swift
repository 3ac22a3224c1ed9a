/// Parser for `/proc/PID/cmdline`.
public enum ProcCmdline {
    /// Splits the NUL-separated arguments.
    ///
    /// Programs that rewrite their argv (`nginx: master process nginx -c …`,
    /// `gunicorn: master [app]`) leave one string with spaces followed by NUL padding;
    /// that string is kept as given and the trailing empty arguments the padding
    /// produces are dropped. Kernel threads have an empty cmdline and get `[]`.
    public static func parse(_ bytes: [UInt8]) -> [String] {
        var arguments = bytes.split(separator: 0, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        while let last = arguments.last, last.isEmpty { arguments.removeLast() }
        return arguments
    }
}
