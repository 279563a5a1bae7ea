package io.plumbline.judge.judging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.plumbline.common.kafka.Topic;
import io.plumbline.judge.OtlpSpans;
import io.plumbline.judge.StreamFixture;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.plumbline.testing.KafkaTestConsumer;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Reply;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Span records are judged as they arrive and their evaluations leave as they are stored: with the closer's schedule and
 * the outbox relay's poll an hour apart, a span still becomes an emitted evaluation within seconds, because storing
 * spans wakes the claimer and the commit of evaluations wakes the relay (a PostgreSQL notification).
 */
@QuarkusTest
@TestProfile(JudgedOnArrivalTest.PollsAnHourApart.class)
class JudgedOnArrivalTest {

    public static class PollsAnHourApart implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("plumbline.assembly.close-interval", "1h", "plumbline.outbox.poll-interval", "1h");
        }
    }

    @GrpcClient("judge")
    io.plumbline.proto.judge.v1.JudgeGrpc.JudgeBlockingStub judge;

    @Test
    void aSpanIsJudgedAndItsEvaluationEmittedWithoutWaitingForAPoll() throws Exception {
        try (LlmStandIn llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class));
                StreamFixture stream = new StreamFixture(judge);
                var evaluations = KafkaTestConsumer.fromNow(Topic.EVALUATIONS.topicName())) {
            llm.byDefault(Reply.judgment(true, "Safe."));
            String metricId = stream.publish("on-arrival", Level.LEVEL_SPAN, StreamFixture.all("every-chat"));
            String traceId = OtlpSpans.newTraceId();
            int requestsBefore = llm.requests().size(); // publishing probes the catalog with an Evaluate

            long sent = System.nanoTime();
            stream.send(StreamFixture.chat(traceId, null, "Can I take ibuprofen?", "Ask your doctor."));
            var records = evaluations.await(all -> all.stream().anyMatch(r -> metricId.equals(new String(r.key()))),
                    Duration.ofSeconds(30));
            Duration took = Duration.ofNanos(System.nanoTime() - sent);

            EvaluationEvent event = records.stream().filter(r -> metricId.equals(new String(r.key())))
                    .map(r -> parse(r.value())).findFirst().orElseThrow();
            assertEquals(traceId, event.getEvaluation().getRecord().getTraceId());
            assertEquals(requestsBefore + 1, llm.requests().size(), "judged once");
            System.out.printf("span to emitted evaluation: %d ms (polls an hour apart)%n", took.toMillis());
        }
    }

    private static EvaluationEvent parse(byte[] value) {
        try {
            return EvaluationEvent.parseFrom(value);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
