/// What `nginx -V` says about how nginx was built: its version and compiled-in paths.
public struct NginxBuildInfo: Hashable, Sendable {
    /// `1.22.1` from `nginx version: nginx/1.22.1` (also `openresty/…`).
    public var version: String?
    /// `--prefix`, as written; `nil` when not given at build time.
    public var prefix: String?
    /// `--conf-path`, as written (may be relative to the prefix).
    public var confPath: String?
    /// `--error-log-path`, as written (may be `stderr`).
    public var errorLogPath: String?
    /// `--pid-path`, as written.
    public var pidPath: String?
    /// `--http-log-path`: the default access log.
    public var httpLogPath: String?
    /// Every configure argument, unquoted.
    public var configureArguments: [String]

    /// nginx's own defaults when configure was not given a path.
    public static let defaultPrefix = "/usr/local/nginx/"

    public init(version: String? = nil, prefix: String? = nil, confPath: String? = nil,
                errorLogPath: String? = nil, pidPath: String? = nil, httpLogPath: String? = nil,
                configureArguments: [String] = []) {
        self.version = version
        self.prefix = prefix
        self.confPath = confPath
        self.errorLogPath = errorLogPath
        self.pidPath = pidPath
        self.httpLogPath = httpLogPath
        self.configureArguments = configureArguments
    }

    /// Parses the stderr (or stdout) of `nginx -V`.
    public static func parse(versionOutput: String) -> NginxBuildInfo {
        var info = NginxBuildInfo()
        for line in versionOutput.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            if let range = line.firstRange(of: "nginx version: ") {
                let product = line[range.upperBound...].split(separator: " ").first ?? ""
                info.version = product.split(separator: "/").last.map(String.init)
            } else if let range = line.firstRange(of: "configure arguments:") {
                info.configureArguments = shellWords(line[range.upperBound...])
            }
        }
        for argument in info.configureArguments {
            guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else { continue }
            let value = String(argument[argument.index(after: equals)...])
            switch argument[..<equals] {
            case "--prefix": info.prefix = value
            case "--conf-path": info.confPath = value
            case "--error-log-path": info.errorLogPath = value
            case "--pid-path": info.pidPath = value
            case "--http-log-path": info.httpLogPath = value
            default: break
            }
        }
        return info
    }

    /// The prefix nginx uses without `-p`.
    public var effectivePrefix: String { prefix ?? Self.defaultPrefix }
    /// The main configuration file nginx reads without `-c`.
    public var effectiveConfPath: String { underPrefix(confPath ?? "conf/nginx.conf") }
    /// The error log nginx uses before (and unless) the configuration sets one.
    public var effectiveErrorLogPath: String {
        let path = errorLogPath ?? "logs/error.log"
        return path == "stderr" ? path : underPrefix(path)
    }
    /// The pid file nginx uses unless the configuration sets `pid`.
    public var effectivePidPath: String { underPrefix(pidPath ?? "logs/nginx.pid") }

    private func underPrefix(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let base = effectivePrefix
        return base.hasSuffix("/") ? base + path : base + "/" + path
    }

    /// Splits like a POSIX shell for what `nginx -V` prints: spaces separate words,
    /// single and double quotes group, backslash escapes outside single quotes.
    static func shellWords(_ text: Substring) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\", open == "\"" {
                    escaped = true
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case " ", "\t":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            case "'", "\"":
                quote = character
                inWord = true
            case "\\":
                escaped = true
                inWord = true
            default:
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
