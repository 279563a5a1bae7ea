package io.plumbline.judge.assembly;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.plumbline.testing.PostgresServer;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * Upgrading a database that holds open traces (V6, spans stored in batches): every span stored a row each before the
 * upgrade is in a batch of its trace after it, with its start, root flag and snapshot bytes.
 */
class SpanBatchMigrationTest {

    @Test
    void spansStoredARowEachAreBatchedByTrace() throws Exception {
        PostgresServer.Database database = PostgresServer.shared().createDatabase("judge_migration");
        try (Connection connection = database.connect()) {
            migrate(database, "5");
            try (Statement statement = connection.createStatement()) {
                statement.execute("""
                        insert into assembly_trace (trace_id, project_id, first_span_at, last_span_at)
                        values ('trace-a', 'p', now(), now()), ('trace-b', 'p', now(), now())""");
            }
            insertSpan(connection, "trace-a", "span-2", 20, false, new byte[] {2, 2});
            insertSpan(connection, "trace-a", "span-1", 10, true, new byte[] {1});
            insertSpan(connection, "trace-b", "span-9", 90, true, new byte[] {9, 9, 9});

            migrate(database, "latest");

            List<String> batches = new ArrayList<>();
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("""
                            select trace_id, batch_id, span_ids, start_ns, roots, snapshots
                            from assembly_span_batch order by trace_id""")) {
                while (rows.next()) {
                    batches.add(rows.getString("trace_id") + " " + rows.getString("batch_id") + " "
                            + List.of((Object[]) array(rows.getArray("span_ids"))) + " "
                            + List.of((Object[]) array(rows.getArray("start_ns"))) + " "
                            + List.of((Object[]) array(rows.getArray("roots"))));
                    Object[] snapshots = array(rows.getArray("snapshots"));
                    if (rows.getString("trace_id").equals("trace-a")) {
                        assertArrayEquals(new byte[] {1}, (byte[]) snapshots[0]);
                        assertArrayEquals(new byte[] {2, 2}, (byte[]) snapshots[1]);
                    } else {
                        assertArrayEquals(new byte[] {9, 9, 9}, (byte[]) snapshots[0]);
                    }
                }
            }
            assertEquals(List.of("trace-a span-1 [span-1, span-2] [10, 20] [true, false]",
                    "trace-b span-9 [span-9] [90] [true]"), batches);
            try (ResultSet tables = connection.getMetaData().getTables(null, "public", "assembly_span", null)) {
                assertFalse(tables.next(), "the table of a row per span is gone");
            }
        } finally {
            PostgresServer.shared().dropDatabase(database.name());
        }
    }

    private static void migrate(PostgresServer.Database database, String target) {
        Flyway.configure().dataSource(database.jdbcUrl(), database.user(), database.password())
                .locations("classpath:db/common", "classpath:db/migration").target(target).load().migrate();
    }

    private static void insertSpan(Connection connection, String traceId, String spanId, long start, boolean root,
            byte[] snapshot) throws Exception {
        try (PreparedStatement insert = connection.prepareStatement(
                "insert into assembly_span (trace_id, span_id, start_ns, root, snapshot) values (?, ?, ?, ?, ?)")) {
            insert.setString(1, traceId);
            insert.setString(2, spanId);
            insert.setLong(3, start);
            insert.setBoolean(4, root);
            insert.setBytes(5, snapshot);
            insert.executeUpdate();
        }
    }

    private static Object[] array(Array array) throws Exception {
        return (Object[]) array.getArray();
    }
}
