import DoctorFacts

/// The only way gwdoctor changes a machine (`gwdoctor fix --apply`, `gwdoctor rollback --apply`).
///
/// `Host` reads; `HostActions` adds the few changes a repair needs, each narrow on purpose:
/// an allow-listed service command (start/restart one unit or program), unlinking a path
/// only if it is a socket, and one signal to one pid. There is no "run anything" and no
/// "write a file" here: a fix that needs a config edit is printed for a person.
///
/// `LiveHost` conforms. `SnapshotHost` does not: a snapshot is a recording, so a fix on
/// `--root` can only ever be a dry run.
public protocol HostActions: Host {
    /// Runs a mutating allow-listed command (`AllowedCommand.systemctl(.restart, unit:)`,
    /// `AllowedCommand.supervisor(.start, config:program:)`) with a deadline and an output cap.
    /// Never throws: a command that cannot run or does not finish comes back with `failure` set.
    func perform(_ command: AllowedCommand, timeout: Duration, outputLimit: Int) async -> CommandResult
    /// unlink(2) of `path`, only when lstat(2) says it is a socket (a regular file, a directory
    /// or a symlink with that name is refused with `.io(path, EINVAL, …)`).
    func removeSocket(_ path: String) throws(HostError)
    /// kill(2) of one process (pid > 1; never a process group, never pid 0 or -1).
    func signal(pid: Int, _ signal: Int32) throws(HostError)
}
