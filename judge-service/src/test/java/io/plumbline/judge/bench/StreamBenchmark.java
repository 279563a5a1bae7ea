package io.plumbline.judge.bench;

import static io.plumbline.judge.OtlpSpans.attr;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.proto.trace.v1.Span;
import io.plumbline.common.kafka.Topic;
import io.plumbline.judge.OtlpSpans;
import io.plumbline.judge.StreamFixture;
import io.plumbline.judge.intake.SpanStreamConsumer;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.testing.KafkaBroker;
import io.plumbline.testing.llm.Latency;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Reply;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.awaitility.Awaitility;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Throughput figures for the README, not a test of behaviour: not part of {@code verify} (the name does not end in
 * Test). Run with {@code ./mvnw -B -ntp -o -f judge-service/pom.xml verify -Dtest=StreamBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false} (defaults {@code -Dbench.spans=200000 -Dbench.evaluations=9000 -Dbench.rounds=3}).
 *
 * <p>Both read a topic of their own, pre-filled with realistic OTLP records (one trace of 10 GenAI spans of ~1 KB per
 * record, as the receivers and the Collector write them), through {@link SpanStreamConsumer#consume} a poll at a
 * time, exactly as the {@code otlp_spans} channel calls it (the channel itself reads {@code otlp_spans}; a topic of
 * its own keeps the measurement free of it).
 * <ol>
 * <li>Intake: spans per second through decode, normalize and assembly (committed in PostgreSQL), against a raw
 * KafkaConsumer reading the same records in the same run (median of the rounds; one intake pass per round over a fresh
 * topic). Both rates run from the first record in hand: a consumer's start (about a second to join its group) would
 * otherwise dominate the raw side of a small topic and flatter the ratio (at 50,000 spans the raw rate measured with
 * it was a quarter of the real one). The size is 1,000,000 spans.</li>
 * <li>Judging: the stand-in answers after a fixed 300 ms, provider and judging concurrency 1,000; evaluations per
 * second from the first record read to the last evaluation emitted on {@code plumbline.evaluations}; the CPU this
 * JVM spent per evaluation; a timeline (each second: calls in flight at the stand-in, evaluations emitted, this JVM's
 * share of the machine's CPU); and the heap after GC against the maximum heap. This JVM also hosts the Kafka broker
 * and the stand-in: run it with {@code -DargLine=-Xmx512m} and all three fit in the service's heap floor. The median
 * is of the {@code bench.rounds} rounds after {@code bench.warmup} (5) warm-up rounds: the JIT compiler takes several
 * rounds to reach a running service's speed (the CPU per evaluation falls from 1.5-1.7 ms in the first round to
 * 0.9-1.0 in the third and about 0.5 from the seventh on). The measure of the rounds 3-5 (2 warm-up rounds, as until
 * 2026-12-06) is printed beside it.</li>
 * </ol>
 */
@QuarkusTest
@TestProfile(StreamBenchmark.Profile.class)
class StreamBenchmark {

    /** Provider and judging concurrency 1,000. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("plumbline.llm.providers.patient.max-concurrency", "1000",
                    "plumbline.llm.providers.patient.timeout", "30s",
                    "plumbline.judging.concurrency", "1000",
                    "plumbline.assembly.batch-size", "1000",
                    "quarkus.datasource.reactive.max-size", "32",
                    "plumbline.test.record-spans", "false",
                    "quarkus.log.category.\"io.plumbline\".level", "WARN");
        }
    }

    static final int SPANS_PER_TRACE = 10;

    @Inject
    SpanStreamConsumer consumer;

    @Inject
    MeterRegistry meters;

    @GrpcClient("judge")
    JudgeGrpc.JudgeBlockingStub judge;

    @Test
    void intake() throws Exception {
        int spans = Integer.getInteger("bench.spans", 200_000);
        int rounds = Integer.getInteger("bench.rounds", 3);
        List<Double> raw = new ArrayList<>();
        List<Double> pipeline = new ArrayList<>();
        int size = 0;
        for (int round = 0; round < rounds; round++) {
            String topic = "bench_spans_" + UUID.randomUUID().toString().substring(0, 8);
            size = prefill(topic, "bench-intake", spans / SPANS_PER_TRACE);
            long cpuStart = processCpuNanos();
            raw.add(spans / readSeconds(topic, spans / SPANS_PER_TRACE, false));
            long cpuRaw = processCpuNanos();
            long allocatedRaw = allocatedBytes();
            long consumingThreadStart = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            pipeline.add(spans / readSeconds(topic, spans / SPANS_PER_TRACE, true));
            long cpuPipeline = processCpuNanos();
            long consumingThread = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - consumingThreadStart;
            long allocatedPipeline = allocatedBytes() - allocatedRaw;
            System.out.printf("BENCH intake round %d: raw %.0f spans/s, decode+normalize+assembly %.0f spans/s; CPU of this"
                            + " JVM per span: raw %.1f us, pipeline %.1f us (with the closer's work meanwhile), of which"
                            + " the consuming thread (poll, decode, normalize) %.1f us; heap allocated per span by the"
                            + " pipeline %.1f KB%n",
                    round + 1, raw.get(round), pipeline.get(round), (cpuRaw - cpuStart) / 1e3 / spans,
                    (cpuPipeline - cpuRaw) / 1e3 / spans, consumingThread / 1e3 / spans,
                    allocatedPipeline / 1024.0 / spans);
        }
        double rawMedian = median(raw);
        double pipelineMedian = median(pipeline);
        System.out.printf("BENCH intake: %d spans (%d per trace, %d bytes per record), %d rounds: raw consumer median"
                        + " %.0f spans/s, decode+normalize+assembly median %.0f spans/s, ratio %.3f (floor 0.25, goal 0.5)%n",
                spans, SPANS_PER_TRACE, size, rounds, rawMedian, pipelineMedian, pipelineMedian / rawMedian);
    }

    @Test
    void judging() throws Exception {
        // every LLM call span of a trace is judged; the agent root span carries no GenAI content
        int traces = Integer.getInteger("bench.evaluations", 9_000) / (SPANS_PER_TRACE - 1);
        int evaluations = traces * (SPANS_PER_TRACE - 1);
        int rounds = Integer.getInteger("bench.rounds", 3);
        int warmup = Integer.getInteger("bench.warmup", 5);
        List<Double> rates = new ArrayList<>();
        List<Double> allRates = new ArrayList<>();
        try (LlmStandIn llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class));
                StreamFixture stream = new StreamFixture(judge)) {
            llm.byDefault(Reply.judgment(true, "Fine.").usage(400, 40)).keepRequests(false);
            String metricId = stream.publish("bench-helpfulness", Level.LEVEL_SPAN, StreamFixture.all("every-span"));
            llm.latency(Latency.fixed(Duration.ofMillis(300)));
            for (int round = 0; round < warmup + rounds; round++) {
                String topic = "bench_judge_" + UUID.randomUUID().toString().substring(0, 8);
                prefill(topic, stream.project, traces);
                System.gc();
                AtomicLong liveHeap = new AtomicLong();
                try (var emitted = new KafkaConsumer<byte[], byte[]>(consumerProperties("bench-evaluations-" + UUID.randomUUID()))) {
                    emitted.subscribe(List.of(Topic.EVALUATIONS.topicName()));
                    emitted.poll(Duration.ofSeconds(2)); // joined; reads from the end
                    emitted.seekToEnd(emitted.assignment());
                    emitted.assignment().forEach(emitted::position);
                    long start = System.nanoTime();
                    long cpuStart = processCpuNanos();
                    AtomicInteger seen = new AtomicInteger();
                    List<String> timeline = Collections.synchronizedList(new ArrayList<>());
                    var sampler = Executors.newSingleThreadScheduledExecutor();
                    sampler.scheduleAtFixedRate(() -> {
                        timeline.add(String.format("%.0fs %d/%d/%.0f%%", (System.nanoTime() - start) / 1e9,
                                llm.inFlight(), seen.get(), 100 * processCpuLoad()));
                        liveHeap.accumulateAndGet(heapAfterLastGc(), Math::max);
                    }, 1, 1, TimeUnit.SECONDS);
                    long firstRecord = read(topic, traces, true);
                    while (seen.get() < evaluations) {
                        for (ConsumerRecord<byte[], byte[]> record : emitted.poll(Duration.ofMillis(200))) {
                            // evaluation events are keyed by their metric: counted without parsing them
                            if (metricId.equals(new String(record.key(), StandardCharsets.UTF_8))) {
                                seen.incrementAndGet();
                            }
                        }
                    }
                    sampler.shutdownNow();
                    double window = (System.nanoTime() - start) / 1e9;
                    double rate = evaluations / ((System.nanoTime() - firstRecord) / 1e9);
                    System.out.printf("BENCH judging round %d timeline (in flight at the stand-in/emitted/this JVM's CPU"
                            + " of the machine): %s%n", round + 1, String.join(", ", timeline));
                    System.out.printf("BENCH judging round %d: CPU of this JVM %.2f ms per evaluation, %.2f cores%n",
                            round + 1, (processCpuNanos() - cpuStart) / 1e6 / evaluations,
                            (processCpuNanos() - cpuStart) / 1e9 / window);
                    allRates.add(rate);
                    if (round >= warmup) {
                        rates.add(rate);
                    }
                    System.out.printf("BENCH judging round %d%s: %.0f evaluations/s stored and emitted, heap after GC at"
                                    + " most %d MB of a %d MB maximum, stand-in peak in flight %d%n", round + 1,
                            round < warmup ? " (warm-up)" : "", rate,
                            liveHeap.get() / (1024 * 1024), Runtime.getRuntime().maxMemory() / (1024 * 1024),
                            llm.maxInFlight());
                }
            }
        }
        System.out.printf("BENCH judging: %d evaluations per round, %d rounds after %d warm-up, 300 ms latency, concurrency"
                + " 1000: median %.0f evaluations/s (floor 2000); median of rounds 3-5 (2 warm-up rounds, the measure until"
                + " 2026-12-06) %.0f; median of the first three rounds, warm-up included (the measure before 2026-12-06)"
                + " %.0f%n", evaluations, rounds, warmup, median(rates),
                median(allRates.subList(Math.min(2, allRates.size()), Math.min(5, allRates.size()))),
                median(allRates.subList(0, Math.min(3, allRates.size()))));
    }

    /** Fills a new 6-partition topic with one record per trace; returns the size of one record. */
    private static int prefill(String topic, String project, int traces) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaBroker.shared().bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 6, (short) 1))).all().get();
            // a producer that writes before every partition has a leader may be refused and stall on its retries
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> admin.describeTopics(List.of(topic))
                    .allTopicNames().get().get(topic).partitions().stream().allMatch(p -> p.leader() != null));
        }
        int size = 0;
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers",
                KafkaBroker.shared().bootstrapServers(), "linger.ms", "20", "batch.size", "262144", "compression.type", "none"),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < traces; i++) {
                String traceId = OtlpSpans.newTraceId();
                byte[] value = trace(traceId, project, i).toByteArray();
                size = value.length;
                producer.send(new ProducerRecord<>(topic, traceId, value));
            }
            producer.flush();
        }
        return size;
    }

    /** A realistic agent trace: an agent root span and 9 LLM calls with JSON messages, tokens, a session. */
    static io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest trace(String traceId, String project,
            int n) {
        Span.Builder root = OtlpSpans.span(traceId, "invoke_agent travel-planner", attr("gen_ai.operation.name", "invoke_agent"),
                attr("gen_ai.agent.name", "travel-planner"), attr("gen_ai.conversation.id", "bench-session-" + (n / 5)));
        Span.Builder[] spans = new Span.Builder[SPANS_PER_TRACE];
        spans[0] = root;
        for (int i = 1; i < SPANS_PER_TRACE; i++) {
            spans[i] = OtlpSpans.span(traceId, "chat gpt-4o-mini", attr("gen_ai.operation.name", "chat"),
                    attr("gen_ai.provider.name", "openai"), attr("gen_ai.request.model", "gpt-4o-mini"),
                    attr("gen_ai.response.model", "gpt-4o-mini-2024-07-18"), attr("gen_ai.usage.input_tokens", 412L),
                    attr("gen_ai.usage.output_tokens", 96L), attr("gen_ai.conversation.id", "bench-session-" + (n / 5)),
                    attr("gen_ai.input.messages", "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":"
                            + "\"You are a travel planner. Answer briefly and cite the sources you used.\"}]},"
                            + "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Step " + i + " of trip " + n
                            + ": find a hotel near the old town of Lisbon for two nights in May, under 150 euros a night,"
                            + " with breakfast, and tell me how far it is from the tram 28 line.\"}]}]"),
                    attr("gen_ai.output.messages", "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                            + "\"Hotel Alfama Patio (132 EUR/night, breakfast included) is 250 m from the tram 28 stop"
                            + " Largo das Portas do Sol. Alternative: Memmo Alfama, 148 EUR, 400 m away. Step " + i
                            + ".\"}],\"finish_reason\":\"stop\"}]"))
                    .setParentSpanId(root.getSpanId());
        }
        return OtlpSpans.request(OtlpSpans.resource("service.name", "travel-agent", "service.version", "1.4.2",
                "telemetry.sdk.language", "python", "plumbline.project", project), spans);
    }

    /**
     * Reads every record of the topic (a fresh group): only polling, or handing each poll to the intake like the channel.
     * Returns when the first record was in hand ({@link System#nanoTime()}): rates are taken from there, so that the
     * consumer's start (joining its group, a second or so) is not counted against either side.
     */
    private long read(String topic, int records, boolean intake) {
        try (var kafka = new KafkaConsumer<byte[], byte[]>(consumerProperties("bench-" + UUID.randomUUID()))) {
            kafka.subscribe(List.of(topic));
            int seen = 0;
            long bytes = 0;
            long first = 0;
            while (seen < records) {
                ConsumerRecords<byte[], byte[]> polled = kafka.poll(Duration.ofMillis(200));
                if (first == 0 && !polled.isEmpty()) {
                    first = System.nanoTime();
                }
                for (ConsumerRecord<byte[], byte[]> record : polled) {
                    seen++;
                    bytes += record.value().length;
                }
                if (intake && !polled.isEmpty()) {
                    consumer.consume(polled).await().atMost(Duration.ofMinutes(2));
                }
            }
            if (bytes == 0) {
                throw new IllegalStateException("nothing read");
            }
            return first;
        }
    }

    /** Seconds from the first record in hand to the last one read (and, for the intake, stored). */
    private double readSeconds(String topic, int records, boolean intake) {
        long first = read(topic, records, intake);
        return (System.nanoTime() - first) / 1e9;
    }

    private static Properties consumerProperties(String group) {
        Properties properties = new Properties();
        properties.put("bootstrap.servers", KafkaBroker.shared().bootstrapServers());
        properties.put("group.id", group);
        properties.put("auto.offset.reset", "earliest");
        properties.put("enable.auto.commit", "false");
        properties.put("key.deserializer", ByteArrayDeserializer.class.getName());
        properties.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return properties;
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        if (n == 0) {
            return Double.NaN; // too few rounds for that measure
        }
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Heap bytes allocated by every thread of this JVM so far, ended ones included. */
    static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getTotalThreadAllocatedBytes();
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double processCpuLoad() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuLoad();
    }

    /** The heap in use right after the last collection: what the live objects took, not what garbage had filled. */
    private static long heapAfterLastGc() {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && p.getCollectionUsage() != null)
                .mapToLong(p -> p.getCollectionUsage().getUsed()).sum();
    }
}
