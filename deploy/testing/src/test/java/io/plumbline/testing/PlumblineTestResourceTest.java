package io.plumbline.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.plumbline.common.kafka.Topic;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The resource as services use it: inside a {@code @QuarkusTest}, whose class loaders differ from the test's own. */
@QuarkusTest
@WithTestResource(value = PlumblineTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = @ResourceArg(name = PlumblineTestResource.DATABASE, value = "testing"))
class PlumblineTestResourceTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    @ConfigProperty(name = "quarkus.datasource.reactive.url")
    String reactiveUrl;

    @ConfigProperty(name = "quarkus.datasource.username")
    String user;

    @ConfigProperty(name = "quarkus.datasource.password")
    String password;

    @Test
    void configurationPointsAtTheSharedBrokerAndAFreshDatabase() throws Exception {
        assertEquals(KafkaBroker.shared().bootstrapServers(), bootstrapServers,
                "test code and the resource see one broker, whatever their class loaders");
        try (Admin admin = KafkaBroker.admin(bootstrapServers)) {
            assertTrue(admin.listTopics().names().get().containsAll(Topic.allTopicNames()));
        }

        assertTrue(jdbcUrl.matches("jdbc:postgresql://[^/]+/testing_test_[a-z0-9]{10}"), jdbcUrl);
        assertEquals(jdbcUrl.substring("jdbc:".length()), reactiveUrl);
        try (Connection c = PostgresServer.connect(jdbcUrl, user, password); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(
                     "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "a fresh database");
        }
    }

    @Test
    void testCodeCanStopAndRestartTheBrokerTheApplicationUses() {
        KafkaBroker broker = KafkaBroker.shared();
        broker.stop();
        try {
            assertFalse(broker.isRunning());
        } finally {
            broker.start();
        }
        assertTrue(broker.isRunning());
        assertEquals(bootstrapServers, broker.bootstrapServers());
        KafkaBroker.createTopics(bootstrapServers, Map.of("testing.quarkus", 1), java.time.Duration.ofSeconds(30));
    }
}
