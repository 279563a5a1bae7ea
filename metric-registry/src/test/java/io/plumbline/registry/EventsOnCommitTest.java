package io.plumbline.registry;

import static io.plumbline.registry.Fixtures.booleanMetric;
import static io.plumbline.registry.Fixtures.newProject;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc.MetricRegistryBlockingStub;
import io.plumbline.testing.KafkaTestConsumer;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A committed change leaves on plumbline.metrics at once, not at the outbox relay's next poll: the commit raises a
 * PostgreSQL notification that wakes the relay (common's {@code OutboxNotifications}). The poll here is an hour apart.
 */
@QuarkusTest
@TestProfile(EventsOnCommitTest.PollAnHourApart.class)
class EventsOnCommitTest {

    public static class PollAnHourApart implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("plumbline.outbox.poll-interval", "1h");
        }
    }

    @GrpcClient("registry")
    MetricRegistryBlockingStub registry;

    @Test
    void aCreatedMetricIsEmittedWithoutWaitingForThePoll() {
        try (var events = KafkaTestConsumer.fromNow(Topic.METRICS.topicName())) {
            String project = newProject();
            // The relay polls once when it starts; whatever that first poll may have taken, the second change can only
            // leave through the notification of its commit.
            String first = registry.createMetric(booleanMetric(project, "first").build()).getMetric().getId();
            events.awaitRecord(r -> first.equals(key(r.key())), Duration.ofSeconds(30));

            long created = System.nanoTime();
            String second = registry.createMetric(booleanMetric(project, "second").build()).getMetric().getId();
            var record = events.awaitRecord(r -> second.equals(key(r.key())), Duration.ofSeconds(30));
            Duration took = Duration.ofNanos(System.nanoTime() - created);

            assertEquals(second, key(record.key()));
            System.out.printf("change to emitted event: %d ms (poll an hour apart)%n", took.toMillis());
        }
    }

    private static String key(byte[] key) {
        return key == null ? "" : new String(key, StandardCharsets.UTF_8);
    }
}
