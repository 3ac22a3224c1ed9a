import DoctorFacts
@testable import DoctorParsers
import Testing

/// Where a relative `-c`/`--ini`/`--chdir`/socket path points. gunicorn 27
/// (`Application.load_config` in gunicorn/app/base.py) loads `-c` relative to the directory
/// it was started in and applies the command line's `--chdir` afterwards; uWSGI reads its
/// ini files before `chdir` too. /proc/PID/cwd shows the directory after `--chdir`, so
/// the start directory then comes only from the service that started the server. With
/// nothing known, the path must stay unresolved: as written, it names a file relative to
/// gwdoctor's own directory.
@Suite("app-server start directories")
struct AppServerStartDirectoryTests {
    @Test func withoutChdirTheProcessDirectoryIsTheStartDirectory() throws {
        let parsed = try #require(AppServerCommandLine.parse(["gunicorn", "-c", "gunicorn.conf.py", "app.wsgi"],
                                                             workingDirectory: "/srv/site"))
        #expect(parsed.configFile == "/srv/site/gunicorn.conf.py")
        #expect(parsed.unresolvedConfigFiles.isEmpty)
    }

    @Test func aServicesDirectoryWinsOverTheChdirHiddenOne() throws {
        // supervisord `directory=/srv/site`, `--chdir /srv/site/src`: /proc/PID/cwd reads src.
        let parsed = try #require(AppServerCommandLine.parse(
            ["gunicorn", "--chdir", "/srv/site/src", "-c", "deploy/g.py", "-b", "unix:run/app.sock", "app.wsgi"],
            workingDirectory: "/srv/site/src", startDirectory: "/srv/site"))
        #expect(parsed.configFile == "/srv/site/deploy/g.py")
        #expect(parsed.directory == "/srv/site/src")
        #expect(parsed.binds.map(\.endpoint) == [.unix(path: "/srv/site/src/run/app.sock")])
    }

    @Test func aRelativeChdirResolvesAgainstTheServiceDirectoryWhenCwdIsUnreadable() throws {
        let parsed = try #require(AppServerCommandLine.parse(
            ["gunicorn", "--chdir", "src", "-b", "unix:app.sock", "app.wsgi"], startDirectory: "/srv/site"))
        #expect(parsed.directory == "/srv/site/src")
        #expect(parsed.binds.map(\.endpoint) == [.unix(path: "/srv/site/src/app.sock")])
        #expect(parsed.defaultConfigFile == "/srv/site/gunicorn.conf.py")
    }

    @Test func nothingKnownLeavesTheConfigFileUnknown() throws {
        // A snapshot without /proc/PID/cwd, no service: never gwdoctor's own ./gunicorn.conf.py.
        let parsed = try #require(AppServerCommandLine.parse(["gunicorn", "-c", "gunicorn.conf.py", "app.wsgi"]))
        #expect(parsed.configFile == nil)
        #expect(parsed.unresolvedConfigFiles == ["gunicorn.conf.py"])
        #expect(parsed.notes.contains { $0.contains("unknown (relative path gunicorn.conf.py, start directory unknown)") })
        // An absolute one needs no directory.
        let absolute = try #require(AppServerCommandLine.parse(["gunicorn", "-c", "/etc/gunicorn/site.py", "app.wsgi"]))
        #expect(absolute.configFile == "/etc/gunicorn/site.py")
        #expect(absolute.unresolvedConfigFiles.isEmpty)
    }

    @Test func aRelativeSocketWithNoKnownDirectoryHasNoEndpoint() throws {
        let parsed = try #require(AppServerCommandLine.parse(["gunicorn", "-b", "unix:app.sock", "app.wsgi"]))
        let bind = try #require(parsed.binds.first)
        #expect(bind.endpoint == nil, "as written it would be a socket in gwdoctor's own directory")
        #expect(bind.raw == "unix:app.sock")
        #expect(parsed.notes.contains { $0.contains("unknown (relative path app.sock, working directory unknown)") })
        // Relative socket in a config file read with no directory: the same.
        let fromFile = GunicornConfigFile.binds("bind = 'unix:run/g.sock'\n", file: "/etc/g.py", workingDirectory: nil)
        #expect(fromFile.binds.first?.endpoint == nil)
    }

    @Test func uwsgiRelativeIniUnderChdirNeedsTheStartDirectory() throws {
        let hidden = try #require(AppServerCommandLine.parse(["uwsgi", "--chdir", "/srv/app", "--ini", "uwsgi.ini"],
                                                             workingDirectory: "/srv/app"))
        #expect(hidden.iniFiles.isEmpty)
        #expect(hidden.unresolvedConfigFiles == ["uwsgi.ini"])
        #expect(hidden.notes.contains { $0.contains("unknown (relative path uwsgi.ini, start directory unknown)") })
        let known = try #require(AppServerCommandLine.parse(["uwsgi", "--chdir", "/srv/app", "--ini", "deploy/uwsgi.ini:prod"],
                                                            workingDirectory: "/srv/app", startDirectory: "/etc/site"))
        #expect(known.iniFiles == [UWSGIIniReference(path: "/etc/site/deploy/uwsgi.ini", section: "prod")])
        // No --chdir: the process's directory is where it started.
        let plain = try #require(AppServerCommandLine.parse(["uwsgi", "--ini", "uwsgi.ini"], workingDirectory: "/srv/app"))
        #expect(plain.iniFiles.map(\.path) == ["/srv/app/uwsgi.ini"])
    }

    @Test func resolverRules() {
        let none = AppServerDirectories(chdir: nil, workingDirectory: nil)
        #expect(none.resolveStartPath("g.py") == nil)
        #expect(none.resolveStartPath("/etc/g.py") == "/etc/g.py")
        let cwdOnly = AppServerDirectories(chdir: "/srv/b", workingDirectory: "/srv/b")
        #expect(cwdOnly.run == "/srv/b")
        #expect(cwdOnly.start == nil)
        let service = AppServerDirectories(chdir: nil, workingDirectory: "/srv/after-config-chdir", startDirectory: "/srv/a")
        // A gunicorn.conf.py `chdir = …` moves /proc/PID/cwd too: the service's directory is the start.
        #expect(service.start == "/srv/a")
        #expect(service.run == "/srv/after-config-chdir")
        #expect(service.resolveStartPath("../g.py") == "/srv/g.py")
    }
}
