import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// `ComposeInterpolator` and `ComposeEnvFile` on the forms the compose specification's
/// "Interpolation" section lists (and the `.env` syntax of Compose's "env-file" page). The forms
/// docker-compose 1.29 also supports are cross-checked against it in
/// `ComposeInterpolationReferenceTests`; `:+`/`+` and nesting are not in 1.29 (it rejects
/// `${CN:+alt}` as "Invalid interpolation format" and misreads `${A:-${B:-9000}}`), so these are
/// checked here against the specification's text only.
@Suite("ComposeInterpolator")
struct ComposeInterpolatorTests {
    static let env = ComposeEnvFile.parse(Array("""
        APP_PORT=8001
        EMPTY=
        HOST=127.0.0.1

        """.utf8), path: "/srv/app/.env")

    static func run(_ text: String) -> ComposeInterpolator.Outcome {
        ComposeInterpolator.interpolate(text) { name in env.entry(name).map { ($0.value, $0.line) } }
    }

    static func value(_ text: String) -> String? {
        if case let .resolved(value, _) = run(text) { return value }
        return nil
    }

    @Test func directSubstitution() {
        #expect(Self.value("$APP_PORT:8000") == "8001:8000")
        #expect(Self.value("${APP_PORT}:8000") == "8001:8000")
        #expect(Self.value("${HOST}:${APP_PORT}:8000") == "127.0.0.1:8001:8000")
        // A name ends at the first character that cannot be in one.
        #expect(Self.value("$APP_PORT-x") == "8001-x")
    }

    @Test func defaults() {
        // ":-" takes the default when unset or empty, "-" only when unset.
        #expect(Self.value("${UNSET:-8000}") == "8000")
        #expect(Self.value("${EMPTY:-8000}") == "8000")
        #expect(Self.value("${UNSET-8000}") == "8000")
        #expect(Self.value("${EMPTY-8000}") == "")
        #expect(Self.value("${APP_PORT:-8000}") == "8001")
        #expect(Self.value("${UNSET:-}") == "")
    }

    @Test func nestedDefaults() {
        #expect(Self.value("${UNSET:-${ALSO_UNSET:-8000}}") == "8000")
        #expect(Self.value("${UNSET:-${APP_PORT}}") == "8001")
        #expect(Self.value("${APP_PORT:-${ALSO_UNSET}}") == "8001", "a default not taken is not evaluated, so its unset variable does not matter")
        #expect(Self.value("${UNSET:-$APP_PORT}:8000") == "8001:8000")
        guard case let .resolved(_, uses) = Self.run("${UNSET:-${APP_PORT}}") else { Issue.record("not resolved"); return }
        #expect(uses == [ComposeVariableUse(name: "APP_PORT", envLine: 1), ComposeVariableUse(name: "UNSET", fallback: .defaultValue)])
    }

    @Test func requiredValues() {
        #expect(Self.value("${APP_PORT:?set APP_PORT}") == "8001")
        #expect(Self.run("${UNSET:?set it}") == .unresolved(missing: ["UNSET"]))
        #expect(Self.run("${EMPTY:?set it}") == .unresolved(missing: ["EMPTY"]))
        #expect(Self.value("${EMPTY?set it}") == "", "`?` only requires the variable to be set")
        #expect(Self.run("${UNSET?set it}") == .unresolved(missing: ["UNSET"]))
    }

    @Test func alternativeValues() {
        #expect(Self.value("${APP_PORT:+9000}") == "9000")
        #expect(Self.value("${EMPTY:+9000}") == "")
        #expect(Self.value("${EMPTY+9000}") == "9000")
        #expect(Self.value("${UNSET+9000}") == "")
        #expect(Self.value("${UNSET:+${ALSO_UNSET}}") == "", "the alternative is not taken, so its variable is not needed")
    }

    @Test func dollarEscapesAndLoneDollars() {
        #expect(Self.value("$$HOME") == "$HOME")
        #expect(Self.value("$${APP_PORT}") == "${APP_PORT}")
        #expect(Self.value("echo $$$APP_PORT") == "echo $8001")
        // Not a name nor `{`: kept as written.
        #expect(Self.value("cost: 5$ or $1") == "cost: 5$ or $1")
    }

    @Test func unsetWithoutDefaultIsNotGuessed() {
        #expect(Self.run("${SOCKET_DIR}:/run/app") == .unresolved(missing: ["SOCKET_DIR"]))
        #expect(Self.run("$A:$B") == .unresolved(missing: ["A", "B"]))
    }

