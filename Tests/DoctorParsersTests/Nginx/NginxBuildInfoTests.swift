import DoctorParsers
import Testing

@Suite("nginx -V")
struct NginxBuildInfoTests {
    @Test func debianBuild() throws {
        // Captured from Debian 12's nginx 1.22.1.
        let info = NginxBuildInfo.parse(versionOutput: try Fixtures.text("nginx-V-debian-1.22.1.txt"))
        #expect(info.version == "1.22.1")
        #expect(info.prefix == "/usr/share/nginx")
        #expect(info.confPath == "/etc/nginx/nginx.conf")
        #expect(info.errorLogPath == "stderr")
        #expect(info.pidPath == "/run/nginx.pid")
        #expect(info.httpLogPath == "/var/log/nginx/access.log")
        // A quoted argument with spaces stays one argument.
        #expect(info.configureArguments.first?.hasPrefix("--with-cc-opt=-g -O2 -ffile-prefix-map=") == true)
        #expect(info.configureArguments.contains("--with-http_v2_module"))
        #expect(info.effectiveConfPath == "/etc/nginx/nginx.conf")
        #expect(info.effectiveErrorLogPath == "stderr")
    }

    @Test func sourceBuildFallsBackToNginxDefaults() {
        let info = NginxBuildInfo.parse(versionOutput: """
        nginx version: openresty/1.21.4.3
        built by gcc 12.2.0 (Debian 12.2.0-14)
        configure arguments: --with-http_ssl_module --conf-path=conf/custom.conf
        """)
        #expect(info.version == "1.21.4.3")
        #expect(info.prefix == nil)
        #expect(info.effectivePrefix == "/usr/local/nginx/")
        #expect(info.effectiveConfPath == "/usr/local/nginx/conf/custom.conf")
        #expect(info.effectiveErrorLogPath == "/usr/local/nginx/logs/error.log")
        #expect(info.effectivePidPath == "/usr/local/nginx/logs/nginx.pid")
    }

    @Test func emptyOutput() {
        #expect(NginxBuildInfo.parse(versionOutput: "") == NginxBuildInfo())
    }
}
