import DoctorFacts
import DoctorParsers
@testable import DoctorHost
import Foundation
import Testing

@Suite("LiveHost files")
struct LiveHostFileTests {
    let host = LiveHost()

    @Test func readsWholeFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("nginx.conf", "worker_processes 1;\n")
        #expect(try host.readFile(path, maxBytes: 100) == Array("worker_processes 1;\n".utf8))
        #expect(try host.readFile(path, maxBytes: 20).count == 20)
        #expect(try host.readFile(path, maxBytes: .max).count == 20)
        #expect(throws: HostError.tooLarge(path, bytes: 20, limit: -1)) { try host.readFile(path, maxBytes: -1) }
        #expect(try host.readTail(path, maxBytes: -5).bytes.isEmpty)
    }

    @Test func refusesFileOverLimitWithoutReadingIt() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("big.conf", String(repeating: "x", count: 5000))
        #expect(throws: HostError.tooLarge(path, bytes: 5000, limit: 4999)) {
            try host.readFile(path, maxBytes: 4999)
        }
        // The parsers' view of the same refusal.
        #expect(host.readConfigFile(path, maxBytes: 10) == .failure(.tooLarge(bytes: 5000, limit: 10)))
    }

    @Test func readsProcFilesThatReportSizeZero() throws {
        let bytes = try host.readFile("/proc/self/status", maxBytes: 64 * 1024)
        #expect(String(decoding: bytes, as: UTF8.self).contains("Uid:"))
        // Size 0 on stat, so the limit is enforced while reading.
        #expect(throws: HostError.self) { try host.readFile("/proc/self/status", maxBytes: 10) }
    }

    @Test func errorsAreClassified() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: HostError.notFound(dir.file("missing"))) { try host.readFile(dir.file("missing"), maxBytes: 10) }
        let file = try dir.write("plain", "x")
        // A path through a regular file names nothing.
        #expect(throws: HostError.notFound("\(file)/below")) { try host.status("\(file)/below", followLinks: true) }
        #expect(host.readConfigFile(dir.path, maxBytes: 10) == .failure(.isDirectory))
        #expect(host.readConfigFile(dir.file("missing"), maxBytes: 10) == .failure(.notFound))
        #expect(host.listDirectory(dir.file("missing")) == .failure(.notFound))
    }

    @Test func refusesFifoInsteadOfHanging() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("pipe")
        #expect(mkfifo(path, 0o600) == 0)
        #expect(throws: HostError.io(path, errno: EINVAL, message: "not a regular file")) {
            try host.readFile(path, maxBytes: 10)
        }
        #expect(try host.status(path, followLinks: false).kind == .fifo)
    }

    @Test func tailOfLargeFileReadsOnlyTheEnd() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("error.log")
        // 8 MiB of lines and a sparse hole: a whole read would be obvious in time and memory.
        let handle = try #require(FileHandle(forWritingAtPath: try dir.write("error.log", "first line\n")))
        try handle.seek(toOffset: 8 * 1024 * 1024)
        try handle.write(contentsOf: Data("2026/01/01 [error] *1 connect() failed (111: Connection refused)\n".utf8))
        try handle.close()
        let size = try host.status(path, followLinks: true).size
        let tail = try host.readTail(path, maxBytes: 100)
        #expect(tail.fileSize == size)
        #expect(tail.offset == size - 100)
        #expect(tail.bytes.count == 100)
        #expect(String(decoding: tail.bytes, as: UTF8.self).hasSuffix("(111: Connection refused)\n"))
    }

    @Test func tailOfSmallFileIsWholeFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("small.log", "a\nb\n")
        let tail = try host.readTail(path, maxBytes: 1000)
        #expect(tail.bytes == Array("a\nb\n".utf8))
        #expect(tail.offset == 0)
        #expect(tail.fileSize == 4)
    }

    @Test func tailOfProcFile() throws {
        let tail = try host.readTail("/proc/self/status", maxBytes: 50)
        #expect(tail.bytes.count == 50)
        #expect(tail.offset + 50 == tail.fileSize)
    }

    @Test func statusOfSymlinkSocketAndDirectory() throws {
        let dir = try TemporaryDirectory()
        let target = try dir.write("target.conf", "hello")
        #expect(symlink("target.conf", dir.file("link.conf")) == 0)
        let socketFD = try Sockets.unixListener(path: dir.file("app.sock"))
        defer { close(socketFD) }
        #expect(chmod(target, 0o640) == 0)

        let followed = try host.status(dir.file("link.conf"), followLinks: true)
        #expect(followed.kind == .regular)
        #expect(followed.size == 5)
        #expect(followed.mode == 0o640)
        #expect(followed.uid == Int(getuid()))
        #expect(abs(followed.modified - Date().timeIntervalSince1970) < 60)
        #expect(try host.status(dir.file("link.conf"), followLinks: false).kind == .symlink)
        #expect(try host.readLink(dir.file("link.conf")) == "target.conf")
        #expect(try host.status(dir.file("app.sock"), followLinks: false).kind == .socket)
        #expect(try host.status(dir.path, followLinks: true).kind == .directory)
        #expect(try host.list(dir.path) == ["app.sock", "link.conf", "target.conf"])
        #expect(throws: HostError.self) { try host.readLink(target) }
        #expect(throws: HostError.notFound(dir.file("dangling"))) {
            #expect(symlink("nowhere", dir.file("dangling")) == 0)
            return try host.status(dir.file("dangling"), followLinks: true)
        }
    }

    @Test func readingASocketFileIsRefused() throws {
        let dir = try TemporaryDirectory()
        let fd = try Sockets.unixListener(path: dir.file("s.sock"))
        defer { close(fd) }
        #expect(throws: HostError.self) { try host.readFile(dir.file("s.sock"), maxBytes: 10) }
    }
}
