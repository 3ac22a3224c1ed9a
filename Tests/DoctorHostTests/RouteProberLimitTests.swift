@testable import DoctorHost
import DoctorFacts
import Foundation
import Testing

/// RouteProber's cap on probes per run, on real loopback connections (closed ports refuse at once).
@Suite struct RouteProberLimitTests {
    @Test func probesBeyondTheCapAreNamedForTheOperator() async throws {
        // One closed port on three loopback addresses: three distinct probes however ports are handed out.
        let port = try Sockets.closedPort()
        let routes = ["127.0.0.1", "127.0.0.2", "127.0.0.3"].enumerated().map { index, address in
            Route(proxy: .nginx, listen: ["80"], serverNames: ["site\(index).example"], location: "= /exact",
                  directive: "proxy_pass", target: .endpoint(scheme: "http", .tcp(host: address, port: port)),
                  source: SourceLocation(file: "/etc/nginx/sites-enabled/site\(index)", line: 3))
        }
        var prober = RouteProber(host: LiveHost())
        prober.maxProbes = 2
        let (probes, unavailable) = await prober.probe(routes, proxies: [])
        let limit = try #require(unavailable.first)
        #expect(unavailable.count == 1)
        #expect(limit.what == "live probes of upstreams (1 not sent: 127.0.0.3:\(port))")
        #expect(limit.reason.contains("3 distinct probes") && limit.reason.contains("at most 2"))
        #expect(limit.reason.contains("curl"))
        #expect(probes.count == 3)
    }
}