    @Test func invalidForms() {
        for text in ["${APP_PORT/80/90}", "${APP_PORT", "${}", "${1X}", "${A:-x"] {
            guard case .invalid = Self.run(text) else { Issue.record("\(text) should be invalid: \(Self.run(text))"); continue }
        }
    }

    @Test func origins() {
        guard case let .resolved(_, uses) = Self.run("${APP_PORT:-8000}") else { Issue.record("not resolved"); return }
        let interpolation = ComposeInterpolation(field: "ports", written: "${APP_PORT:-8000}", variables: uses)
        #expect(interpolation.describe(resolved: "8001") == "\"${APP_PORT:-8000}\" = 8001 (.env:1)")
        guard case let .resolved(_, defaults) = Self.run("${PORT:-8000}") else { Issue.record("not resolved"); return }
        #expect(ComposeInterpolation(field: "ports", written: "${PORT:-8000}", variables: defaults).describe(resolved: "8000") == "\"${PORT:-8000}\" = 8000 (default)")
        guard case let .resolved(_, empty) = Self.run("${EMPTY:-8000}") else { Issue.record("not resolved"); return }
        #expect(ComposeInterpolation(field: "ports", written: "", variables: empty).origin == "default (empty at .env:2)")
    }

    @Test func envFileSyntax() {
        let text = """
            # a comment
            PLAIN=value # inline comment
            HASH=value#kept
            export EXPORTED=/srv/app
              INDENTED = spaced
            DOUBLE="a # not a comment" # comment
            SINGLE='${PLAIN} stays'
            ESCAPED="tab\\there \\"quoted\\""
            EXPANDED=${PLAIN}-x
            EXPANDED_DEFAULT="${NOPE:-fallback}"
            MULTI="first
            second"
            AFTER=1
            not a line
            9BAD=x
            CRLF=yes\r
            PLAIN=override
            """
        let file = ComposeEnvFile.parse(Array(text.utf8), path: "/p/.env")
        #expect(file.entry("PLAIN")?.value == "override")
        #expect(file.entry("PLAIN")?.line == 17)
        #expect(file.entry("HASH")?.value == "value#kept")
        #expect(file.entry("EXPORTED")?.value == "/srv/app")
        #expect(file.entry("INDENTED")?.value == "spaced")
        #expect(file.entry("DOUBLE")?.value == "a # not a comment")
        #expect(file.entry("SINGLE")?.value == "${PLAIN} stays")
        #expect(file.entry("ESCAPED")?.value == "tab\there \"quoted\"")
        #expect(file.entry("EXPANDED")?.value == "value-x")
        #expect(file.entry("EXPANDED_DEFAULT")?.value == "fallback")
        #expect(file.entry("MULTI")?.value == "first\nsecond")
        #expect(file.entry("MULTI").map { [$0.line, $0.lastLine] } == [11, 12])
        #expect(file.entry("AFTER")?.line == 13)
        #expect(file.entry("9BAD") == nil)
        #expect(file.entry("CRLF")?.value == "yes")
        #expect(file.valueLines.contains(12))
        #expect(!file.valueLines.contains(1))
    }

    /// What a snapshot recording writes for masked lines (`NAME=[REDACTED]`, an opened quote left
    /// open): the keys, and the lines of the kept ones, must parse the same.
    @Test func maskedCopyParsesTheSameKeys() {
        let masked = """
            SECRET=[REDACTED]
            MULTI="[REDACTED]
            [REDACTED]
            APP_PORT=8001
            OTHER="kept"
            """
        let file = ComposeEnvFile.parse(Array(masked.utf8), path: "/p/.env")
        #expect(Set(file.entries.keys) == ["SECRET", "MULTI", "APP_PORT", "OTHER"])
        #expect(file.entry("APP_PORT")?.value == "8001")
        #expect(file.entry("APP_PORT")?.line == 4)
        #expect(file.entry("OTHER")?.value == "kept")
    }

    @Test func plainSettingsAreTheOnlyCommandValuesKept() {
        for kept in ["8000", "0.0.0.0:8000", "[::]:8000", "127.0.0.1", "/run/app", "unix:/run/app/app.sock"] {
            #expect(ServiceReader.isPlainSetting(kept), "\(kept)")
        }
        for masked in ["s3cr3t-token", "postgres://u:p@db/x", "abcdef0123456789abcdef", "deadbeef", ""] {
            #expect(!ServiceReader.isPlainSetting(masked), "\(masked)")
        }
    }
}
