import DoctorHost
import Foundation

/// The operator's own words to `gate` and `rollback` (`--release DIR`, `--root-dir PATH`,
/// `--to ID`), checked against the filesystem before anything else happens: before the
/// gather, and above all before the state directory is prepared. A typo
/// (`--release /srv/app/releses/42`) is a usage error — one line, exit 64, nothing created,
/// nothing audited — not a refused plan that leaves `/var/lib/gwdoctor` and an audit line
/// behind. What a guard decides once the plan is made (the release is current, marked bad,
/// partial, not served by anything gwdoctor can restart) is not checked here: those refusals
/// are audited as before.
///
/// Only definite answers refuse: a path the host cannot tell about (a snapshot that did not
/// record it, permission denied on a parent) passes, and the planner decides.
public struct DeployArguments: Sendable {
    public let host: any DoctorHost.Host

    public init(host: any DoctorHost.Host) {
        self.host = host
    }

    /// A refusal of one argument: `message` is the whole line (`--release /srv/app/releses/42: no such directory`).
    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// `gate --release DIR [--root-dir ROOT]`: DIR is a directory whose parent is a
    /// `releases` directory of a root that has a `current` symlink (a symlink-release deploy);
    /// `--root-dir`, when given, is such a root.
    public func checkGate(release: String, rootDirectory: String?) -> Refusal? {
        if let rootDirectory, let refusal = checkRoot(rootDirectory) { return refusal }
        let release = Self.normalise(release)
        let option = "--release \(release)"
        if let refusal = checkDirectory(release, option: option) { return refusal }
        // As written, else with symlinks resolved (the planner matches a symlinked root through its target too).
        let written = (release as NSString).deletingLastPathComponent
        let resolved = (URL(fileURLWithPath: release).resolvingSymlinksInPath().path as NSString).deletingLastPathComponent
        guard let releases = [written, resolved].first(where: { ($0 as NSString).lastPathComponent == "releases" }) else {
            return Refusal("\(option): not a release directory (ROOT/releases/ID): its parent \(written) is not a releases/ directory")
        }
        let root = (releases as NSString).deletingLastPathComponent
        if let refusal = checkCurrentLink(root, option: option) { return refusal }
        return nil
    }

    /// `rollback [--root-dir ROOT] [--to ID]`, before the gather: ROOT is a symlink-release
    /// deploy root; ID is a plain release name, and with ROOT known, `ROOT/releases/ID` exists.
    public func checkRollback(rootDirectory: String?, target: String?) -> Refusal? {
        if let rootDirectory, let refusal = checkRoot(rootDirectory) { return refusal }
        guard let target else { return nil }
        guard !target.isEmpty, !target.contains("/"), target != ".", target != "..", !target.contains(where: \.isNewline) else {
            return Refusal("--to \(target): not a release id (a name in ROOT/releases/, without /)")
        }
        if let rootDirectory { return checkRelease(target, root: Self.normalise(rootDirectory)) }
        return nil
    }

    /// `--to ID` once the root is known (from `--root-dir` or found from what runs): `ROOT/releases/ID` must exist.
    public func checkRelease(_ id: String, root: String) -> Refusal? {
        let path = root + "/releases/" + id
        // lstat: a dangling entry is still a release the planner can name as skipped.
        if kind(path, followLinks: false) == .missing {
            return Refusal("--to \(id): no release \(id) in \(root)/releases")
        }
        return nil
    }

    /// `--root-dir ROOT`: a directory holding `releases/` and a `current` symlink.
    func checkRoot(_ raw: String) -> Refusal? {
        let root = Self.normalise(raw)
        let option = "--root-dir \(root)"
        if let refusal = checkDirectory(root, option: option) { return refusal }
        switch kind(root + "/releases", followLinks: true) {
        case .missing?: return Refusal("\(option): no releases/ directory: not a symlink-release deploy root (ROOT/releases/ID, ROOT/current)")
        case let kind? where kind != .directory: return Refusal("\(option): \(root)/releases is not a directory (\(kind.rawValue))")
        default: break
        }
        return checkCurrentLink(root, option: option)
    }

    /// `path` (followed) is a directory, or the host cannot tell.
    private func checkDirectory(_ path: String, option: String) -> Refusal? {
        switch kind(path, followLinks: true) {
        case .missing?: Refusal("\(option): no such directory")
        case let kind? where kind != .directory: Refusal("\(option): not a directory (\(kind.rawValue))")
        default: nil
        }
    }

    private func checkCurrentLink(_ root: String, option: String) -> Refusal? {
        switch kind(root + "/current", followLinks: false) {
        case .missing?:
            return Refusal("\(option): \(root)/current does not exist: not a symlink-release deploy (ROOT/releases/ID, ROOT/current)")
        case let kind? where kind != .symlink:
            return Refusal("\(option): \(root)/current is a \(kind.rawValue), not a symlink: there is no link to switch")
        default:
            return nil
        }
    }

    /// The kind at `path`, `.missing` when the host says there is nothing, `nil` when it cannot tell.
    private func kind(_ path: String, followLinks: Bool) -> Kind? {
        do {
            return Kind(try host.status(path, followLinks: followLinks).kind)
        } catch .notFound {
            return .missing
        } catch {
            return nil
        }
    }

    private enum Kind: String {
        case regular, directory, symlink, socket, fifo, other, missing
        init(_ kind: FileStatus.Kind) { self = Kind(rawValue: kind.rawValue) ?? .other }
    }

    /// `/srv/app/` → `/srv/app`.
    static func normalise(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
