/// An option's value on an app server's command line (argv, whose words may still hold
/// spaces when a manager's line was kept whole): `--flag V`, `--flag=V`, and a short flag
/// with its number glued on (`-w4`). The last occurrence wins, as argparse (gunicorn,
/// uvicorn) and uWSGI keep it. One reader for every check, so they agree on a setting.
enum CommandLineOption {
    static func value(_ flags: [String], in cmdline: [String]) -> String? {
        let words = cmdline.flatMap { $0.split(separator: " ").map(String.init) }
        var found: String?
        for (index, word) in words.enumerated() {
            for flag in flags {
                if word == flag, index + 1 < words.count { found = words[index + 1] }
                if word.hasPrefix(flag + "=") { found = String(word.dropFirst(flag.count + 1)) }
                if flag.count == 2, word.hasPrefix(flag), word.count > 2, word.dropFirst(2).allSatisfy(\.isNumber) {
                    found = String(word.dropFirst(2))
                }
            }
        }
        return found
    }

    static func value(_ flag: String, in cmdline: [String]) -> String? { value([flag], in: cmdline) }
}
