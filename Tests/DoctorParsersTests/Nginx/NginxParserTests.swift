import DoctorFacts
@testable import DoctorParsers
import Testing

@Suite("nginx lexer and parser")
struct NginxParserTests {
    private func parse(_ text: String, file: String = "/t.conf") -> NginxParseResult {
        NginxParser.parse(Array(text.utf8), file: file)
    }

    @Test func simpleDirectivesAndBlocksKeepLines() {
        let result = parse("""
        worker_processes auto;
        events {
            worker_connections 768;
        }
        """)
        #expect(result.diagnostics.isEmpty)
        #expect(result.directives.map(\.name) == ["worker_processes", "events"])
        #expect(result.directives[0].args == ["auto"])
        #expect(result.directives[0].block == nil)
        #expect(result.directives[1].location == SourceLocation(file: "/t.conf", line: 2))
        let inner = result.directives[1].block?.first
        #expect(inner?.name == "worker_connections")
        #expect(inner?.args == ["768"])
        #expect(inner?.location.line == 3)
    }

    @Test func quotesAndEscapesAreDecodedLikeNginx() {
        let result = parse(#"""
        add_header X-A "say \"hi\"\tnow";
        add_header X-B 'it\'s';
        location ~ \.php$ { }
        return 200 "a\\b";
        set $x \;semi;
        """#)
        #expect(result.diagnostics.isEmpty)
        #expect(result.directives[0].args == ["X-A", "say \"hi\"\tnow"])
        #expect(result.directives[1].args == ["X-B", "it's"])
        // Unknown escapes stay as written: regexes depend on it.
        #expect(result.directives[2].args == ["~", #"\.php$"#])
        #expect(result.directives[3].args == ["200", #"a\b"#])
        // `\;` keeps `;` from ending the word, and nginx leaves the backslash in the value.
        #expect(result.directives[4].args == ["$x", #"\;semi"#])
    }

    @Test func variablesWithBracesStayInOneWord() {
        let result = parse("set $target ${host}_${uri}x; return 200 a}b;")
        #expect(result.diagnostics.isEmpty)
        #expect(result.directives[0].args == ["$target", "${host}_${uri}x"])
        // nginx ends a word at `{` but not at `}`.
        #expect(result.directives[1].args == ["200", "a}b"])
    }

    @Test func commentsOnlyWhereATokenStarts() {
        let result = parse("""
        # a comment with ; and { and "
        listen 80; # trailing ; {
        rewrite ^/a#b /c;
        """)
        #expect(result.diagnostics.isEmpty)
        #expect(result.directives.map(\.name) == ["listen", "rewrite"])
        #expect(result.directives[1].args == ["^/a#b", "/c"])
        #expect(result.directives[1].location.line == 3)
    }

    @Test func multiLineStringsAdvanceLineNumbers() {
        let result = parse("""
        log_format main 'one
        two'
            'three';
        pid /run/x.pid;
        """)
        #expect(result.directives[0].args == ["main", "one\ntwo", "three"])
        #expect(result.directives[1].location.line == 4)
    }

    @Test func tableBlocksAreTokenisedAsEntries() {
        let result = parse("""
        http {
            map $http_upgrade $connection_upgrade { default upgrade; '' close; ~^(?<v>\\d+)$ "v${v}"; }
            types { text/html html htm; application/json json; }
            geo $blocked { default 0; 10.0.0.0/8 1; include /nonexistent/geo.conf; }
            split_clients "${remote_addr}AAA" $variant { 0.5% .one; * ""; }
            match healthy { status 200-399; body ~ "ok"; }
        }
        """)
        #expect(result.diagnostics.isEmpty)
        let http = result.directives[0].block ?? []
        #expect(http.map(\.name) == ["map", "types", "geo", "split_clients", "match"])
        #expect(http[0].block?.map(\.name) == ["default", "", "~^(?<v>\\d+)$"])
        #expect(http[0].block?[2].args == ["v${v}"])
        #expect(http[1].block?.first?.args == ["html", "htm"])
        #expect(http[3].args == ["${remote_addr}AAA", "$variant"])
        #expect(http[4].block?.count == 2)
    }

    @Test func luaBlocksAreSkippedByLuaRules() {
        let result = parse("""
        location /lua {
            content_by_lua_block {
                local s = "}" -- a } in a comment
                local t = [[ { ]] .. '}' --[==[ long } comment ]==]
                if s then ngx.say("{") end
            }
            proxy_pass http://127.0.0.1:8000;
        }
        """)
        #expect(result.diagnostics.isEmpty)
        let body = result.directives[0].block ?? []
        #expect(body.map(\.name) == ["content_by_lua_block", "proxy_pass"])
        #expect(body[0].block == [])
        #expect(body[1].location.line == 7)
    }

    @Test func unterminatedLuaBlockIsReported() {
        let result = parse("access_by_lua_block {\n  local x = 1\n")
        #expect(result.diagnostics.of(.syntax).first?.location == SourceLocation(file: "/t.conf", line: 1))
    }

    // MARK: Errors: each one reported with file:line, parsing goes on.

    @Test func unterminatedQuoteIsReportedAndItsLineReadAsIfUnquoted() {
        let result = parse("""
        server {
            location /health { return 200 "ok; }
            location /api { proxy_pass http://app; }
        }
        """)
        let syntax = result.diagnostics.of(.syntax)
        #expect(syntax.count == 1)
        #expect(syntax.first?.location == SourceLocation(file: "/t.conf", line: 2))
        #expect(syntax.first?.message.contains("unterminated") == true)
        let server = result.directives.first?.block ?? []
        #expect(server.map(\.name) == ["location", "location"])
        #expect(server.first?.block?.first?.args == ["200", "ok"])
        #expect(server.last?.block?.first?.args == ["http://app"])
        #expect(server.last?.location.line == 3)
    }

    @Test func unterminatedQuotesOfBothKindsTerminate() {
        let result = parse("a \"b;\nc 'd;\ne f;")
        #expect(result.diagnostics.map(\.location?.line) == [1, 2])
        #expect(result.directives.map(\.name) == ["a", "c", "e"])
    }

    @Test func unterminatedBlockIsReportedAtItsOpeningLine() {
        let result = parse("""
        http {
            server {
                listen 80;
                location / { proxy_pass http://127.0.0.1:8000; }
        """)
        let syntax = result.diagnostics.of(.syntax)
        #expect(syntax.map(\.location?.line) == [2, 1])
        #expect(syntax.allSatisfy { $0.message.contains("unterminated block") })
        #expect(result.directives.find("proxy_pass")?.args == ["http://127.0.0.1:8000"])
    }

    @Test func unexpectedCloseBraceIsReportedAndSkipped() {
        let result = parse("listen 80;\n}\nuser www-data;\n")
        #expect(result.diagnostics.map(\.location?.line) == [2])
        #expect(result.directives.map(\.name) == ["listen", "user"])
    }

    @Test func missingSemicolonBeforeBraceOrEOF() {
        let result = parse("location / {\n    proxy_pass http://a\n}\nuser www-data")
        #expect(result.diagnostics.map(\.location?.line) == [3, 4])
        #expect(result.diagnostics[1].message.contains("end of file"))
        // Both directives are kept: the author's intent is clear enough to diagnose with.
        #expect(result.directives.find("proxy_pass")?.args == ["http://a"])
        #expect(result.directives.last?.name == "user")
    }

    @Test func strayPunctuationIsReported() {
        let result = parse("; { a 1; }\nuser x;")
        #expect(result.diagnostics.count == 2)
        #expect(result.directives.map(\.name) == ["user"])
    }

    @Test func deepNestingIsCutWithoutOverflowingTheStack() {
        let depth = 200_000
        let text = String(repeating: "a {", count: depth) + "x 1;" + String(repeating: "}", count: depth) + " user u;"
        let result = parse(text)
        #expect(result.diagnostics.of(.syntax).count == 1)
        #expect(result.directives.last?.name == "user")
    }

    @Test func byteOrderMarkIsIgnored() {
        let result = NginxParser.parse([0xEF, 0xBB, 0xBF] + Array("user www-data;".utf8), file: "/t.conf")
        #expect(result.directives.first?.name == "user")
    }

    @Test func invalidUTF8IsDecodedLeniently() {
        // A Latin-1 comment and a Latin-1 byte in an argument: no reason to drop the file.
        let bytes: [UInt8] = Array("# caf".utf8) + [0xE9] + Array("\nserver_name h".utf8) + [0xF6] + Array("st;\n".utf8)
        let result = NginxParser.parse(bytes, file: "/t.conf")
        #expect(result.diagnostics.isEmpty)
        #expect(result.directives.first?.args == ["h\u{FFFD}st"])
        #expect(result.directives.first?.location.line == 2)
    }
}
