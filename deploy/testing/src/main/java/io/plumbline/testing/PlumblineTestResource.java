package io.plumbline.testing;

import java.util.LinkedHashMap;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Real infrastructure for a {@code @QuarkusTest}: the JVM's shared Kafka broker with every platform topic, and a
 * fresh PostgreSQL database for the service under test.
 *
 * <pre>{@code
 * @QuarkusTest
 * @WithTestResource(value = PlumblineTestResource.class, scope = TestResourceScope.GLOBAL,
 *         initArgs = @ResourceArg(name = PlumblineTestResource.DATABASE, value = "registry"))
 * class MetricLifecycleTest { ... }
 * }</pre>
 *
 * Init args: {@value #DATABASE} (prefix of the database name, default {@code plumbline}; the database is
 * {@code <prefix>_test_<random>}). The configuration it returns: {@code kafka.bootstrap.servers},
 * {@code quarkus.datasource.reactive.url} ({@code postgresql://host:port/db}), {@code quarkus.datasource.jdbc.url},
 * {@code quarkus.datasource.username}, {@code quarkus.datasource.password}, Dev Services off, and the broker's log
 * categories at WARN. Test code reaches the same broker with {@link KafkaBroker#shared()}.
 *
 * <p>The database is dropped when the resource stops, unless {@code PLUMBLINE_TEST_KEEP_DATABASES=true}
 * (environment or system property {@code plumbline.test.keep-databases}) keeps it for inspection.
 */
public class PlumblineTestResource implements QuarkusTestResourceLifecycleManager {

    /** Init arg: the database name prefix. */
    public static final String DATABASE = "database";

    private String prefix = "plumbline";
    private PostgresServer.Database database;

    @Override
    public void init(Map<String, String> initArgs) {
        String value = initArgs.get(DATABASE);
        if (value != null && !value.isBlank()) {
            prefix = value;
        }
    }

    @Override
    public Map<String, String> start() {
        KafkaBroker broker = KafkaBroker.shared();
        if (!broker.isRunning()) {
            broker.start(); // a previous test stopped it and did not bring it back
        }
        broker.createTopics();
        database = PostgresServer.shared().createDatabase(prefix);

        Map<String, String> config = new LinkedHashMap<>();
        config.put("kafka.bootstrap.servers", broker.bootstrapServers());
        config.put("quarkus.datasource.reactive.url", database.reactiveUrl());
        config.put("quarkus.datasource.jdbc.url", database.jdbcUrl());
        config.put("quarkus.datasource.username", database.user());
        config.put("quarkus.datasource.password", database.password());
        config.put("quarkus.devservices.enabled", "false");
        config.putAll(KafkaBroker.quietLogConfig());
        return config;
    }

    @Override
    public void stop() {
        if (database != null && !PostgresServer.keepDatabases()) {
            try {
                PostgresServer.shared().dropDatabase(database.name());
            } catch (RuntimeException e) {
                System.err.println("[plumbline-testing] could not drop " + database.name() + ": " + e.getMessage());
            }
        }
        database = null;
    }

    /** The database created by the last {@link #start()}, or null. */
    public PostgresServer.Database database() {
        return database;
    }
}
