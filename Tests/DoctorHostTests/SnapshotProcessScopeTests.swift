@testable import DoctorHost
import DoctorFacts
import Testing

@Suite("Snapshot process scope")
struct SnapshotProcessScopeTests {
    private let table = [
        ProcessRecord(pid: 1, ppid: 0, cmdline: ["/sbin/init"], comm: "init"),
        ProcessRecord(pid: 2, ppid: 0, cmdline: [], comm: "kthreadd"),
        ProcessRecord(pid: 5, ppid: 1, cmdline: ["bash"], comm: "bash"),
        ProcessRecord(pid: 6, ppid: 5, cmdline: ["tmux"], comm: "tmux"),
        ProcessRecord(pid: 8, ppid: 1, cmdline: ["/usr/bin/python3", "/usr/bin/supervisord", "-n"], comm: "supervisord"),
        ProcessRecord(pid: 10, ppid: 8, cmdline: ["/srv/venv/bin/python3", "/srv/venv/bin/gunicorn", "app.wsgi"], comm: "gunicorn"),
        ProcessRecord(pid: 11, ppid: 10, cmdline: ["/srv/venv/bin/python3", "/srv/venv/bin/gunicorn", "app.wsgi"], comm: "gunicorn"),
        ProcessRecord(pid: 20, ppid: 5, cmdline: ["vim", "notes.txt"], comm: "vim"),
        ProcessRecord(pid: 30, ppid: 6, cmdline: ["/usr/bin/redis-server", "127.0.0.1:6379"], comm: "redis-server"),
        ProcessRecord(pid: 40, ppid: 1, cmdline: ["nginx: master process /usr/sbin/nginx"], comm: "nginx"),
        ProcessRecord(pid: 41, ppid: 40, cmdline: ["nginx: worker process"], comm: "nginx"),
    ]

    @Test func keepsServersListenersManagersAndTheirFamilies() {
        let listeners = [Listener(endpoint: .tcp(host: "127.0.0.1", port: 6379), inode: 9, pids: [30])]
        let kept = Set(SnapshotProcessScope.relevant.filter(table, listeners: listeners).map(\.pid))
        // redis holds a listener: it and its parent stay, its grandparent shell, the editor
        // and the kernel thread go; gunicorn's manager (supervisord) and init stay.
        #expect(kept == [1, 6, 8, 10, 11, 30, 40, 41])
    }

    @Test func allKeepsEverything() {
        #expect(SnapshotProcessScope.all.filter(table, listeners: []).count == table.count)
    }

    @Test func aParentLoopDoesNotSpin() {
        let loop = [ProcessRecord(pid: 3, ppid: 4, cmdline: ["gunicorn"], comm: "gunicorn"),
                    ProcessRecord(pid: 4, ppid: 3, cmdline: ["x"], comm: "x")]
        #expect(Set(SnapshotProcessScope.relevant.filter(loop, listeners: []).map(\.pid)) == [3, 4])
    }
}
