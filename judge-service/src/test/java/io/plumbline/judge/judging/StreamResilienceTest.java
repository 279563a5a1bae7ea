package io.plumbline.judge.judging;

import static io.plumbline.judge.StreamFixture.chat;
import static io.plumbline.judge.StreamFixture.spanId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.judge.OtlpSpans;
import io.plumbline.judge.StreamFixture;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.testing.KafkaBroker;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Match;
import io.plumbline.testing.llm.Reply;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every record is judged exactly once through a broker restart mid-stream and through a storm of 429s with
 * Retry-After: counted on the stored evaluations.
 */
@QuarkusTest
class StreamResilienceTest {

    @GrpcClient("judge")
    JudgeGrpc.JudgeBlockingStub judge;

    LlmStandIn llm;
    StreamFixture stream;

    @BeforeEach
    void start() {
        llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class));
        llm.byDefault(Reply.judgment(true, "Fine."));
        stream = new StreamFixture(judge);
    }

    @AfterEach
    void stop() {
        stream.close();
        llm.close();
        if (!KafkaBroker.shared().isRunning()) {
            KafkaBroker.shared().start();
        }
    }

    @Test
    void aBrokerRestartMidStreamLosesAndDuplicatesNothing() {
        String spanMetric = stream.publish("restart-span", Level.LEVEL_SPAN, StreamFixture.all("spans"));
        String traceMetric = stream.publish("restart-trace", Level.LEVEL_TRACE, StreamFixture.all("traces"));
        Set<String> traces = new HashSet<>();
        Set<String> spans = new HashSet<>();
        KafkaBroker broker = KafkaBroker.shared();
        for (int i = 0; i < 40; i++) {
            if (i == 20) {
                stream.flush();
                // mid-stream: records in flight, offsets not yet committed, traces half assembled, judgments pending
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !stream.evaluations(spanMetric).isEmpty());
                broker.stop(); // a controlled shutdown; the consumer loses its fetches and commits meanwhile
                broker.start();
            }
            String traceId = OtlpSpans.newTraceId();
            var root = chat(traceId, null, "Restart question " + i, "Answer " + i + ".");
            var call = chat(traceId, spanId(root), "Inner question " + i, "Inner answer " + i + ".");
            traces.add(traceId);
            spans.add(traceId + "/" + spanId(root));
            spans.add(traceId + "/" + spanId(call));
            stream.sendAsync(call);
            stream.sendAsync(root);
        }
        stream.flush();

        assertEquals(spans, awaitOncePerRecord(spanMetric, spans.size()));
        assertEquals(traces, awaitOncePerRecord(traceMetric, traces.size()));
    }

    @Test
    void a429StormWithRetryAfterIsAbsorbed() {
        String spanMetric = stream.publish("storm-span", Level.LEVEL_SPAN, StreamFixture.all("spans"));
        String traceMetric = stream.publish("storm-trace", Level.LEVEL_TRACE, StreamFixture.all("traces"));
        var storm = llm.when(Match.contentContains("Storm question")).times(12).reply(Reply.rateLimited(Duration.ofSeconds(1)));
        Set<String> traces = new HashSet<>();
        Set<String> spans = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            String traceId = OtlpSpans.newTraceId();
            var root = chat(traceId, null, "Storm question " + i, "Answer " + i + ".");
            traces.add(traceId);
            spans.add(traceId + "/" + spanId(root));
            stream.send(root);
        }

        assertEquals(spans, awaitOncePerRecord(spanMetric, spans.size()));
        assertEquals(traces, awaitOncePerRecord(traceMetric, traces.size()));
        assertEquals(12, storm.hits(), "every scripted 429 was answered");
        assertTrue(stream.evaluations(spanMetric).stream().allMatch(e -> e.getStatus() == Evaluation.Status.STATUS_OK));
        assertTrue(stream.evaluations(traceMetric).stream().allMatch(e -> e.getStatus() == Evaluation.Status.STATUS_OK));
    }

    /** Waits for {@code count} evaluations, checks that none follows, and that each record has exactly one. */
    private Set<String> awaitOncePerRecord(String metricId, int count) {
        Awaitility.await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(1))
                .until(() -> stream.evaluations(metricId).size() >= count);
        Awaitility.await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(30))
                .until(() -> stream.evaluations(metricId).size() == count);
        List<Evaluation> evaluations = stream.evaluations(metricId);
        Map<String, Long> perRecord = evaluations.stream()
                .collect(Collectors.groupingBy(e -> e.getRecord().getRecordId(), Collectors.counting()));
        assertTrue(perRecord.values().stream().allMatch(n -> n == 1), perRecord.toString());
        return perRecord.keySet();
    }
}
