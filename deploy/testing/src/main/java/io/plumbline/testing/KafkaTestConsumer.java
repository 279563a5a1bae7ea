package io.plumbline.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads topics for a test and waits until what it has read satisfies a condition.
 *
 * <p>No consumer group: the partitions are assigned directly, from the beginning ({@link #fromBeginning}) or from
 * the end offsets at the moment of creation ({@link #fromNow}), so there is no rebalance to wait for and nothing
 * is committed. Keys and values are raw bytes; headers are on each record ({@link #header} reads one as text). A
 * topic that does not exist yet is picked up as soon as it does. The consumer survives a broker restart.
 *
 * <pre>{@code
 * try (KafkaTestConsumer events = KafkaTestConsumer.fromNow(Topic.METRICS.topicName())) {
 *     ... act ...
 *     List<ConsumerRecord<byte[], byte[]>> got = events.awaitCount(3, Duration.ofSeconds(20));
 *     MetricEvent first = MetricEvent.parseFrom(got.get(0).value());
 * }
 * }</pre>
 *
 * Not thread-safe: use it from the test thread.
 */
public final class KafkaTestConsumer implements AutoCloseable {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(100);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<String> topics;
    private final boolean fromBeginning;
    private final Set<TopicPartition> assigned = new HashSet<>();
    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();

    private KafkaTestConsumer(String bootstrapServers, Collection<String> topics, boolean fromBeginning) {
        if (topics.isEmpty()) {
            throw new IllegalArgumentException("No topic to read");
        }
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "plumbline-test-consumer");
        props.put(ConsumerConfig.RECONNECT_BACKOFF_MS_CONFIG, 50);
        props.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        this.consumer = new KafkaConsumer<>(props);
        this.topics = List.copyOf(topics);
        this.fromBeginning = fromBeginning;
        try {
            assignNewPartitions(true);
        } catch (RuntimeException e) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
            throw e;
        }
    }

    /** Reads {@code topics} of the shared broker from their first offset. */
    public static KafkaTestConsumer fromBeginning(String... topics) {
        return fromBeginning(KafkaBroker.shared().bootstrapServers(), List.of(topics));
    }

    /** Reads {@code topics} of the shared broker from their end at this moment: only what is produced afterwards. */
    public static KafkaTestConsumer fromNow(String... topics) {
        return fromNow(KafkaBroker.shared().bootstrapServers(), List.of(topics));
    }

    public static KafkaTestConsumer fromBeginning(String bootstrapServers, Collection<String> topics) {
        return new KafkaTestConsumer(bootstrapServers, topics, true);
    }

    public static KafkaTestConsumer fromNow(String bootstrapServers, Collection<String> topics) {
        return new KafkaTestConsumer(bootstrapServers, topics, false);
    }

    /**
     * Polls until {@code condition} holds for everything read so far (in arrival order; per partition, in offset
     * order) and returns a copy of it; throws {@link AssertionError} with what was read when {@code timeout} passes.
     */
    public List<ConsumerRecord<byte[], byte[]>> await(Predicate<List<ConsumerRecord<byte[], byte[]>>> condition,
                                                      Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.test(List.copyOf(records))) {
                return List.copyOf(records);
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new AssertionError("Condition not met within " + timeout + " on " + topics + "; read "
                        + records.size() + " record(s): " + summary());
            }
            pollOnce(Duration.ofNanos(Math.min(remaining, POLL.toNanos())));
        }
    }

    /** Polls until at least {@code count} records were read; returns them all. */
    public List<ConsumerRecord<byte[], byte[]>> awaitCount(int count, Duration timeout) {
        return await(all -> all.size() >= count, timeout);
    }

    /** Polls until some record satisfies {@code match}; returns the first that does. */
    public ConsumerRecord<byte[], byte[]> awaitRecord(Predicate<ConsumerRecord<byte[], byte[]>> match, Duration timeout) {
        return await(all -> all.stream().anyMatch(match), timeout).stream().filter(match).findFirst().orElseThrow();
    }

    /**
     * Polls for {@code duration} and returns what was read: for asserting that something does <em>not</em> arrive.
     */
    public List<ConsumerRecord<byte[], byte[]>> readFor(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        long remaining;
        while ((remaining = deadline - System.nanoTime()) > 0) {
            pollOnce(Duration.ofNanos(Math.min(remaining, POLL.toNanos())));
        }
        return List.copyOf(records);
    }

    /** Everything read so far, without polling. */
    public List<ConsumerRecord<byte[], byte[]>> records() {
        return List.copyOf(records);
    }

    /** Forgets what was read so far (the position stays): the next await sees only newer records. */
    public void clear() {
        records.clear();
    }

    /** The last header {@code name} of {@code record} as UTF-8 text, or null. */
    public static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** The key of {@code record} as UTF-8 text, or null. */
    public static String key(ConsumerRecord<byte[], ?> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }

    private void pollOnce(Duration timeout) {
        if (topicsWithPartitions() < topics.size()) {
            assignNewPartitions(false);
        }
        if (assigned.isEmpty()) {
            // Nothing exists yet: asking for metadata again is the wait (bounded by the consumer's API timeout).
            consumer.listTopics(timeout);
            return;
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
            records.add(record);
        }
    }

    private int topicsWithPartitions() {
        Set<String> withPartitions = new HashSet<>();
        for (TopicPartition tp : assigned) {
            withPartitions.add(tp.topic());
        }
        return withPartitions.size();
    }

    /**
     * Assigns the partitions of the requested topics not assigned yet. Partitions found at creation start at the
     * beginning or, for {@link #fromNow}, at their end offset now; partitions that appear later hold only newer
     * records, so they start at the beginning.
     */
    private void assignNewPartitions(boolean atCreation) {
        Map<String, List<PartitionInfo>> all = consumer.listTopics(Duration.ofSeconds(10));
        Set<TopicPartition> wanted = new HashSet<>(assigned);
        Set<TopicPartition> added = new HashSet<>();
        for (String topic : topics) {
            for (PartitionInfo p : all.getOrDefault(topic, List.of())) {
                TopicPartition tp = new TopicPartition(p.topic(), p.partition());
                if (wanted.add(tp)) {
                    added.add(tp);
                }
            }
        }
        if (added.isEmpty()) {
            return;
        }
        consumer.assign(wanted);
        if (fromBeginning || !atCreation) {
            consumer.seekToBeginning(added);
        } else {
            consumer.endOffsets(added).forEach(consumer::seek);
        }
        for (TopicPartition tp : added) {
            consumer.position(tp); // resolve the positions now, not at the first poll
        }
        assigned.addAll(added);
    }

    private String summary() {
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (shown++ == 10) {
                sb.append(" ...");
                break;
            }
            sb.append("\n  ").append(r.topic()).append('-').append(r.partition()).append('@').append(r.offset())
                    .append(" key=").append(key(r)).append(" value=")
                    .append(r.value() == null ? "null" : r.value().length + " bytes");
        }
        return sb.toString();
    }
}
