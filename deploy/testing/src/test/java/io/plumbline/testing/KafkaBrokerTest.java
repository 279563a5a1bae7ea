package io.plumbline.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import io.plumbline.common.kafka.Topic;

class KafkaBrokerTest {

    @Test
    void sharedBrokerCreatesEveryTopicWithItsPartitionCountIdempotently() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        assertTrue(broker.isRunning());
        broker.createTopics();
        broker.createTopics();

        try (Admin admin = KafkaBroker.admin(broker.bootstrapServers())) {
            Set<String> names = admin.listTopics().names().get(10, TimeUnit.SECONDS);
            assertTrue(names.containsAll(Topic.allTopicNames()), names::toString);
            Map<String, TopicDescription> described =
                    admin.describeTopics(Topic.allTopicNames()).allTopicNames().get(10, TimeUnit.SECONDS);
            for (Topic topic : Topic.values()) {
                assertEquals(topic.partitions(), described.get(topic.topicName()).partitions().size(), topic.topicName());
                assertEquals(topic.partitions(), described.get(topic.deadLetterTopicName()).partitions().size());
            }
        }
        assertTrue(KafkaBroker.shared() == broker, "one shared instance per class loader");
    }

    @Test
    void producedRecordIsConsumedWithItsHeaders() {
        KafkaBroker broker = KafkaBroker.shared();
        broker.createTopics(Map.of("testing.roundtrip", 2));
        try (KafkaTestConsumer consumer = KafkaTestConsumer.fromBeginning("testing.roundtrip");
             KafkaProducer<byte[], byte[]> producer = producer(broker)) {
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>("testing.roundtrip", bytes("k1"), bytes("v1"));
            record.headers().add("reason", bytes("because"));
            producer.send(record);
            producer.flush();

            var got = consumer.awaitRecord(r -> "k1".equals(KafkaTestConsumer.key(r)), Duration.ofSeconds(30));
            assertEquals("v1", new String(got.value(), StandardCharsets.UTF_8));
            assertEquals("because", KafkaTestConsumer.header(got, "reason"));
        }
    }

    @Test
    void fromNowSkipsOlderRecordsAndSeesTopicsCreatedLater() {
        KafkaBroker broker = KafkaBroker.shared();
        broker.createTopics(Map.of("testing.from-now", 3));
        try (KafkaProducer<byte[], byte[]> producer = producer(broker)) {
            producer.send(new ProducerRecord<>("testing.from-now", bytes("old"), bytes("old")));
            producer.flush();
            try (KafkaTestConsumer consumer = KafkaTestConsumer.fromNow(broker.bootstrapServers(),
                    List.of("testing.from-now", "testing.created-later"))) {
                producer.send(new ProducerRecord<>("testing.from-now", bytes("new"), bytes("new")));
                producer.flush();
                broker.createTopics(Map.of("testing.created-later", 1));
                producer.send(new ProducerRecord<>("testing.created-later", bytes("later"), bytes("later")));
                producer.flush();

                var records = consumer.awaitCount(2, Duration.ofSeconds(30));
                assertEquals(Set.of("new", "later"),
                        Set.copyOf(records.stream().map(KafkaTestConsumer::key).toList()));
                assertTrue(consumer.readFor(Duration.ofMillis(300)).size() == 2, "nothing else arrives");
            }
        }
    }

    @Test
    void stopAndStartKeepPortsAndData() {
        KafkaBroker broker = KafkaBroker.shared();
        broker.createTopics(Map.of("testing.restart", 1));
        String bootstrap = broker.bootstrapServers();
        int controllerPort = broker.controllerPort();
        try (KafkaProducer<byte[], byte[]> producer = producer(broker)) {
            producer.send(new ProducerRecord<>("testing.restart", bytes("before"), bytes("1")));
            producer.flush();
        }

        long stopping = System.nanoTime();
        long starting = stopping;
        try {
            broker.stop();
            assertFalse(broker.isRunning());
        } finally {
            starting = System.nanoTime();
            broker.start();
        }
        System.out.printf("[timing] broker stop %d ms, restart %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(starting - stopping), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - starting));
        assertTrue(broker.isRunning());
        assertEquals(bootstrap, broker.bootstrapServers());
        assertEquals(controllerPort, broker.controllerPort());

        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
             KafkaTestConsumer consumer = KafkaTestConsumer.fromBeginning("testing.restart")) {
            producer.send(new ProducerRecord<>("testing.restart", bytes("after"), bytes("2")));
            producer.flush();
            var records = consumer.awaitCount(2, Duration.ofSeconds(30));
            assertEquals(List.of("before", "after"), records.stream().map(KafkaTestConsumer::key).toList());
        }
    }

    @Test
    void producerBuffersDuringAnOutageAndDeliversAfterRestart() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        broker.createTopics(Map.of("testing.outage", 1));
        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
             KafkaTestConsumer consumer = KafkaTestConsumer.fromNow("testing.outage")) {
            producer.send(new ProducerRecord<>("testing.outage", bytes("before"), bytes("x")));
            producer.flush(); // the producer knows the topic's metadata: sends during the outage are buffered
            broker.stop();
            // send() may block while the broker is away: Kafka 4 clients re-bootstrap and forget the metadata
            // (up to max.block.ms), so the send runs on its own thread while this one restarts the broker.
            CompletableFuture<?> sent = CompletableFuture.supplyAsync(
                    () -> producer.send(new ProducerRecord<>("testing.outage", bytes("during"), bytes("x"))));
            broker.start();
            sent.get(60, TimeUnit.SECONDS);
            producer.flush();
            var records = consumer.awaitCount(2, Duration.ofSeconds(60));
            assertEquals(List.of("before", "during"), records.stream().map(KafkaTestConsumer::key).toList());
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(KafkaBroker broker) {
        Map<String, Object> props = new HashMap<>(broker.clientProperties());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        return new KafkaProducer<>(props);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
