package io.plumbline.judge.intake;

import static io.plumbline.judge.OtlpSpans.attr;
import static io.plumbline.judge.OtlpSpans.newTraceId;
import static io.plumbline.judge.OtlpSpans.request;
import static io.plumbline.judge.OtlpSpans.resource;
import static io.plumbline.judge.OtlpSpans.span;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.plumbline.common.kafka.Topic;
import io.plumbline.judge.OtlpSpans;
import io.plumbline.judge.normalize.NormalizedSpan;
import io.plumbline.proto.judge.v1.SourceConvention;
import io.plumbline.testing.KafkaBroker;
import io.plumbline.testing.KafkaTestConsumer;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;

/** Records on otlp_spans exactly as the OpenTelemetry Collector's Kafka exporter writes them. */
@QuarkusTest
class KafkaIntakeTest {

    private static KafkaProducer<String, byte[]> collector;

    @Inject
    RecordedSpans recorded;

    @BeforeAll
    static void collectorKafkaExporter() {
        collector = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void close() {
        collector.close(Duration.ofSeconds(5));
    }

    private static void write(String key, byte[] value) throws Exception {
        collector.send(new ProducerRecord<>(Topic.OTLP_SPANS.topicName(), key, value)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void otlpProtoAndOtlpJsonRecordsAreDecodedPerRecordAndNormalized() throws Exception {
        String protoTrace = newTraceId();
        String jsonTrace = newTraceId();
        ExportTraceServiceRequest proto = request(resource("service.name", "support-bot"),
                span(protoTrace, "chat gpt-4o-mini", attr("gen_ai.operation.name", "chat"),
                        attr("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Hi there\"}]}]"),
                        attr("gen_ai.output.messages", "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Hello!\"}]}]")),
                span(protoTrace, "execute_tool lookup", attr("gen_ai.operation.name", "execute_tool"),
                        attr("gen_ai.tool.name", "lookup")));
        String json = """
                {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"rag-api"}}]},
                 "scopeSpans":[{"scope":{"name":"openinference.instrumentation.openai"},"spans":[
                  {"traceId":"%s","spanId":"0af7651916cd43dd","name":"ChatCompletion","kind":3,
                   "startTimeUnixNano":"1763800000000000000","endTimeUnixNano":"1763800001000000000",
                   "attributes":[{"key":"openinference.span.kind","value":{"stringValue":"LLM"}},
                                 {"key":"input.value","value":{"stringValue":"What is our refund window?"}},
                                 {"key":"output.value","value":{"stringValue":"30 days."}},
                                 {"key":"llm.token_count.prompt","value":{"intValue":"12"}}],
                   "status":{"code":1},"someFutureField":true}]}]}]}""".formatted(jsonTrace);

        write(protoTrace, proto.toByteArray());
        write(jsonTrace, json.getBytes(StandardCharsets.UTF_8));

        List<NormalizedSpan> fromProto = recorded.await(protoTrace, 2);
        assertEquals("Hi there", fromProto.get(0).snapshot().getInput());
        assertEquals("Hello!", fromProto.get(0).snapshot().getOutput());
        assertEquals("support-bot", fromProto.get(0).snapshot().getResourceAttributesMap().get("service.name"));
        NormalizedSpan fromJson = recorded.await(jsonTrace, 1).get(0);
        assertEquals(SourceConvention.SOURCE_CONVENTION_OPENINFERENCE, fromJson.snapshot().getConvention());
        assertEquals("What is our refund window?", fromJson.snapshot().getInput());
        assertEquals("30 days.", fromJson.snapshot().getOutput());
        assertEquals(12, fromJson.snapshot().getTokenUsage().getInputTokens());
        assertEquals("0af7651916cd43dd", fromJson.spanId(), "hex ids of OTLP/JSON are read as hex");
        assertEquals(1_763_800_001_000_000_000L, fromJson.endTimeUnixNano());
        assertTrue(Metrics.value("plumbline_intake_records_decoded_total{encoding=\"otlp_json\"}") >= 1);
        assertTrue(Metrics.value("plumbline_intake_spans_normalized_total{convention=\"openinference\"}") >= 1);
    }

    @Test
    void poisonRecordsGoToTheDeadLetterTopicWithTheirReasonAndConsumptionGoesOn() throws Exception {
        byte[] garbage = "this is not OTLP at all".getBytes(StandardCharsets.UTF_8);
        byte[] brokenJson = "{\"resourceSpans\": [ {".getBytes(StandardCharsets.UTF_8);
        byte[] invalidIds = request(resource(), span("chat", attr("gen_ai.prompt", "q"))
                .setTraceId(OtlpSpans.bytes("0102"))).toByteArray();
        String after = newTraceId();
        double deadLetteredBefore = Metrics.value("plumbline_intake_records_dead_lettered_total{reason=\"undecodable\"}");

        try (var dlq = KafkaTestConsumer.fromNow(Topic.OTLP_SPANS.deadLetterTopicName())) {
            write("poison-1", garbage);
            write("poison-2", brokenJson);
            write("poison-3", invalidIds);
            write(after, request(resource(), span(after, "chat", attr("gen_ai.prompt", "still consumed?"),
                    attr("gen_ai.completion", "yes"))).toByteArray());

            assertEquals("still consumed?", recorded.await(after, 1).get(0).snapshot().getInput(),
                    "a record after the poison ones is consumed");
            List<ConsumerRecord<byte[], byte[]>> dead = dlq.await(all -> all.stream()
                    .filter(r -> KafkaTestConsumer.key(r).startsWith("poison-")).count() >= 3, Duration.ofSeconds(30));
            Map<String, ConsumerRecord<byte[], byte[]>> byKey = new java.util.HashMap<>();
            dead.forEach(r -> byKey.put(KafkaTestConsumer.key(r), r));

            assertArrayEquals(garbage, byKey.get("poison-1").value(), "the record is kept byte for byte for replay");
            assertTrue(reason(byKey.get("poison-1")).startsWith("undecodable otlp_proto"), reason(byKey.get("poison-1")));
            assertTrue(reason(byKey.get("poison-2")).startsWith("undecodable otlp_json"), reason(byKey.get("poison-2")));
            assertTrue(reason(byKey.get("poison-3")).contains("trace_id has 2 byte(s)"), reason(byKey.get("poison-3")));
            assertEquals(Topic.OTLP_SPANS.topicName(), KafkaTestConsumer.header(byKey.get("poison-1"), "dead-letter-topic"));
        }
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Metrics.value("plumbline_intake_records_dead_lettered_total{reason=\"undecodable\"}") >= deadLetteredBefore + 2);
        assertTrue(Metrics.value("plumbline_intake_records_dead_lettered_total{reason=\"invalid_span\"}") >= 1);
    }

    private static String reason(ConsumerRecord<byte[], byte[]> record) {
        return KafkaTestConsumer.header(record, "dead-letter-reason");
    }
}
