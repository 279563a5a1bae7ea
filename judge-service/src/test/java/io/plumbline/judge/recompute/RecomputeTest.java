package io.plumbline.judge.recompute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.proto.trace.v1.Span;
import io.plumbline.common.kafka.Topic;
import io.plumbline.judge.OtlpSpans;
import io.plumbline.judge.StreamFixture;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.TimeRange;
import io.plumbline.proto.judge.v1.CancelRecomputeJobRequest;
import io.plumbline.proto.judge.v1.EstimateRecomputeRequest;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.GetRecomputeJobRequest;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.proto.judge.v1.ListEvaluationsRequest;
import io.plumbline.proto.judge.v1.ListRecomputeJobsRequest;
import io.plumbline.proto.judge.v1.RecomputeEstimate;
import io.plumbline.proto.judge.v1.RecomputeJob;
import io.plumbline.proto.judge.v1.RecomputeScope;
import io.plumbline.proto.judge.v1.RecordIdList;
import io.plumbline.proto.judge.v1.StartRecomputeRequest;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricEvent;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.testing.KafkaBroker;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmRequest;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Match;
import io.plumbline.testing.llm.Reply;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Recompute jobs over gRPC: span records judged from the stream by version 1 of a metric are judged again by its
 * version 2 (created, not published), over a record list and over a time range, with estimates checked against what the
 * stand-in was sent; cancel, cost cap, idempotency and bad input.
 */
@QuarkusTest
class RecomputeTest {

    /** Spans of the fixture end one second apart from here (nanoseconds). */
    static final long BASE = OtlpSpans.START;
    static final Predicate<LlmRequest> VERSION_2 = Match.lastUserMessageContains("v2 rubric:");

    @GrpcClient("judge")
    JudgeGrpc.JudgeBlockingStub judge;

    /** The service's database, to play a replica that died while it held a job. */
    @Inject
    Pool pool;

    LlmStandIn llm;
    StreamFixture stream;

