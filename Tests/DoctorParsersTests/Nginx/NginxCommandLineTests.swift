import DoctorParsers
import Testing

@Suite("nginx master command line")
struct NginxCommandLineTests {
    @Test func titleFormIsSplit() {
        // /proc/PID/cmdline of a Debian master: one string, nginx rewrote its argv.
        let parsed = NginxCommandLine.parse(["nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf", ""])
        #expect(parsed == NginxCommandLine(executable: "/usr/sbin/nginx", configFile: "/etc/nginx/nginx.conf"))
    }

    @Test func titleFormReassemblesGlobalDirectives() {
        // What systemd's nginx.service starts: `-g 'daemon on; master_process on;'`.
        let parsed = NginxCommandLine.parse(["nginx: master process /usr/sbin/nginx -g daemon on; master_process on; -p /srv/ngx/"])
        #expect(parsed.globals == "daemon on; master_process on;")
        #expect(parsed.prefix == "/srv/ngx/")
        #expect(parsed.executable == "/usr/sbin/nginx")
    }

    @Test func ordinaryArgvWithAttachedAndSeparateValues() {
        let parsed = NginxCommandLine.parse(["/usr/local/nginx/sbin/nginx", "-p/opt/ngx/", "-c", "conf/site.conf",
                                             "-e", "stderr", "-g", "user nobody; daemon off;"])
        #expect(parsed == NginxCommandLine(executable: "/usr/local/nginx/sbin/nginx", prefix: "/opt/ngx/",
                                           configFile: "conf/site.conf", errorLog: "stderr",
                                           globals: "user nobody; daemon off;"))
    }

    @Test func groupedFlagsLikeNginx() {
        // `-tqc FILE`: flags first, then an option taking the next argument.
        let parsed = NginxCommandLine.parse(["nginx", "-tqc", "/etc/nginx/test.conf", "-T"])
        #expect(parsed.configFile == "/etc/nginx/test.conf")
        #expect(parsed.prefix == nil)
    }

    @Test func workerTitleAndEmptyInput() {
        #expect(NginxCommandLine.parse(["nginx: worker process"]) == NginxCommandLine())
        #expect(NginxCommandLine.parse([]) == NginxCommandLine())
        #expect(NginxCommandLine.parse(["nginx", "-c"]) == NginxCommandLine(executable: "nginx"))
    }
}
