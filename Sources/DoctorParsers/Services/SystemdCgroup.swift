/// The systemd unit a process belongs to, read from `/proc/PID/cgroup`.
///
/// systemd puts every service's processes in a cgroup named after the unit: on the unified
/// hierarchy `0::/system.slice/app.service`, on the legacy and hybrid ones the
/// `name=systemd` line (`1:name=systemd:/system.slice/app.service`). Nested slices
/// (`/system.slice/system-app.slice/app@1.service`) and sub-cgroups a service creates below its
/// own (`…/app.service/worker`) are allowed: the last `.service` component names the unit.
public enum SystemdCgroup {
    /// `app.service` (or `app@1.service`), or `nil` when the process is not in a service's cgroup
    /// (a login session's `.scope`, a container, no systemd at all).
    public static func serviceUnit(_ procCgroup: String) -> String? {
        var unified: String?
        var named: String?
        for line in procCgroup.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = fields[2]
            if fields[1] == "name=systemd" {
                named = unit(in: path)
            } else if fields[0] == "0", fields[1].isEmpty {
                unified = unit(in: path)
            }
        }
        // On a hybrid host the name=systemd hierarchy is the one systemd manages services in.
        return named ?? unified
    }

    /// The template unit file of an instance: `app@1.service` → `app@.service`; other names unchanged.
    public static func template(of unit: String) -> String {
        guard let at = unit.firstIndex(of: "@"), let dot = unit.lastIndex(of: "."), at < dot else { return unit }
        return String(unit[...at]) + String(unit[dot...])
    }

    private static func unit(in path: Substring) -> String? {
        path.split(separator: "/").last { $0.hasSuffix(".service") && $0.count > ".service".count }.map(String.init)
    }
}
