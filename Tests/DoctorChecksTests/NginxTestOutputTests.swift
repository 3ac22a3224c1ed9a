import DoctorFacts
import DoctorParsers
import Testing

/// Real `nginx -t` stderr from nginx 1.22.1 on Debian 12.
@Suite struct NginxTestOutputTests {
    @Test func unknownDirectiveWithLocation() {
        let stderr = """
            nginx: [emerg] unknown directive "proxy_passs" in /tmp/lab/nginx.conf:31
            nginx: configuration file /tmp/lab/nginx.conf test failed

            """
        let messages = NginxTestOutput.messages(stderr)
        #expect(messages.count == 1)
        #expect(messages.first?.level == "emerg")
        #expect(messages.first?.text == "unknown directive \"proxy_passs\"")
        #expect(messages.first?.location == SourceLocation(file: "/tmp/lab/nginx.conf", line: 31))
        #expect(NginxTestOutput.verdict(exitCode: 1, messages: messages) == false)
    }

    @Test func permissionProblemsAreNotAnInvalidConfig() {
        let stderr = """
            nginx: [alert] could not open error log file: open() "/var/log/nginx/error.log" failed (13: Permission denied)
            2026/11/21 08:00:00 [emerg] 4242#4242: open() "/run/nginx.pid" failed (13: Permission denied)
            nginx: configuration file /etc/nginx/nginx.conf test failed
            """
        let messages = NginxTestOutput.messages(stderr)
        #expect(messages.allSatisfy { $0.location == nil })
        #expect(NginxTestOutput.verdict(exitCode: 1, messages: messages) == nil)
    }

    @Test func errorLogFormStripsPidAndThread() {
        let line = "2026/11/21 08:40:01 [emerg] 24232#24232: unknown directive \"proxy_buffering_mode\" in /tmp/lab/nginx.conf:27"
        let message = NginxTestOutput.messages(line).first
        #expect(message?.text == "unknown directive \"proxy_buffering_mode\"")
        #expect(message?.location == SourceLocation(file: "/tmp/lab/nginx.conf", line: 27))
    }

    @Test func passingAndUnrunTests() {
        #expect(NginxTestOutput.verdict(exitCode: 0, messages: []) == true)
        #expect(NginxTestOutput.verdict(exitCode: nil, messages: []) == nil)
    }

    @Test func missingIncludeNamesTheIncludeLine() {
        let line = "nginx: [emerg] open() \"/etc/nginx/sites-enabled/gone.conf\" failed (2: No such file or directory) in /etc/nginx/nginx.conf:60"
        let message = NginxTestOutput.messages(line).first
        #expect(message?.location == SourceLocation(file: "/etc/nginx/nginx.conf", line: 60))
        #expect(NginxTestOutput.verdict(exitCode: 1, messages: [message].compactMap { $0 }) == false)
    }
}