    @BeforeEach
    void start() {
        llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class));
        stream = new StreamFixture(judge);
    }

    @AfterEach
    void stop() {
        stream.close();
        llm.close();
    }

    @Test
    void jobsOverARecordListAndATimeRangeJudgeAgainWithTheVersionAndKeepEarlierEvaluations() {
        llm.byDefault(Reply.judgment(true, "Helpful.").usage(300, 40));
        llm.when(VERSION_2).reply(Reply.judgment(false, "Not helpful under v2.").usage(500, 60));
        String metricId = fixture(6);
        List<String> records = recordIds(metricId);

        // A record list with one id that has no stored snapshot.
        var list = scope(metricId, 2).setRecords(RecordIdList.newBuilder().addRecordIds(records.get(0))
                .addRecordIds(records.get(1)).addRecordIds(records.get(0)).addRecordIds("no-such/record")).build();
        RecomputeEstimate listEstimate = estimate(list);
        assertEquals(3, listEstimate.getRecords(), "duplicates once");
        assertEquals(0, listEstimate.getAlreadyEvaluated());
        assertEquals(2, listEstimate.getToJudge());
        assertEquals(List.of("no-such/record"), listEstimate.getUnknownRecordIdsList());

        RecomputeJob listJob = awaitEnd(judge.startRecompute(StartRecomputeRequest.newBuilder()
                .setProjectId(stream.project).setScope(list).setRequestId("list-1").setRequestedBy("ana").build()));
        assertEquals(RecomputeJob.Status.STATUS_SUCCEEDED, listJob.getStatus(), listJob.toString());
        assertEquals(3, listJob.getTotal());
        assertEquals(2, listJob.getSucceeded());
        assertEquals(1, listJob.getMissing());
        assertEquals(0, listJob.getSkipped() + listJob.getErrored());
        assertEquals(3, listJob.getProcessed());
        assertEquals("ana", listJob.getRequestedBy());
        assertEquals(2, listJob.getScope().getMetricVersion().getVersion());
        List<Evaluation> ofListJob = ofJob(listJob.getId());
        assertEquals(Set.of(records.get(0), records.get(1)), recordsOf(ofListJob));
        assertTrue(ofListJob.stream().allMatch(e -> e.getOrigin() == Evaluation.Origin.ORIGIN_RECOMPUTE
                && e.getMetricVersion().getVersion() == 2 && !e.getValue().getBoolean()), ofListJob.toString());
        assertEquals(ofListJob.stream().mapToDouble(Evaluation::getCostUsd).sum(), listJob.getCostUsd(), 1e-12);
        assertEquals(1000, listJob.getPromptTokens());

        // The time range of all six: two were judged by version 2 already.
        var range = scope(metricId, 2).setTimeRange(range(0, 6)).build();
        RecomputeEstimate estimate = estimate(range);
        assertEquals(6, estimate.getRecords());
        assertEquals(2, estimate.getAlreadyEvaluated());
        assertEquals(4, estimate.getToJudge());
        assertEquals(0, estimate.getUnknownRecordIdsCount(), "only a record list has unknown ids");
        // completion tokens: the mean of the metric's recent OK evaluations, per record to judge
        List<Evaluation> ok = stream.evaluations(metricId).stream().filter(e -> e.getStatus() == Evaluation.Status.STATUS_OK)
                .toList();
        double meanCompletion = ok.stream().mapToLong(Evaluation::getCompletionTokens).average().orElseThrow();
        assertEquals(Math.round(meanCompletion * 4), estimate.getEstimatedCompletionTokens());
        double meanLatency = ok.stream().mapToDouble(e -> e.getLatency().getSeconds() + e.getLatency().getNanos() / 1e9)
                .average().orElseThrow();
        assertEquals(2 * meanLatency, seconds(estimate.getEstimatedDuration()), 1e-6,
                "4 records, 2 at a time (the test's concurrency), at the recent mean latency");

        int sentBefore = llm.requests(VERSION_2).size();
        RecomputeJob rangeJob = awaitEnd(judge.startRecompute(StartRecomputeRequest.newBuilder()
                .setProjectId(stream.project).setScope(range).setRequestId("range-1").build()));
        assertEquals(RecomputeJob.Status.STATUS_SUCCEEDED, rangeJob.getStatus(), rangeJob.toString());
        assertEquals(6, rangeJob.getTotal());
        assertEquals(4, rangeJob.getSucceeded());
        assertEquals(2, rangeJob.getSkipped());
        assertEquals(rangeJob.getTotal(), rangeJob.getSucceeded() + rangeJob.getErrored() + rangeJob.getSkipped()
                + rangeJob.getMissing());
        assertEquals(estimate, rangeJob.getEstimate(), "the estimate made at start");
        // prompt tokens: one per 4 characters of what was sent (system and user message), per record
        List<LlmRequest> sent = llm.requests(VERSION_2).subList(sentBefore, llm.requests(VERSION_2).size());
        assertEquals(4, sent.size());
        assertEquals(sent.stream().mapToLong(r -> (r.systemText().length() + r.lastUserText().length() + 3) / 4).sum(),
                estimate.getEstimatedPromptTokens());
        assertEquals((estimate.getEstimatedPromptTokens() * 0.15 + estimate.getEstimatedCompletionTokens() * 0.60)
                / 1_000_000, estimate.getEstimatedCostUsd(), 1e-15, "gpt-4o-mini's price");
        assertEquals(4, ofJob(rangeJob.getId()).size());

        // Earlier evaluations are kept, each tied to its version: six by version 1, six by version 2.
        assertEquals(6, ofVersion(metricId, 1).size());
        List<Evaluation> second = ofVersion(metricId, 2);
        assertEquals(6, second.size());
        assertEquals(Set.copyOf(records), recordsOf(second));

        // Their usage counts toward the metric's, under "recompute" (no budget stops it).
        var usage = judge.listBudgetUsage(io.plumbline.proto.judge.v1.ListBudgetUsageRequest.newBuilder()
                .setProjectId(stream.project).setMetricId(metricId).build()).getUsageList().stream()
                .filter(u -> u.getBindingName().equals("recompute")).findFirst().orElseThrow();
        assertEquals(6, usage.getEvaluations());
        assertEquals(6 * (500 + 60), usage.getTokensUsed());
        assertEquals(listJob.getCostUsd() + rangeJob.getCostUsd(), usage.getCostUsd(), 1e-12);

        // The same request_id: the same job, nothing new.
        RecomputeJob again = judge.startRecompute(StartRecomputeRequest.newBuilder().setProjectId(stream.project)
                .setScope(range).setRequestId("range-1").build());
        assertEquals(rangeJob.getId(), again.getId());
        // A second run skips every record without calling the provider.
        int calls = llm.requests().size();
        RecomputeJob rerun = awaitEnd(judge.startRecompute(StartRecomputeRequest.newBuilder()
                .setProjectId(stream.project).setScope(range).setRequestId("range-2").build()));
        assertEquals(RecomputeJob.Status.STATUS_SUCCEEDED, rerun.getStatus());
        assertEquals(6, rerun.getSkipped());
        assertEquals(6, rerun.getEstimate().getAlreadyEvaluated());
        assertEquals(calls, llm.requests().size());

        var jobs = judge.listRecomputeJobs(ListRecomputeJobsRequest.newBuilder().setProjectId(stream.project)
                .setMetricId(metricId).setPageSize(2).build());
        assertEquals(List.of(rerun.getId(), rangeJob.getId()), jobs.getJobsList().stream().map(RecomputeJob::getId).toList(),
                "newest first");
        var last = judge.listRecomputeJobs(ListRecomputeJobsRequest.newBuilder().setProjectId(stream.project)
                .setMetricId(metricId).setPageSize(2).setPageToken(jobs.getNextPageToken()).build());
        assertEquals(List.of(listJob.getId()), last.getJobsList().stream().map(RecomputeJob::getId).toList());
        assertEquals("", last.getNextPageToken());

        // A narrower time range selects only the records that ended in it; so does ListEvaluations' record_time.
        assertEquals(2, estimate(scope(metricId, 2).setTimeRange(range(2, 4)).build()).getRecords());
        var inRange = judge.listEvaluations(ListEvaluationsRequest.newBuilder().setProjectId(stream.project)
                .setMetricId(metricId).setRecordTime(range(2, 4)).setPageSize(100).build()).getEvaluationsList();
        assertEquals(Set.of(records.get(2), records.get(3)), recordsOf(inRange));
        assertEquals(4, inRange.size(), "two records, each judged by both versions");
        assertTrue(inRange.stream().allMatch(e -> seconds(e.getRecordEndTime()) >= seconds(end(2))
                && seconds(e.getRecordEndTime()) < seconds(end(4))));

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            String metrics = io.restassured.RestAssured.given().get("/q/metrics").asString();
            return metrics.contains("plumbline_recompute_records_total{outcome=\"skipped\"}")
                    && metrics.contains("plumbline_recompute_records_total{outcome=\"missing\"}")
                    && metrics.lines().anyMatch(l -> l.startsWith("plumbline_recompute_jobs{status=\"succeeded\"}")
                            && !l.endsWith(" 0.0"));
        });
    }

    @Test
    void aCancelStopsNewProviderCallsAndKeepsWhatWasStored() {
        llm.byDefault(Reply.judgment(true, "Helpful."));
        String metricId = fixture(8);
        llm.when(VERSION_2).reply(Reply.judgment(false, "Slow.").after(Duration.ofMillis(1500)));
        RecomputeJob job = judge.startRecompute(StartRecomputeRequest.newBuilder().setProjectId(stream.project)
                .setScope(scope(metricId, 2).setTimeRange(range(0, 8))).build());
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !llm.requests(VERSION_2).isEmpty());

        RecomputeJob cancelled = judge.cancelRecomputeJob(CancelRecomputeJobRequest.newBuilder()
                .setProjectId(stream.project).setJobId(job.getId()).setCancelledBy("ana").build());
        assertEquals(RecomputeJob.Status.STATUS_CANCELLED, cancelled.getStatus());
        assertEquals("ana", cancelled.getCancelledBy());
        assertTrue(cancelled.hasFinishTime());
        int calls = llm.requests(VERSION_2).size();
        assertTrue(calls <= 2, "at most the job's concurrency was in flight: " + calls);
        Awaitility.await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> llm.requests(VERSION_2).size() == calls);

        RecomputeJob after = get(job.getId());
        assertEquals(RecomputeJob.Status.STATUS_CANCELLED, after.getStatus());
        assertTrue(after.getProcessed() <= calls && after.getProcessed() < after.getTotal(), after.toString());
        assertEquals(after.getSucceeded(), ofJob(job.getId()).size(), "what was judged in flight is stored and counted");
        RecomputeJob twice = judge.cancelRecomputeJob(CancelRecomputeJobRequest.newBuilder()
                .setProjectId(stream.project).setJobId(job.getId()).setCancelledBy("bo").build());
        assertEquals(after.getFinishTime(), twice.getFinishTime(), "cancelling a finished job changes nothing");
        assertEquals("ana", twice.getCancelledBy());
        assertEquals(List.of(job.getId()), judge.listRecomputeJobs(ListRecomputeJobsRequest.newBuilder()
                .setProjectId(stream.project).addStatuses(RecomputeJob.Status.STATUS_CANCELLED).build())
                .getJobsList().stream().map(RecomputeJob::getId).toList());
        assertEquals(0, judge.listRecomputeJobs(ListRecomputeJobsRequest.newBuilder().setProjectId(stream.project)
                .addStatuses(RecomputeJob.Status.STATUS_RUNNING).build()).getJobsCount());
    }

    @Test
    void aJobWhoseReplicaStoppedIsResumedByAnotherOneAndJudgesEachRecordOnce() {
        llm.byDefault(Reply.judgment(true, "Helpful."));
        String metricId = fixture(6);
        llm.when(VERSION_2).reply(Reply.judgment(false, "Slow.").after(Duration.ofMillis(1000)));
        RecomputeJob job = judge.startRecompute(StartRecomputeRequest.newBuilder().setProjectId(stream.project)
                .setScope(scope(metricId, 2).setTimeRange(range(0, 6))).build());
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !llm.requests(VERSION_2).isEmpty());

        // The replica running it is gone, as far as the database can tell: its claim is another's and has run out.
        int taken = pool.preparedQuery("update recompute_job set claimed_by = 'a-replica-that-died',"
                        + " claimed_until = now() - interval '1 second' where id = $1 and status = 'STATUS_RUNNING'")
                .executeAndAwait(Tuple.of(java.util.UUID.fromString(job.getId()))).rowCount();
        assertEquals(1, taken);

        RecomputeJob done = awaitEnd(job);
        assertEquals(RecomputeJob.Status.STATUS_SUCCEEDED, done.getStatus(), done.toString());
        assertEquals(6, done.getTotal());
        assertEquals(6, done.getSucceeded() + done.getSkipped(), done.toString());
        assertEquals(6, done.getProcessed());
        List<Evaluation> judged = ofJob(job.getId());
        assertEquals(6, judged.size(), "one evaluation per record, though two replicas ran the job");
        assertEquals(6, recordsOf(judged).size());
        assertEquals(6, done.getSucceeded(), "records the first replica judged count as judged by the job");
        assertTrue(llm.requests(VERSION_2).size() <= 6 + 2, "at most the calls in flight at the takeover are repeated");
    }

    @Test
    void theCostCapRefusesAnEstimateAboveItAndStopsAJobThatReachesIt() {
        // 1M prompt and 100k completion tokens of gpt-4o-mini: 0.21 USD a judgment
        llm.byDefault(Reply.judgment(true, "Helpful.").usage(1_000_000, 100_000));
        String metricId = fixture(6);
        var range = scope(metricId, 2).setTimeRange(range(0, 6)).build();
        RecomputeEstimate estimate = estimate(range);
        assertEquals(600_000, estimate.getEstimatedCompletionTokens());
        assertTrue(estimate.getEstimatedCostUsd() > 0.36 && estimate.getEstimatedCostUsd() < 0.37, estimate.toString());

        var refused = assertThrows(StatusRuntimeException.class, () -> judge.startRecompute(StartRecomputeRequest
                .newBuilder().setProjectId(stream.project).setScope(range).setMaxCostUsd(0.30).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("exceeds max_cost_usd"), refused.getMessage());
        assertEquals(0, judge.listRecomputeJobs(ListRecomputeJobsRequest.newBuilder().setProjectId(stream.project)
                .build()).getJobsCount(), "no job was started");

        RecomputeJob job = awaitEnd(judge.startRecompute(StartRecomputeRequest.newBuilder().setProjectId(stream.project)
                .setScope(range).setMaxCostUsd(0.50).build()));
        assertEquals(RecomputeJob.Status.STATUS_FAILED, job.getStatus(), job.toString());
        assertEquals("cost cap reached", job.getError());
        // Judgments in flight when the cap was reached still finish and are counted; none starts afterwards.
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> get(job.getId()).getSucceeded() == llm.requests(VERSION_2).size());
        int calls = llm.requests(VERSION_2).size();
        Awaitility.await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                .until(() -> llm.requests(VERSION_2).size() == calls);
        RecomputeJob settled = get(job.getId());
        assertEquals(calls, settled.getSucceeded(), "every call made was stored and counted");
        assertEquals(RecomputeJob.Status.STATUS_FAILED, settled.getStatus());
        assertTrue(settled.getCostUsd() >= 0.50, settled.toString());
        assertTrue(settled.getSucceeded() >= 3 && settled.getSucceeded() < 6, settled.toString());
        assertEquals(settled.getSucceeded(), ofJob(job.getId()).size());
    }

    @Test
    void badRequestsAreRefusedNamingTheField() {
        String metricId = stream.publish("recompute-bad", Level.LEVEL_SPAN, StreamFixture.all("spans"));
        var missing = assertThrows(StatusRuntimeException.class, () -> judge.estimateRecompute(
                EstimateRecomputeRequest.newBuilder().setProjectId(stream.project).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, missing.getStatus().getCode());
        assertTrue(missing.getStatus().getDescription().contains("scope.metric_version.metric_id: is required"),
                missing.getMessage());
        assertTrue(missing.getStatus().getDescription().contains("scope.selection: is required"), missing.getMessage());

        var openRange = invalid(scope(metricId, 1).setTimeRange(TimeRange.newBuilder().setStartTime(end(0))).build());
        assertTrue(openRange.contains("scope.time_range.end_time: is required"), openRange);
        var backwards = invalid(scope(metricId, 1).setTimeRange(TimeRange.newBuilder().setStartTime(end(3))
                .setEndTime(end(1))).build());
        assertTrue(backwards.contains("scope.time_range: start_time must be before end_time"), backwards);
        var noIds = invalid(scope(metricId, 1).setRecords(RecordIdList.getDefaultInstance()).build());
        assertTrue(noIds.contains("scope.records.record_ids: must hold 1 to 100000"), noIds);
        var badMetric = invalid(RecomputeScope.newBuilder().setMetricVersion(MetricVersionRef.newBuilder()
                .setMetricId("refund")).setTimeRange(range(0, 1)).build());
        assertTrue(badMetric.contains("scope.metric_version.metric_id: must be a UUID"), badMetric);

        var unknownMetric = assertThrows(StatusRuntimeException.class, () -> estimate(scope(
                java.util.UUID.randomUUID().toString(), 0).setTimeRange(range(0, 1)).build()));
        assertEquals(Status.Code.NOT_FOUND, unknownMetric.getStatus().getCode());
        var unknownVersion = assertThrows(StatusRuntimeException.class, () -> estimate(scope(metricId, 9)
                .setTimeRange(range(0, 1)).build()));
        assertEquals(Status.Code.NOT_FOUND, unknownVersion.getStatus().getCode());
        assertTrue(unknownVersion.getStatus().getDescription().contains("has no version 9"));

        var negativeCap = assertThrows(StatusRuntimeException.class, () -> judge.startRecompute(StartRecomputeRequest
                .newBuilder().setProjectId(stream.project).setScope(scope(metricId, 1).setTimeRange(range(0, 1)))
                .setMaxCostUsd(-1).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, negativeCap.getStatus().getCode());
        assertTrue(negativeCap.getStatus().getDescription().contains("max_cost_usd"), negativeCap.getMessage());

        String unknownJob = java.util.UUID.randomUUID().toString();
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class, () -> get(unknownJob))
                .getStatus().getCode());
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class, () -> judge.cancelRecomputeJob(
                CancelRecomputeJobRequest.newBuilder().setProjectId(stream.project).setJobId(unknownJob).build()))
                .getStatus().getCode());
        var badJob = assertThrows(StatusRuntimeException.class, () -> get("job-1"));
        assertEquals(Status.Code.INVALID_ARGUMENT, badJob.getStatus().getCode());
        assertTrue(badJob.getStatus().getDescription().contains("job_id"));

        // A job of another project is not found.
        RecomputeJob job = awaitEnd(judge.startRecompute(StartRecomputeRequest.newBuilder().setProjectId(stream.project)
                .setScope(scope(metricId, 1).setTimeRange(range(0, 1))).build()));
        assertEquals(0, job.getTotal(), "nothing judged in that range");
        assertEquals(RecomputeJob.Status.STATUS_SUCCEEDED, job.getStatus());
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class, () -> judge.getRecomputeJob(
                GetRecomputeJobRequest.newBuilder().setProjectId("another").setJobId(job.getId()).build()))
                .getStatus().getCode());
    }

    // --- the fixture

    /**
     * Publishes a span metric (version 1, judging the stream) and sends {@code spans} spans, each of its own trace, span
     * i ending at {@link #end(int) end(i)}; waits until version 1 judged each; then creates version 2 (not published).
     */
    private String fixture(int spans) {
        String metricId = stream.publish("recompute-" + stream.project, Level.LEVEL_SPAN, StreamFixture.all("spans"));
        for (int i = 0; i < spans; i++) {
            Span.Builder span = StreamFixture.chat(OtlpSpans.newTraceId(), null, "Question " + i + "?", "Answer " + i + ".")
                    .setStartTimeUnixNano(BASE + i * 1_000_000_000L).setEndTimeUnixNano(BASE + i * 1_000_000_000L + 500_000_000L);
            stream.send(span);
        }
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> stream.evaluations(metricId).size() == spans);
        createVersion2(metricId);
        Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> estimate(scope(metricId, 2).setTimeRange(range(0, 1)).build()) != null);
        return metricId;
    }

    private void createVersion2(String metricId) {
        var metric = Metric.newBuilder().setId(metricId).setProjectId(stream.project).setName("recompute-" + stream.project)
                .setLevel(Level.LEVEL_SPAN).setOutputType(StreamFixture.BOOLEAN).setPublishedVersion(1).setRevision(2)
                .setJudgeModel(ModelConfig.newBuilder().setProvider("patient").setModel("gpt-4o-mini"))
                .addBindings(StreamFixture.all("spans"));
        var event = MetricEvent.newBuilder().setEventId(java.util.UUID.randomUUID().toString()).setMetricId(metricId)
                .setProjectId(stream.project).setType(MetricEvent.Type.TYPE_VERSION_CREATED).setMetric(metric)
                .setVersion(MetricVersion.newBuilder().setMetricId(metricId).setVersion(2)
                        .setPromptTemplate("v2 rubric: is the answer helpful and grounded? <data>{{input}}\n{{output}}</data>"
                                + " {{output_format}}"))
                .build();
        try (var producer = new KafkaProducer<String, byte[]>(Map.of("bootstrap.servers",
                KafkaBroker.shared().bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topic.METRICS.topicName(), metricId, event.toByteArray())).get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The fixture's record ids in the order their spans ended. */
    private List<String> recordIds(String metricId) {
        return stream.evaluations(metricId).stream()
                .sorted(Comparator.comparingDouble(e -> seconds(e.getRecordEndTime())))
                .map(e -> e.getRecord().getRecordId()).toList();
    }

    static Timestamp end(int i) {
        long nanos = BASE + i * 1_000_000_000L + 500_000_000L;
        return Timestamp.newBuilder().setSeconds(nanos / 1_000_000_000L).setNanos((int) (nanos % 1_000_000_000L)).build();
    }

    /** The spans i with from <= i < to. */
    static TimeRange range(int from, int to) {
        return TimeRange.newBuilder().setStartTime(end(from)).setEndTime(end(to)).build();
    }

    static double seconds(Timestamp t) {
        return t.getSeconds() + t.getNanos() / 1e9;
    }

    static double seconds(com.google.protobuf.Duration d) {
        return d.getSeconds() + d.getNanos() / 1e9;
    }

    private static RecomputeScope.Builder scope(String metricId, int version) {
        return RecomputeScope.newBuilder().setMetricVersion(MetricVersionRef.newBuilder().setMetricId(metricId)
                .setVersion(version));
    }

    private RecomputeEstimate estimate(RecomputeScope scope) {
        return judge.estimateRecompute(EstimateRecomputeRequest.newBuilder().setProjectId(stream.project)
                .setScope(scope).build());
    }

    private String invalid(RecomputeScope scope) {
        var e = assertThrows(StatusRuntimeException.class, () -> estimate(scope));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        return e.getStatus().getDescription();
    }

    private RecomputeJob get(String jobId) {
        return judge.getRecomputeJob(GetRecomputeJobRequest.newBuilder().setProjectId(stream.project).setJobId(jobId)
                .build());
    }

    private RecomputeJob awaitEnd(RecomputeJob started) {
        return Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> get(started.getId()),
                job -> job.hasFinishTime());
    }

    private List<Evaluation> ofJob(String jobId) {
        return judge.listEvaluations(ListEvaluationsRequest.newBuilder().setProjectId(stream.project)
                .setRecomputeJobId(jobId).setPageSize(500).build()).getEvaluationsList();
    }

    private List<Evaluation> ofVersion(String metricId, int version) {
        List<Evaluation> all = new ArrayList<>(stream.evaluations(metricId));
        all.removeIf(e -> e.getMetricVersion().getVersion() != version);
        return all;
    }

    private static Set<String> recordsOf(List<Evaluation> evaluations) {
        return evaluations.stream().map(e -> e.getRecord().getRecordId()).collect(Collectors.toSet());
    }
}
