/// The options of a running nginx master, from its command line.
///
/// nginx rewrites its argv into one title string (`nginx: master process
/// /usr/sbin/nginx -c /etc/nginx/nginx.conf`), so `/proc/PID/cmdline` usually holds a
/// single space-joined element; both that and a normal argv are accepted.
public struct NginxCommandLine: Hashable, Sendable {
    /// The program as started (`/usr/sbin/nginx`), when known.
    public var executable: String?
    /// `-p`: the prefix relative paths resolve against.
    public var prefix: String?
    /// `-c`: the main configuration file.
    public var configFile: String?
    /// `-e`: the error log used before the configuration is read (`stderr` allowed).
    public var errorLog: String?
    /// `-g`: global directives (`daemon off; master_process on;`).
    public var globals: String?

    public init(executable: String? = nil, prefix: String? = nil, configFile: String? = nil,
                errorLog: String? = nil, globals: String? = nil) {
        self.executable = executable
        self.prefix = prefix
        self.configFile = configFile
        self.errorLog = errorLog
        self.globals = globals
    }

    /// Reads options the way nginx's `ngx_get_options` does: flags may be grouped
    /// (`-tq`), and a value may be attached (`-p/srv/`) or the next argument.
    public static func parse(_ argv: [String]) -> NginxCommandLine {
        var arguments = argv.filter { !$0.isEmpty }
        // The title form, or any argv squashed into one string, is split on spaces; a
        // `-g` value with spaces is then reassembled below.
        let squashed = arguments.first?.hasPrefix("nginx: ") == true
            || (arguments.count == 1 && arguments[0].contains(" -"))
        if squashed {
            arguments = arguments.joined(separator: " ").split(separator: " ").map(String.init)
            if arguments.first == "nginx:" {
                arguments.removeFirst()
                if arguments.first == "master" || arguments.first == "worker" || arguments.first == "cache" {
                    arguments.removeFirst()
                }
                if arguments.first == "process" { arguments.removeFirst() }
            }
        }
        var result = NginxCommandLine()
        guard let program = arguments.first else { return result }
        result.executable = program

        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-") else { continue }
            var flags = Substring(argument.dropFirst())
            while let flag = flags.first {
                flags = flags.dropFirst()
                guard "pcegs".contains(flag) else { continue }
                var value: String?
                if !flags.isEmpty {
                    value = String(flags)
                } else if index < arguments.count {
                    value = arguments[index]
                    index += 1
                }
                if flag == "g", squashed, var joined = value {
                    while index < arguments.count, !isOption(arguments[index]) {
                        joined += " " + arguments[index]
                        index += 1
                    }
                    value = joined
                }
                switch flag {
                case "p": result.prefix = value
                case "c": result.configFile = value
                case "e": result.errorLog = value
                case "g": result.globals = value
                default: break
                }
                break
            }
        }
        return result
    }

    private static func isOption(_ word: String) -> Bool {
        guard word.hasPrefix("-"), let flag = word.dropFirst().first else { return false }
        return "?hvVtTqspceg".contains(flag)
    }
}
