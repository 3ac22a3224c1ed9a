import DoctorFacts
import Testing

/// Secrets as they are written in the files a diagnosis reads and a snapshot keeps a copy of:
/// Django settings modules (read to find how `SECRET_KEY` is set), environment files, DSNs.
@Suite struct RedactorTests {
    @Test func djangoSettingsLiteralsAreMasked() {
        let settings = """
            SECRET_KEY = 'django-insecure-3x@mpl3k3y'
            SECRET_KEY= "other-literal"
            API_TOKEN = "tok-123"
            DATABASES = {
                'default': {
                    'ENGINE': 'django.db.backends.postgresql',
                    'PASSWORD': 'hunter2',
                    "password": "hunter3",
                },
            }
            DEBUG = False
            """
        let redacted = Redactor.redact(settings)
        for secret in ["django-insecure-3x@mpl3k3y", "other-literal", "hunter2", "hunter3", "tok-123"] {
            #expect(!redacted.contains(secret), "\(secret) leaked:\n\(redacted)")
        }
        #expect(redacted.contains("SECRET_KEY = '[REDACTED]'"))
        #expect(redacted.contains("'PASSWORD': '[REDACTED]'"))
        // What is not secret stays readable.
        #expect(redacted.contains("'ENGINE': 'django.db.backends.postgresql'"))
        #expect(redacted.contains("DEBUG = False"))
    }

    @Test func pathsAndErrnoTextsAfterSecretWordsStayReadable() {
        // Seen in real output: the decisive systemd line and an unavailable fact lost their words.
        let journal = "app.service: Failed to determine user credentials: No such process"
        #expect(Redactor.redact(journal) == journal)
        let unavailable = "/etc/passwd: contents of /etc/passwd: not recorded in this snapshot"
        #expect(Redactor.redact(unavailable) == unavailable)
        // The same words with real values are still masked.
        #expect(Redactor.redact("credentials: hunter2") == "credentials: [REDACTED]")
        #expect(Redactor.redact("passwd: hunter2") == "passwd: [REDACTED]")
        #expect(Redactor.redact("password=No such thing") == "password=[REDACTED] such thing")
    }

    @Test func settingsReadingTheEnvironmentKeepTheVariableName() {
        // Only a literal is a secret; `os.environ["SECRET_KEY"]` is how it is set, and a diagnosis needs it.
        let line = #"SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]"#
        #expect(Redactor.redact(line) == line)
        let getenv = #"SECRET_KEY = os.getenv('DJANGO_SECRET_KEY')"#
        #expect(Redactor.redact(getenv) == getenv)
        // A fallback literal is a secret; that there is one (the app boots without the variable) stays visible.
        let fallback = #"SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-fallback")"#
        #expect(Redactor.redact(fallback) == #"SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "[REDACTED]")"#)
    }

    @Test func aMultiLineSecretKeepsTheLineCount() {
        let text = "A=1\nPRIVATE_KEY=\"-----BEGIN KEY-----\nMIIEvQIBADANBg\n-----END KEY-----\"\nDEBUG=0\n"
        let redacted = Redactor.redact(text)
        #expect(!redacted.contains("MIIEvQIBADANBg"))
        #expect(redacted.split(separator: "\n", omittingEmptySubsequences: false).count
            == text.split(separator: "\n", omittingEmptySubsequences: false).count)
        #expect(redacted.hasSuffix("\"\nDEBUG=0\n"))
    }

    @Test func dsnPasswordsAndHeadersAreMasked() {
        let dsn = "DATABASE_URL=postgres://app:s3cret@db.internal:5432/app"
        #expect(!Redactor.redact(dsn).contains("s3cret"))
        let url = "    'default': dj_database_url.parse('postgres://app:pa55@db/app'),"
        #expect(!Redactor.redact(url).contains("pa55"))
        #expect(Redactor.redact(url).contains("postgres://app:[REDACTED]@db/app"))
        let header = "Authorization: Bearer abc.def.ghi"
        #expect(!Redactor.redact(header).contains("abc.def.ghi"))
        let env = "export DJANGO_SECRET_KEY=xyz987"
        #expect(!Redactor.redact(env).contains("xyz987"))
    }
}
