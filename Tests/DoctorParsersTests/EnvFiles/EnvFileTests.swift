import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

@Suite("EnvFile.parse")
struct EnvFileTests {
    static func names(_ contents: EnvFileContents) -> [String] { contents.keys.map(\.name) }

    @Test func plainAssignmentsCommentsAndBlankLines() {
        let text = """
        # systemd EnvironmentFile
        ; also a comment
        DJANGO_SETTINGS_MODULE=labsite.settings

        LAB_DATA_DIR=/var/lib/labsite
        """
        let contents = EnvFile.parse(text, file: "/etc/labsite.env")
        #expect(Self.names(contents) == ["DJANGO_SETTINGS_MODULE", "LAB_DATA_DIR"])
        #expect(contents.keys.map(\.line) == [3, 5])
        #expect(contents.keys.allSatisfy { !$0.isEmpty })
        #expect(contents.problems.isEmpty)
        #expect(contents.file == "/etc/labsite.env")
    }

    @Test(arguments: [EnvFileDialect.systemd, .dotenv])
    func emptyValuesInEveryForm(_ dialect: EnvFileDialect) {
        let text = "A=\nB=\"\"\nC=''\nD=   \nF=x\nH=#x\n"
        let contents = EnvFile.parse(text, file: "f", dialect: dialect)
        #expect(Self.names(contents) == ["A", "B", "C", "D", "F", "H"])
        #expect(contents.keys.map(\.isEmpty) == [true, true, true, true, false, false])
    }

    // Where the dialects differ (dotenv side checked with python-dotenv 1.2.4's dotenv_values;
    // systemd side from systemd's env-file.c state machine).
    @Test func hashAfterWhitespaceIsACommentOnlyForDotenv() {
        let text = "E=\"\" # comment after a quoted value\nG= # comment\nI=abc # c\n"
        #expect(EnvFile.parse(text, file: "f", dialect: .dotenv).keys.map(\.isEmpty) == [true, true, false])
        // systemd keeps "# comment…" as the value.
        #expect(EnvFile.parse(text, file: "f", dialect: .systemd).keys.map(\.isEmpty) == [false, false, false])
    }

    @Test func exportPrefixIsIgnoredBySystemdAndAcceptedByDotenv() {
        let text = "export DJANGO_SECRET_KEY=abc\n  SPACED  =  value\nexport\tTABBED=1\nexported=1\n"
        let dotenv = EnvFile.parse(text, file: "f", dialect: .dotenv)
        #expect(Self.names(dotenv) == ["DJANGO_SECRET_KEY", "SPACED", "TABBED", "exported"])
        #expect(dotenv.keys.allSatisfy { !$0.isEmpty })
        #expect(dotenv.problems.isEmpty)
        let systemd = EnvFile.parse(text, file: "f")
        #expect(Self.names(systemd) == ["SPACED", "exported"])
        #expect(systemd.problems == [EnvFileProblem(line: 1, reason: .exportPrefix), EnvFileProblem(line: 3, reason: .exportPrefix)])
        // So under systemd the secret key is not set at all.
        #expect(systemd.lacksSecretKey)
        #expect(!dotenv.lacksSecretKey)
    }

    @Test func backslashNewlineDiffers() {
        let text = "C=abc\\\ndef\nQ=\"\\\n\"\n"
        let systemd = EnvFile.parse(text, file: "f")
        #expect(Self.names(systemd) == ["C", "Q"])
        #expect(systemd.keys.map(\.isEmpty) == [false, true])
        #expect(systemd.keys.map(\.line) == [1, 3])
        // dotenv: no continuation, "def" is a line of its own; the quoted backslash-newline is kept.
        let dotenv = EnvFile.parse(text, file: "f", dialect: .dotenv)
        #expect(Self.names(dotenv) == ["C", "Q"])
        #expect(dotenv.problems == [EnvFileProblem(line: 2, reason: .missingEquals)])
        #expect(dotenv.keys.map(\.isEmpty) == [false, false])
    }

    @Test func quotesEscapesAndContinuationsKeepLineNumbers() {
        let text = """
        SINGLE='it''s # not a comment'
        DOUBLE="a \\"quoted\\" # value"
        MULTI="line one
        line two"
        CONT=abc\\
        def
        QCONT="\\
        "
        AFTER=1
        """
        let contents = EnvFile.parse(text, file: "f")
        #expect(Self.names(contents) == ["SINGLE", "DOUBLE", "MULTI", "CONT", "QCONT", "AFTER"])
        #expect(contents.keys.map(\.line) == [1, 2, 3, 5, 7, 9])
        // A double-quoted backslash-newline is discarded: the value is empty.
        #expect(contents.keys.map(\.isEmpty) == [false, false, false, false, true, false])
        #expect(contents.problems.isEmpty)
    }

    @Test func invalidLinesAreReportedWithLineNumbers() {
        let text = "GOOD=1\njust-a-pasted-token\n9BAD=1\nBAD-NAME=2\nOPEN=\"never closed\nX=1\n"
        let contents = EnvFile.parse(text, file: "f")
        #expect(Self.names(contents) == ["GOOD"])
        #expect(contents.problems == [
            EnvFileProblem(line: 2, reason: .missingEquals),
            EnvFileProblem(line: 3, reason: .invalidName),
            EnvFileProblem(line: 4, reason: .invalidName),
            EnvFileProblem(line: 5, reason: .unterminatedQuote),
        ])
    }

    @Test func crlfAndBOM() {
        let contents = EnvFile.parse("\u{FEFF}A=1\r\nB=\r\n", file: "f")
        #expect(Self.names(contents) == ["A", "B"])
        #expect(contents.keys.map(\.isEmpty) == [false, true])
        #expect(contents.keys.map(\.line) == [1, 2])
    }

    @Test func secretKeyAbsentEmptyOrSet() {
        #expect(EnvFile.parse("DEBUG=0\n", file: "f").lacksSecretKey)
        let empty = EnvFile.parse("DJANGO_SECRET_KEY=\"\"\n", file: "f")
        #expect(empty.lacksSecretKey)
        #expect(empty.emptySecretKeys.map(\.name) == ["DJANGO_SECRET_KEY"])
        let set = EnvFile.parse("SECRET_KEY=s3cr3t\n", file: "f")
        #expect(!set.lacksSecretKey)
        #expect(set.emptySecretKeys.isEmpty)
        // The last assignment wins.
        let overridden = EnvFile.parse("SECRET_KEY=s3cr3t\nSECRET_KEY=\n", file: "f")
        #expect(overridden.key("SECRET_KEY")?.line == 2)
        #expect(overridden.lacksSecretKey)
    }

    @Test func noValueSurvivesParsing() throws {
        let values = ["s3cr3t-value-1", "hunter2-quoted", "multi-line-secret", "continued-secret", "pasted-token-xyz"]
        let text = """
        SECRET_KEY=\(values[0])
        DB_PASSWORD="\(values[1])"
        MULTI='\(values[2])
        more'
        CONT=\(values[3])\\
        tail
        \(values[4])
        """
        let contents = EnvFile.parse(text, file: "/etc/app.env")
        #expect(contents.keys.count == 4)
        var dumped = ""
        dump(contents, to: &dumped)
        let described = String(describing: contents) + String(reflecting: contents)
        let json = String(decoding: try JSONEncoder().encode(contents), as: UTF8.self)
        for value in values + ["more", "tail"] {
            #expect(!dumped.contains(value), "dump leaks \(value)")
            #expect(!described.contains(value), "description leaks \(value)")
            #expect(!json.contains(value), "JSON leaks \(value)")
        }
    }
}
