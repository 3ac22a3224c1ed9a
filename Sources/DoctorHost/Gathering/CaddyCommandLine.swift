import DoctorFacts

/// A running Caddy's command line: `caddy run --config F --adapter A` (also
/// `--environ`, `--envfile`, `--watch`, `--resume`, and the `caddy run --pingback …`
/// child that `caddy start` leaves running). Go's flag package takes `-config` and
/// `--config`, with the value after `=` or as the next word.
struct CaddyCommandLine: Equatable {
    /// argv[0] when it is an absolute path (worth reusing for `caddy validate`).
    var executable: String?
    /// `--config` as written; `nil` when not given (Caddy then loads `Caddyfile` from its
    /// working directory, if there is one).
    var config: String?
    /// `--adapter` as written.
    var adapter: String?
    /// `--resume`: Caddy runs its last autosaved config, not the file.
    var resume: Bool

    /// The command line of a Caddy process that serves (`run`, or the child of `start`), else `nil`.
    init?(_ argv: [String]) {
        guard let program = argv.first, program.split(separator: "/").last == "caddy", argv.count >= 2,
              argv[1] == "run" || argv[1] == "start" else { return nil }
        executable = program.hasPrefix("/") ? program : nil
        config = nil
        adapter = nil
        resume = false
        var index = 2
        while index < argv.count {
            let word = argv[index]
            var name = word
            var value: String?
            if word.hasPrefix("-"), let equals = word.firstIndex(of: "=") {
                name = String(word[..<equals])
                value = String(word[word.index(after: equals)...])
            }
            let bare = name.drop { $0 == "-" }
            switch bare {
            case "config", "c", "adapter", "a", "envfile", "pingback", "pidfile":
                if value == nil, index + 1 < argv.count {
                    value = argv[index + 1]
                    index += 1
                }
                if bare == "config" || bare == "c" { config = value }
                if bare == "adapter" || bare == "a" { adapter = value }
            case "resume", "r":
                resume = true
            default:
                break
            }
            index += 1
        }
    }

    /// The adapter Caddy uses: the flag, else `caddyfile` for a file named `Caddyfile*`
    /// (what `caddy run` itself assumes), else Caddy's native JSON (also for `--resume`
    /// without `--config`: it can only run its autosave.json).
    var effectiveAdapter: String {
        if let adapter, !adapter.isEmpty { return adapter }
        if config == nil, resume { return "json" }
        let name = config?.split(separator: "/").last.map(String.init) ?? "Caddyfile"
        return name.hasPrefix("Caddyfile") || name.hasSuffix(".caddyfile") ? "caddyfile" : "json"
    }
}
