package io.plumbline.judge.assembly;

import static io.plumbline.judge.OtlpSpans.attr;
import static io.plumbline.judge.StreamFixture.chat;
import static io.plumbline.judge.StreamFixture.spanId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.judge.OtlpSpans;
import io.plumbline.judge.StreamFixture;
import io.plumbline.judge.intake.Metrics;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.GetRecordSnapshotRequest;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Match;
import io.plumbline.testing.llm.Reply;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Spans become span, trace and session records; each is judged once by the metrics of its level, however its spans
 * arrive (split over records, duplicated); a span arriving after its trace was judged is counted, not judged again; a
 * session closes on its explicit end attribute (the test profile's session idle gap is far longer than any test).
 */
@QuarkusTest
class AssemblyTest {

    @GrpcClient("judge")
    JudgeGrpc.JudgeBlockingStub judge;

    LlmStandIn llm;
    StreamFixture stream;

    @BeforeEach
    void start() {
        llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class));
        llm.byDefault(Reply.judgment(true, "Helpful."));
        stream = new StreamFixture(judge);
    }

    @AfterEach
    void stop() {
        stream.close();
        llm.close();
    }

    @Test
    void spanTraceAndSessionMetricsFireOncePerRecord() {
        String spanMetric = stream.publish("span-helpfulness", Level.LEVEL_SPAN, StreamFixture.all("every-span"));
        String traceMetric = stream.publish("trace-helpfulness", Level.LEVEL_TRACE, StreamFixture.all("every-trace"));
        String sessionMetric = stream.publish("session-helpfulness", Level.LEVEL_SESSION, StreamFixture.all("every-session"));
        String session = "conv-" + stream.project;
        double tracesBefore = Metrics.value("plumbline_assembly_records_total{level=\"trace\"");
        double sessionsBefore = Metrics.value("plumbline_assembly_records_total{level=\"session\"");

        // Trace 1: an agent root span and two LLM calls, the children exported before the root, one record sent twice.
        String trace1 = OtlpSpans.newTraceId();
        var root1 = chat(trace1, null, "Plan my trip to Lisbon", "Here is your plan for Lisbon.",
                attr("gen_ai.conversation.id", session));
        var call1 = chat(trace1, spanId(root1), "Find flights to Lisbon", "Flight TP123 at 9:00.");
        var call2 = chat(trace1, spanId(root1), "Find hotels in Lisbon", "Hotel Avenida.");
        stream.send(call1, call2);
        stream.send(call1, call2);
        stream.send(root1);
        String trace3 = OtlpSpans.newTraceId();
        var root3 = chat(trace3, null, "What time is it?", "Noon."); // no session
        stream.send(root3);
        awaitExactly(traceMetric, 2);
        // Trace 2 ends the session (sent once trace 1 is in: partitions are consumed in no particular order).
        String trace2 = OtlpSpans.newTraceId();
        var root2 = chat(trace2, null, "And a museum?", "The Gulbenkian.", attr("gen_ai.conversation.id", session),
                attr("plumbline.session.end", "true"))
                .setStartTimeUnixNano(OtlpSpans.START + 60_000_000_000L).setEndTimeUnixNano(OtlpSpans.START + 62_000_000_000L);
        stream.send(root2);

        List<Evaluation> traceEvaluations = awaitExactly(traceMetric, 3);
        assertEquals(Map.of(trace1, 1L, trace2, 1L, trace3, 1L), countByRecord(traceEvaluations));
        Evaluation trace1Evaluation = traceEvaluations.stream()
                .filter(e -> e.getRecord().getRecordId().equals(trace1)).findFirst().orElseThrow();
        assertEquals(Level.LEVEL_TRACE, trace1Evaluation.getRecord().getLevel());
        assertEquals(session, trace1Evaluation.getRecord().getSessionId());
        assertEquals("every-trace", trace1Evaluation.getBindingName());

        List<Evaluation> sessionEvaluations = awaitExactly(sessionMetric, 1);
        assertEquals(session, sessionEvaluations.get(0).getRecord().getRecordId());
        assertEquals(Level.LEVEL_SESSION, sessionEvaluations.get(0).getRecord().getLevel());

        assertTrue(Metrics.value("plumbline_assembly_records_total{level=\"trace\"") >= tracesBefore + 3,
                "the assembled trace records are counted");
        assertTrue(Metrics.value("plumbline_assembly_records_total{level=\"session\"") >= sessionsBefore + 1,
                "the assembled session record is counted");

        List<Evaluation> spanEvaluations = awaitExactly(spanMetric, 5);
        assertEquals(5, countByRecord(spanEvaluations).size(), "each of the five spans once");

        // What the trace judge saw: the whole trace, root input and output, every call's messages once.
        var traceRecord = judge.getRecordSnapshot(GetRecordSnapshotRequest.newBuilder().setProjectId(stream.project)
                .setEvaluationId(trace1Evaluation.getId()).build());
        assertEquals(3, traceRecord.getSpanCount());
        assertEquals("Plan my trip to Lisbon", traceRecord.getInput());
        assertEquals("Here is your plan for Lisbon.", traceRecord.getOutput());
        assertEquals(6, traceRecord.getMessagesCount(), traceRecord.getMessagesList().toString());
        assertEquals(36, traceRecord.getTokenUsage().getInputTokens());
        var sessionRecord = judge.getRecordSnapshot(GetRecordSnapshotRequest.newBuilder().setProjectId(stream.project)
                .setEvaluationId(sessionEvaluations.get(0).getId()).build());
        assertEquals(2, sessionRecord.getTraceCount());
        assertEquals(4, sessionRecord.getSpanCount());
        assertEquals(1, llm.requests(Match.contentContains("session-helpfulness").and(Match.contentContains("Gulbenkian"))
                .and(Match.contentContains("Lisbon"))).size(), "the session judge saw both traces, once");
    }

    @Test
    void aSpanAfterItsTraceWasJudgedIsCountedNotJudgedAgain() {
        String traceMetric = stream.publish("trace-late", Level.LEVEL_TRACE, StreamFixture.all("every-trace"));
        String trace = OtlpSpans.newTraceId();
        var root = chat(trace, null, "Summarise the report", "The report says sales grew.");
        stream.send(root);
        awaitExactly(traceMetric, 1);
        double lateBefore = Metrics.value("plumbline_assembly_late_spans_total{level=\"trace\"");

        stream.send(chat(trace, spanId(root), "Late question", "Late answer."));

        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
                Metrics.value("plumbline_assembly_late_spans_total{level=\"trace\"") >= lateBefore + 1);
        awaitExactly(traceMetric, 1);
        assertEquals(1, llm.requests(Match.contentContains("trace-late")
                .and(Match.contentContains("Summarise the report"))).size(), "the trace was judged once");
    }

    @Test
    void aTraceNoMetricJudgesIsStoredJudgedAndNeverClaimed() {
        String spanMetric = stream.publish("span-only", Level.LEVEL_SPAN, StreamFixture.all("every-span"));
        String trace = OtlpSpans.newTraceId();
        stream.send(chat(trace, null, "Which museum opens on Mondays?", "The Gulbenkian does not; MAAT does."));
        awaitExactly(spanMetric, 1);

        var ref = RecordRef.newBuilder().setProjectId(stream.project).setLevel(Level.LEVEL_TRACE).setRecordId(trace).build();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> traceRow(trace) != null);
        var traceRecord = judge.getRecordSnapshot(GetRecordSnapshotRequest.newBuilder().setProjectId(stream.project)
                .setRecord(ref).build());
        assertEquals("Which museum opens on Mondays?", traceRecord.getInput(), "the trace record is stored all the same");
        assertEquals(List.of(true, false), traceRow(trace),
                "judged when stored, and no replica claimed it: no trace metric in its project");
    }

    @Test
    void aSpanStoredInTwoBatchesIsAssembledOnce() {
        // A record read again in another poll stores its spans again, in a batch of another make-up: here span b is in
        // both batches of an idle trace whose root ended an hour ago, so the next close takes it.
        String trace = OtlpSpans.newTraceId();
        pool.withTransaction(connection -> connection.preparedQuery("""
                                insert into assembly_trace (trace_id, project_id, root_ended, first_span_at, last_span_at)
                                values ($1, $2, true, now() - interval '1 hour', now() - interval '1 hour')""")
                        .execute(Tuple.of(trace, stream.project))
                        .chain(() -> connection.preparedQuery("""
                                        insert into assembly_span_batch (trace_id, batch_id, span_ids, start_ns, roots,
                                            snapshots)
                                        values ($1, 'a', array['a', 'b'], array[1, 2]::bigint[], array[true, false],
                                                array[$2, $3]::bytea[]),
                                               ($1, 'b', array['b', 'c'], array[2, 3]::bigint[], array[false, false],
                                                array[$3, $4]::bytea[])""")
                                .execute(Tuple.of(trace, span("Plan a day in Porto", "Start at the Ribeira."),
                                        span("Where to eat?", "Cantinho do Avillez."), span("And after?", "Port cellars.")))))
                .await().atMost(Duration.ofSeconds(10));

        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> traceRow(trace) != null);
        var traceRecord = judge.getRecordSnapshot(GetRecordSnapshotRequest.newBuilder().setProjectId(stream.project)
                .setRecord(RecordRef.newBuilder().setProjectId(stream.project).setLevel(Level.LEVEL_TRACE).setRecordId(trace))
                .build());
        assertEquals(3, traceRecord.getSpanCount(), "each span once");
        assertEquals("Plan a day in Porto", traceRecord.getInput());
        assertEquals("Start at the Ribeira.", traceRecord.getOutput());
    }

    /** The bytes of a stored span snapshot with this input and output. */
    private static io.vertx.core.buffer.Buffer span(String input, String output) {
        return io.vertx.core.buffer.Buffer.buffer(io.plumbline.proto.judge.v1.RecordSnapshot.newBuilder()
                .setInput(input).setOutput(output).build().toByteArray());
    }

    @Inject
    Pool pool;

    /** Whether the trace's assembled record is marked judged, and whether it was ever claimed; null before it is stored. */
    private List<Boolean> traceRow(String traceId) {
        var rows = pool.preparedQuery("select judged_at is not null as judged, claimed_until is not null as claimed"
                        + " from assembled_record where project_id = $1 and level = 'LEVEL_TRACE' and record_id = $2")
                .execute(Tuple.of(stream.project, traceId)).await().atMost(Duration.ofSeconds(10));
        return rows.size() == 0 ? null
                : List.of(rows.iterator().next().getBoolean("judged"), rows.iterator().next().getBoolean("claimed"));
    }

    /** Waits until the metric has {@code count} evaluations, then checks that no more come for a while. */
    private List<Evaluation> awaitExactly(String metricId, int count) {
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> stream.evaluations(metricId).size() >= count);
        Awaitility.await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(20))
                .until(() -> stream.evaluations(metricId).size() == count);
        return stream.evaluations(metricId);
    }

    private static Map<String, Long> countByRecord(List<Evaluation> evaluations) {
        return evaluations.stream().collect(Collectors.groupingBy(e -> e.getRecord().getRecordId(), Collectors.counting()));
    }
}
