package io.plumbline.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresServerTest {

    @Test
    void createsTwoDistinctUsableDatabases() throws Exception {
        PostgresServer server = PostgresServer.shared();
        PostgresServer.Database a = server.createDatabase("registry");
        PostgresServer.Database b = server.createDatabase("registry");
        try {
            assertNotEquals(a.name(), b.name());
            assertTrue(a.name().matches("registry_test_[a-z0-9]{10}"), a.name());
            assertEquals("postgresql://" + server.host() + ":" + server.port() + "/" + a.name(), a.reactiveUrl());
            assertEquals("jdbc:postgresql://" + server.host() + ":" + server.port() + "/" + a.name(), a.jdbcUrl());
            try (Connection c = a.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t (x int)");
                s.execute("INSERT INTO t VALUES (1)");
            }
            try (Connection c = b.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_tables WHERE tablename = 't'")) {
                rs.next();
                assertEquals(0, rs.getInt(1), "databases are isolated");
            }
        } finally {
            server.dropDatabase(a.name());
            server.dropDatabase(b.name());
        }
        assertFalse(server.databaseExists(a.name()));
        assertEquals(server.port(), PostgresServer.shared().port());
    }

    @Test
    void ensureDatabaseIsIdempotent() {
        PostgresServer server = PostgresServer.shared();
        String name = "plumbline_ensure_" + Long.toString(System.nanoTime(), 36);
        try {
            assertEquals(name, server.ensureDatabase(name).name());
            assertEquals(name, server.ensureDatabase(name).name());
            assertTrue(server.databaseExists(name));
        } finally {
            server.dropDatabase(name);
        }
    }

    @Test
    void parsesBothUrlStyles() {
        assertEquals(Map.of("host", "db.example", "port", "6543", "database", "admin", "user", "pl", "password", "s3:cr@t"),
                PostgresServer.parseUrl("postgresql://pl:s3%3Acr%40t@db.example:6543/admin"));
        assertEquals(Map.of("host", "127.0.0.1", "port", "5432", "user", "u", "password", "p", "database", "postgres"),
                PostgresServer.parseUrl("jdbc:postgresql://127.0.0.1/postgres?user=u&password=p&ssl=false"));
        assertThrows(IllegalStateException.class, () -> PostgresServer.parseUrl("mysql://x:1/y"));
    }

    @Test
    void urlThatDoesNotAnswerIsAnErrorNamingTheVariable() {
        int closed = KafkaBroker.freePort();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PostgresServer.fromUrl("postgresql://u:p@127.0.0.1:" + closed + "/postgres", null, null));
        assertTrue(e.getMessage().contains(PostgresServer.ENV_URL), e.getMessage());
    }

    @Test
    void embeddedServerKeepsItsDataAcrossRestarts(@TempDir Path home) throws Exception {
        Path data = home.resolve("pg");
        Path log = home.resolve("postgres.log");
        long t0 = System.nanoTime();
        try (PostgresServer first = PostgresServer.embedded(data, 0, log)) {
            System.out.printf("[timing] embedded PostgreSQL first start (initdb) %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            assertEquals(PostgresServer.Source.EMBEDDED, first.source());
            first.ensureDatabase("plumbline_keep");
            try (Connection c = first.database("plumbline_keep").connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE kept (x int)");
                s.execute("INSERT INTO kept VALUES (42)");
            }
        }
        long t1 = System.nanoTime();
        try (PostgresServer second = PostgresServer.embedded(data, 0, log)) {
            System.out.printf("[timing] embedded PostgreSQL restart %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1));
            assertTrue(second.databaseExists("plumbline_keep"));
            try (Connection c = second.database("plumbline_keep").connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT x FROM kept")) {
                assertTrue(rs.next());
                assertEquals(42, rs.getInt(1));
            }
        }
        assertTrue(Files.exists(data.resolve("PG_VERSION")), "data directory kept");
        assertTrue(Files.size(log) > 0, "server log written");
    }
}
