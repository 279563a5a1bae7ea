package io.plumbline.registry;

import static io.plumbline.registry.Fixtures.ALICE;
import static io.plumbline.registry.Fixtures.TEMPLATE;
import static io.plumbline.registry.Fixtures.booleanMetric;
import static io.plumbline.registry.Fixtures.content;
import static io.plumbline.registry.Fixtures.newProject;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.InvalidProtocolBufferException;
import io.plumbline.common.kafka.Topic;
import io.plumbline.common.outbox.OutboxRelay;
import io.plumbline.proto.registry.v1.CreateVersionRequest;
import io.plumbline.proto.registry.v1.GetPublishedVersionRequest;
import io.plumbline.proto.registry.v1.MetricEvent;
import io.plumbline.proto.registry.v1.MetricEvent.Type;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc.MetricRegistryBlockingStub;
import io.plumbline.proto.registry.v1.PublishVersionRequest;
import io.plumbline.proto.registry.v1.RevertToVersionRequest;
import io.plumbline.testing.KafkaBroker;
import io.plumbline.testing.KafkaTestConsumer;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Every committed change leaves on plumbline.metrics through the outbox, in order, and a broker outage loses none. */
@QuarkusTest
class MetricEventsTest {

    private static final Duration DELIVERY = Duration.ofSeconds(60);

    @GrpcClient("registry")
    MetricRegistryBlockingStub registry;

    @Test
    void eventsArriveInCommitOrderAndMatchWhatWasCommitted() {
        try (var consumer = KafkaTestConsumer.fromBeginning(Topic.METRICS.topicName())) {
            String project = newProject();
            String id = registry.createMetric(booleanMetric(project, "evented").build()).getMetric().getId();
            registry.createVersion(version(project, id, 1, "Second"));
            registry.publishVersion(PublishVersionRequest.newBuilder().setProjectId(project).setMetricId(id)
                    .setVersion(2).setActor(ALICE).build());
            registry.revertToVersion(RevertToVersionRequest.newBuilder().setProjectId(project).setMetricId(id)
                    .setVersion(1).setActor(ALICE).build());

            List<MetricEvent> events = eventsOf(consumer, id, 5);
            assertEquals(List.of(Type.TYPE_METRIC_CREATED, Type.TYPE_VERSION_CREATED, Type.TYPE_VERSION_PUBLISHED,
                    Type.TYPE_VERSION_CREATED, Type.TYPE_VERSION_PUBLISHED), events.stream().map(MetricEvent::getType).toList());
            assertEquals(List.of(1, 2, 2, 3, 3), events.stream().map(e -> e.getVersion().getVersion()).toList());

            var published = registry.getPublishedVersion(GetPublishedVersionRequest.newBuilder().setProjectId(project)
                    .setMetricId(id).build());
            MetricEvent last = events.get(4);
            assertEquals(published.getMetric(), last.getMetric(), "the last event carries the committed metric");
            assertEquals(published.getVersion(), last.getVersion(), "and the committed published version");
            assertEquals(project, last.getProjectId());
            assertEquals(ALICE, last.getActor());
        }
    }

    @Test
    void aBrokerOutageDelaysEventsAndLosesNone() {
        KafkaBroker broker = KafkaBroker.shared();
        try (var consumer = KafkaTestConsumer.fromBeginning(Topic.METRICS.topicName())) {
            String project = newProject();
            broker.stop();
            String id;
            try {
                id = registry.createMetric(booleanMetric(project, "outage").build()).getMetric().getId();
                registry.createVersion(version(project, id, 1, "During the outage, 1"));
                registry.createVersion(version(project, id, 2, "During the outage, 2"));
                // The relay tried, failed, and kept the events: the pending gauge counts them while the broker is down.
                await().atMost(DELIVERY).until(() -> pendingOutboxEvents() >= 3);
            } finally {
                broker.start();
            }
            List<MetricEvent> events = eventsOf(consumer, id, 3);
            assertEquals(List.of(Type.TYPE_METRIC_CREATED, Type.TYPE_VERSION_CREATED, Type.TYPE_VERSION_CREATED),
                    events.stream().map(MetricEvent::getType).toList());
            assertEquals(List.of("Created", "During the outage, 1", "During the outage, 2"),
                    events.stream().map(e -> e.getVersion().getChangeNote()).toList());
        }
    }

    private static double pendingOutboxEvents() {
        return given().get("/q/metrics").asString().lines()
                .filter(line -> line.startsWith("plumbline_outbox_pending"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElse(0);
    }

    /** The distinct events of one metric (deduplicated by event id, as consumers do), once {@code count} arrived. */
    private static List<MetricEvent> eventsOf(KafkaTestConsumer consumer, String metricId, int count) {
        var records = consumer.await(all -> distinct(all, metricId).size() >= count, DELIVERY);
        List<MetricEvent> events = distinct(records, metricId);
        assertEquals(count, events.size(), "no more events than changes");
        return events;
    }

    private static List<MetricEvent> distinct(List<ConsumerRecord<byte[], byte[]>> records, String metricId) {
        Map<String, MetricEvent> byId = new LinkedHashMap<>();
        for (var record : records) {
            if (!metricId.equals(KafkaTestConsumer.key(record))) {
                continue;
            }
            MetricEvent event = parse(record.value());
            assertEquals(event.getEventId(), KafkaTestConsumer.header(record, OutboxRelay.EVENT_ID_HEADER));
            byId.putIfAbsent(event.getEventId(), event);
        }
        return List.copyOf(byId.values());
    }

    private static MetricEvent parse(byte[] value) {
        try {
            return MetricEvent.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("not a MetricEvent", e);
        }
    }

    private static CreateVersionRequest version(String project, String id, int parent, String note) {
        return CreateVersionRequest.newBuilder().setProjectId(project).setMetricId(id).setParentVersion(parent)
                .setContent(content(TEMPLATE, note)).setAuthor(ALICE).setChangeNote(note).build();
    }
}
