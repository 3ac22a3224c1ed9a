import DoctorFacts

/// The `routes` text table: one row per route, columns padded to fit.
public enum RoutesTableRenderer {
    public static func render(_ routes: [RouteRow], servedByUnknown: Bool = false) -> String {
        let header = ["LISTEN", "SERVER_NAME", "LOCATION", "TARGET", "SERVED BY", "SOURCE"]
        let rows = routes.map { route in
            [route.listen, route.serverName.isEmpty ? "_" : route.serverName, route.location, route.target,
             route.servedBy ?? (servedByUnknown ? "unknown" : "nothing listening"), route.source]
        }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        // Cap wide columns so one long server_name list does not push the table off-screen.
        widths = widths.enumerated().map { $0.offset == header.count - 1 ? $0.element : min($0.element, 48) }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index])
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        if count >= length { return count > length && length > 1 ? String(prefix(length - 1)) + "…" : self }
        return self + String(repeating: " ", count: length - count)
    }
}
