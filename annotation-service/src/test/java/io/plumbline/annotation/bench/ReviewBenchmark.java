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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Throughput figures for the README, not a test of behaviour: not part of {@code verify} (the name does not end in
 * Test); run it with {@code ./mvnw -pl annotation-service verify -Dtest=ReviewBenchmark -Dbench.rows=20000}.
 * Prints the rows per second of a CSV import and the latency of SubmitFeedback under 50 concurrent reviewers.
 */
@QuarkusTest
class ReviewBenchmark {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    private List<String> evaluations(String project, String metric, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            EvaluationEvent e = event(project, metric, BOOLEAN, bool(i % 2 == 0));
            ids.add(e.getEvaluation().getId());
            Fixtures.publish(e);
        }
        AnnotationsBlockingStub root = as(stub, "key-root");
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1)).until(() ->
                root.listQueues(ListQueuesRequest.newBuilder().setProjectId(project).build()).getQueuesList().stream()
                        .mapToLong(q -> q.getCounts().getTotal()).sum() >= n);
        return ids;
    }

    @Test
    void importAndFeedbackThroughput() throws Exception {
        int rows = Integer.getInteger("bench.rows", 5000);
        int reviewers = 50;
        int items = Integer.getInteger("bench.items", 2000);
        String project = newProject();
        String metric = newMetric();
        long intakeStart = System.nanoTime();
        List<String> ids = evaluations(project, metric, rows);
        double intakeSeconds = (System.nanoTime() - intakeStart) / 1e9;
        StringBuilder csv = new StringBuilder("evaluation_id,reviewer,value\n");
        for (int i = 0; i < ids.size(); i++) {
            csv.append(ids.get(i)).append(",bench-").append(i % 7).append(',').append(i % 2 == 0).append('\n');
        }
        long start = System.nanoTime();
        ImportLabelsResponse response = as(stub, "key-root").importLabels(ImportLabelsRequest.newBuilder()
                .setProjectId(project).setFormat(LabelFormat.LABEL_FORMAT_CSV)
                .setContent(ByteString.copyFromUtf8(csv.toString())).build());
        double importSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("BENCH intake: %d evaluations in %.1f s (%.0f/s)%n", rows, intakeSeconds, rows / intakeSeconds);
        System.out.printf("BENCH import: %d rows (%d imported, %d rejected) in %.1f s = %.0f rows/s%n", rows,
                response.getImported(), response.getRejected(), importSeconds, rows / importSeconds);

        String feedbackProject = newProject();
        String feedbackMetric = newMetric();
        evaluations(feedbackProject, feedbackMetric, items);
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(reviewers);
        List<String> keys = List.of("key-alice", "key-bob", "key-carol", "key-dave", "key-erin");
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
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("BENCH feedback: %d submissions by %d concurrent callers: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                sorted.size(), reviewers, sorted.get(sorted.size() / 2) / 1e6,
                sorted.get((int) (sorted.size() * 0.99)) / 1e6, sorted.get(sorted.size() - 1) / 1e6);
    }
}
