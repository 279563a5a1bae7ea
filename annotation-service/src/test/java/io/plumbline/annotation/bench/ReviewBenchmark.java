package io.plumbline.annotation.bench;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.event;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.plumbline.annotation.Fixtures;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.ImportLabelsRequest;
import io.plumbline.proto.annotation.v1.ImportLabelsResponse;
import io.plumbline.proto.annotation.v1.LabelFormat;
import io.plumbline.proto.annotation.v1.ListQueuesRequest;
import io.plumbline.proto.annotation.v1.NextItemRequest;
import io.plumbline.proto.annotation.v1.NextItemResponse;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Throughput figures for the README, not a test of behaviour: not part of {@code verify} (the name does not end in
 * Test); run it with {@code ./mvnw -B -ntp -o -f annotation-service/pom.xml verify -Dtest=ReviewBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false -Dbench.rows=100000} ({@code -Dbench.import=false} or
 * {@code -Dbench.feedback=false} skips a part; {@code -Dbench.rounds} repeats the feedback measures). Prints the rows
 * per second and the peak RSS of a CSV
 * import (and of importing the same file again), and the latency of SubmitFeedback under 50 concurrent reviewers.
 *
 * <p>The import's evaluations are written straight into the service's database (the first one arrives through Kafka so
 * that the metric's default queue exists): the intake is not what is measured, and 100,000 evaluations through it would
 * take minutes. They are not queued yet, so the import creates their items, resolves each and emits its event.
 */
@QuarkusTest
@TestProfile(ReviewBenchmark.ProductionRefresh.class)
class ReviewBenchmark {

    /**
     * The gauges refreshed at the production interval (30 s), not the tests' 1 s: each refresh counts the annotation
     * table, and a count of the import's 100,000 annotations every second would be measured as reviewers' latency.
     */
    public static class ProductionRefresh implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("plumbline.annotation.gauges.refresh-interval", "30s");
        }
    }

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    @Inject
    DataSource database;

    private List<String> evaluations(String project, String metric, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            EvaluationEvent e = event(project, metric, BOOLEAN, bool(i % 2 == 0));
            ids.add(e.getEvaluation().getId());
            Fixtures.publish(e);
        }
        awaitQueued(project, n);
        return ids;
    }

    private void awaitQueued(String project, int n) {
        AnnotationsBlockingStub root = as(stub, "key-root");
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1)).until(() ->
                root.listQueues(ListQueuesRequest.newBuilder().setProjectId(project).build()).getQueuesList().stream()
                        .mapToLong(q -> q.getCounts().getTotal()).sum() >= n);
    }

    /** One evaluation through Kafka (the metric's default queue), the others written directly. */
    private List<String> seededEvaluations(String project, String metric, int n) throws Exception {
        List<String> ids = new ArrayList<>(evaluations(project, metric, 1));
        try (Connection c = database.getConnection(); PreparedStatement insert = c.prepareStatement("""
                insert into evaluation (id, event_id, project_id, metric_id, metric_version, record_id, status,
                                        evaluation, snapshot, evaluated_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, now())""")) {
            for (int i = 1; i < n; i++) {
                EvaluationEvent e = event(project, metric, BOOLEAN, bool(i % 2 == 0));
                insert.setString(1, e.getEvaluation().getId());
                insert.setString(2, e.getEventId());
                insert.setString(3, project);
                insert.setString(4, metric);
                insert.setInt(5, e.getEvaluation().getMetricVersion().getVersion());
                insert.setString(6, e.getEvaluation().getRecord().getRecordId());
                insert.setString(7, e.getEvaluation().getStatus().name());
                insert.setBytes(8, e.getEvaluation().toByteArray());
                insert.setBytes(9, e.getSnapshot().toByteArray());
                insert.addBatch();
                ids.add(e.getEvaluation().getId());
                if (i % 1000 == 0) {
                    insert.executeBatch();
                }
            }
            insert.executeBatch();
        }
        return ids;
    }

    private void awaitOutboxDrained() {
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            try (Connection c = database.getConnection(); var q = c.createStatement();
                    var rows = q.executeQuery("select count(*) from outbox_event where published_at is null")) {
                rows.next();
                return rows.getLong(1) == 0;
            }
        });
    }

    /** Forgets the process's peak resident set, so that {@link #peakRssMib} reports the peak from now on (Linux). */
    private static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (Exception e) {
            System.out.println("BENCH peak RSS not reset: " + e.getMessage());
        }
    }

    private static long rssMib(String field) {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith(field + ":"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024).findFirst().orElse(-1);
        } catch (Exception e) {
            return -1;
        }
    }

    private ImportLabelsResponse importCsv(String project, String csv) {
        return as(stub, "key-root").withDeadlineAfter(10, TimeUnit.MINUTES).importLabels(ImportLabelsRequest
                .newBuilder().setProjectId(project).setFormat(LabelFormat.LABEL_FORMAT_CSV)
                .setContent(ByteString.copyFromUtf8(csv)).build());
    }

    @Test
    void importAndFeedbackThroughput() throws Exception {
        if (Boolean.parseBoolean(System.getProperty("bench.import", "true"))) {
            importThroughput(Integer.getInteger("bench.rows", 5000));
        }
        if (Boolean.parseBoolean(System.getProperty("bench.feedback", "true"))) {
            feedbackLatency(Integer.getInteger("bench.rounds", 1));
        }
    }

    private void importThroughput(int rows) throws Exception {
        String project = newProject();
        String metric = newMetric();
        long seedStart = System.nanoTime();
        List<String> ids = seededEvaluations(project, metric, rows);
        System.out.printf("BENCH seed: %d evaluations in %.1f s%n", rows, (System.nanoTime() - seedStart) / 1e9);
        StringBuilder csv = new StringBuilder("evaluation_id,reviewer,value,critique\n");
        for (int i = 0; i < ids.size(); i++) {
            // Every third row says the judge was wrong, with a critique.
            boolean judge = i % 2 == 0;
            boolean value = i % 3 == 0 ? !judge : judge;
            csv.append(ids.get(i)).append(",bench-").append(i % 7).append(',').append(value).append(',')
                    .append(value == judge ? "" : "\"Should be flagged: the answer names a dosage (800 mg) without "
                            + "the disclaimer the rubric requires\"").append('\n');
        }
        String file = csv.toString();
        System.gc();
        long rssBefore = rssMib("VmRSS");
        resetPeakRss();
        long start = System.nanoTime();
        ImportLabelsResponse response = importCsv(project, file);
        double importSeconds = (System.nanoTime() - start) / 1e9;
        long peak = rssMib("VmHWM");
        System.out.printf("BENCH import: %d rows (%d imported, %d rejected, %d resolved) in %.2f s = %.0f rows/s; "
                        + "RSS before %d MiB, peak %d MiB (test JVM: client and service; file %.1f MiB; " + load() + ")%n", rows,
                response.getImported(), response.getRejected(), response.getItemsResolved(), importSeconds,
                rows / importSeconds, rssBefore, peak, file.length() / 1048576.0);
        start = System.nanoTime();
        ImportLabelsResponse again = importCsv(project, file);
        double againSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("BENCH re-import: %d rows (%d unchanged) in %.2f s = %.0f rows/s (" + load() + ")%n", rows,
                again.getUnchanged(), againSeconds, rows / againSeconds);
        long outboxStart = System.nanoTime();
        awaitOutboxDrained();
        System.out.printf("BENCH outbox: the import's events published within %.1f s after it%n",
                (System.nanoTime() - outboxStart) / 1e9);
    }

    /**
     * Warm-up (not measured); then {@code rounds} times: one caller alone (the service time, no queueing), 50 callers
     * in a closed loop (the saturation point) and 50 reviewers in an open loop (the schedule of people).
     */
    private void feedbackLatency(int rounds) throws Exception {
        int reviewers = 50;
        int items = Integer.getInteger("bench.items", 2000);
        feedbackRound(reviewers, 200);
        for (int round = 1; round <= rounds; round++) {
            System.out.printf("BENCH round %d of %d%n", round, rounds);
            report(1, feedbackRound(1, 300));
            report(reviewers, feedbackRound(reviewers, items));
            openLoop(reviewers, Double.parseDouble(System.getProperty("bench.reviewer-rate", "1.0")),
                    Integer.getInteger("bench.seconds", 20));
        }
    }

    /**
     * 50 reviewers each taking an item and giving feedback {@code rate} times a second on a fixed schedule (open loop:
     * a slow answer does not slow the schedule down); the submissions' latencies, and how many pairs started late.
     */
    private void openLoop(int reviewers, double rate, int seconds) throws Exception {
        String project = newProject();
        int pairs = (int) Math.ceil(reviewers * rate * seconds);
        evaluations(project, newMetric(), pairs);
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger late = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(reviewers);
        List<String> keys = List.of("key-alice", "key-bob", "key-carol", "key-dave", "key-erin");
        long periodNanos = (long) (1e9 / rate);
        long start = System.nanoTime() + 500_000_000L;
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int r = 0; r < reviewers; r++) {
                AnnotationsBlockingStub me = as(stub, keys.get(r % keys.size()));
                long phase = periodNanos * r / reviewers;
                done.add(pool.submit(() -> {
                    for (long k = 0; k < (long) (rate * seconds); k++) {
                        long intended = start + phase + k * periodNanos;
                        long wait = intended - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        } else if (wait < -50_000_000L) {
                            late.incrementAndGet();
                        }
                        NextItemResponse next = me.nextItem(NextItemRequest.newBuilder().setProjectId(project).build());
                        if (!next.hasItem()) {
                            return null;
                        }
                        long t = System.nanoTime();
                        me.submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project)
                                .setItemId(next.getItem().getId()).setVerdict(Verdict.VERDICT_CORRECT).build());
                        latencies.add(System.nanoTime() - t);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("BENCH feedback open loop: %d reviewers at %.1f pairs/s each (%.0f/s offered, %.0f/s achieved, "
                + "%d pairs started over 50 ms late)%n", reviewers, rate, reviewers * rate, sorted.size() / elapsed,
                late.get());
        report(reviewers, sorted);
    }

    /** The machine's load average (1, 5, 15 min): the machine is shared, figures are read against it. */
    private static String load() {
        try {
            String[] l = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return "load " + l[0] + " " + l[1] + " " + l[2];
        } catch (Exception e) {
            return "load unknown";
        }
    }

    private static void report(int callers, List<Long> sorted) {
        System.out.printf("BENCH feedback: %d submissions by %d concurrent caller(s): p50 %.2f ms, p90 %.2f ms, "
                        + "p99 %.2f ms, max %.2f ms (" + load() + ")%n",
                sorted.size(), callers, sorted.get(sorted.size() / 2) / 1e6,
                sorted.get((int) (sorted.size() * 0.9)) / 1e6,
                sorted.get((int) (sorted.size() * 0.99)) / 1e6, sorted.get(sorted.size() - 1) / 1e6);
    }

    /** {@code reviewers} callers, each NextItem then SubmitFeedback until none is left; the submissions' latencies. */
    private List<Long> feedbackRound(int reviewers, int items) throws Exception {
        String feedbackProject = newProject();
        String feedbackMetric = newMetric();
        long intakeStart = System.nanoTime();
        evaluations(feedbackProject, feedbackMetric, items);
        double intakeSeconds = (System.nanoTime() - intakeStart) / 1e9;
        System.out.printf("BENCH intake: %d evaluations through Kafka queued in %.1f s (%.0f/s)%n", items,
                intakeSeconds, items / intakeSeconds);
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(reviewers);
        List<String> keys = List.of("key-alice", "key-bob", "key-carol", "key-dave", "key-erin");
        long start = System.nanoTime();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int r = 0; r < reviewers; r++) {
                AnnotationsBlockingStub me = as(stub, keys.get(r % keys.size()));
                done.add(pool.submit(() -> {
                    while (true) {
                        NextItemResponse next = me.nextItem(NextItemRequest.newBuilder().setProjectId(feedbackProject)
                                .build());
                        if (!next.hasItem()) {
                            return null;
                        }
                        long t = System.nanoTime();
                        me.submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(feedbackProject)
                                .setItemId(next.getItem().getId()).setVerdict(Verdict.VERDICT_CORRECT).build());
                        latencies.add(System.nanoTime() - t);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("BENCH feedback round: %d NextItem+SubmitFeedback pairs in %.1f s (%.0f/s)%n",
                latencies.size(), seconds, latencies.size() / seconds);
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        return sorted;
    }
}
