/// One token of Caddyfile syntax, with where it came from.
struct CaddyToken: Hashable, Sendable {
    /// The text after quotes, escapes and env-placeholder defaults are applied.
    var text: String
    /// The text before env placeholders were substituted (same as `text` when it has none),
    /// so a finding can show `{$APP_ADDR}` as the person wrote it.
    var written: String
    var file: String
    /// Caddy's line: where the token starts, counting a `\`-continued line as the line it
    /// continues (so the arguments it carries stay on their directive's line).
    var line: Int
    /// Line breaks inside the token (a quoted string or heredoc spanning lines); the next
    /// token on the same line as this one ends starts at `line + lineBreaks`.
    var lineBreaks: Int = 0
    /// Quoted, backticked or heredoc: `{` and `}` in it are text, not braces.
    var quoted = false
    /// Which expansion (main file, one import of a file, one import of a snippet) produced
    /// it. Tokens of different expansions are never on the same line, even when a snippet
    /// imported twice repeats its own line numbers.
    var origin = 0

    var isOpenBrace: Bool { !quoted && text == "{" }
    var isCloseBrace: Bool { !quoted && text == "}" }

    /// Whether `next` starts a new line after this token (Caddy's `isNewLine`).
    func isFollowedOnNewLine(by next: CaddyToken) -> Bool {
        if next.origin != origin || next.file != file { return true }
        return line + lineBreaks < next.line
    }
}
