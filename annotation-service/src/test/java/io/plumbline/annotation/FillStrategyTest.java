package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.PERCENTAGE;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.awaitItem;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.event;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.plumbline.annotation.Fixtures.percent;
import static io.plumbline.annotation.Fixtures.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.annotation.queue.FillStrategies;
import io.plumbline.proto.annotation.v1.AddItemsRequest;
import io.plumbline.proto.annotation.v1.AddItemsResponse;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.BorderlineStrategy;
import io.plumbline.proto.annotation.v1.CreateQueueRequest;
import io.plumbline.proto.annotation.v1.FillStrategy;
import io.plumbline.proto.annotation.v1.GetQueueRequest;
import io.plumbline.proto.annotation.v1.ListItemsRequest;
import io.plumbline.proto.annotation.v1.ListQueuesRequest;
import io.plumbline.proto.annotation.v1.ManualStrategy;
import io.plumbline.proto.annotation.v1.RandomStrategy;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.ReviewQueue;
import io.plumbline.proto.annotation.v1.StratifiedStrategy;
import io.plumbline.proto.annotation.v1.UpdateQueueRequest;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.plumbline.proto.registry.v1.AttributeMatcher;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Custom queues take what their strategy chooses (asked before the metric's default queue, which takes the rest); an
 * evaluation is queued once per project.
 */
@QuarkusTest
class FillStrategyTest {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    private ReviewQueue queue(String project, String metric, String name, FillStrategy strategy,
            AttributeMatcher... matchers) {
        return as(stub, "key-root").createQueue(CreateQueueRequest.newBuilder().setProjectId(project).setName(name)
                .setMetricId(metric).setStrategy(strategy).addAllMatchers(List.of(matchers)).build());
    }

    /** Publishes the events and returns, per evaluation id, the queue its item went to. */
    private Map<String, String> queued(String project, List<EvaluationEvent> events) {
        publish(events.toArray(EvaluationEvent[]::new));
        AnnotationsBlockingStub root = as(stub, "key-root");
        return events.stream().collect(Collectors.toMap(e -> e.getEvaluation().getId(),
                e -> awaitItem(root, project, e.getEvaluation().getId()).getQueueId()));
    }

    @Test
    void aRandomQueueTakesTheFractionChosenByAHashOfTheEvaluationId() {
        String project = newProject();
        String metric = newMetric();
        ReviewQueue random = queue(project, metric, "a third", FillStrategy.newBuilder()
                .setRandom(RandomStrategy.newBuilder().setRate(0.33)).build());
        List<EvaluationEvent> events = IntStream.range(0, 24).mapToObj(i -> event(project, metric, BOOLEAN, bool(true))).toList();
        Map<String, String> where = queued(project, events);
        Set<String> expected = events.stream().map(e -> e.getEvaluation().getId())
                .filter(id -> FillStrategies.fraction(id) < 0.33).collect(Collectors.toSet());
        Set<String> taken = where.entrySet().stream().filter(e -> e.getValue().equals(random.getId()))
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        assertEquals(expected, taken, "the same evaluations a replay would choose");
        assertFalse(taken.isEmpty());
        assertTrue(taken.size() < events.size(), "the rest went to the default queue");
    }

    @Test
    void aStratifiedQueueTakesUpToItsCapPerJudgeValuePerDay() {
        String project = newProject();
        String metric = newMetric();
        ReviewQueue stratified = queue(project, metric, "both sides", FillStrategy.newBuilder()
                .setStratified(StratifiedStrategy.newBuilder().setMaxItemsPerValuePerDay(2)).build());
        List<EvaluationEvent> events = IntStream.range(0, 8)
                .mapToObj(i -> event(project, metric, BOOLEAN, bool(i < 6))).toList(); // six passes, two fails
        queued(project, events);
        List<ReviewItem> items = as(stub, "key-root").listItems(ListItemsRequest.newBuilder().setProjectId(project)
                .setQueueId(stratified.getId()).build()).getItemsList();
        Map<Boolean, Long> perValue = items.stream().collect(Collectors.groupingBy(
                i -> i.getEvaluation().getValue().getBoolean(), Collectors.counting()));
        assertEquals(Map.of(true, 2L, false, 2L), perValue);
    }

    @Test
    void aBorderlineQueueTakesNumericValuesInsideItsBand() {
        String project = newProject();
        String metric = newMetric();
        ReviewQueue borderline = queue(project, metric, "near the line", FillStrategy.newBuilder()
                .setBorderline(BorderlineStrategy.newBuilder().setLower(40).setUpper(60)).build());
        List<MetricValue> values = List.of(percent(10), percent(40), percent(52.5), percent(60), percent(61), percent(95));
        List<EvaluationEvent> events = values.stream().map(v -> event(project, metric, PERCENTAGE, v)).toList();
        queued(project, events);
        List<Double> taken = as(stub, "key-root").listItems(ListItemsRequest.newBuilder().setProjectId(project)
                        .setQueueId(borderline.getId()).build()).getItemsList().stream()
                .map(i -> i.getEvaluation().getValue().getPercentage()).sorted().toList();
        assertEquals(List.of(40.0, 52.5, 60.0), taken);
    }

    @Test
    void matchersLimitAQueueToMatchingRecords() {
        String project = newProject();
        String metric = newMetric();
        ReviewQueue checkout = queue(project, metric, "checkout only", FillStrategy.newBuilder()
                        .setAll(io.plumbline.proto.annotation.v1.AllStrategy.getDefaultInstance()).build(),
                AttributeMatcher.newBuilder().setKey("app.flow").setOperator(AttributeMatcher.Operator.OPERATOR_EQUALS)
                        .setValue("checkout").build());
        EvaluationEvent inCheckout = event(project, metric, BOOLEAN, bool(true), Map.of("app.flow", "checkout"));
        EvaluationEvent elsewhere = event(project, metric, BOOLEAN, bool(true), Map.of("app.flow", "search"));
        Map<String, String> where = queued(project, List.of(inCheckout, elsewhere));
        assertEquals(checkout.getId(), where.get(inCheckout.getEvaluation().getId()));
        assertFalse(checkout.getId().equals(where.get(elsewhere.getEvaluation().getId())));
    }

    @Test
    void itemsAreAddedByHandToAManualQueueOnceAndEachRefusedIdIsReported() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        EvaluationEvent first = event(project, metric, BOOLEAN, bool(true));
        publish(first);
        ReviewItem firstItem = awaitItem(root, project, first.getEvaluation().getId());
        // Pause the default queue: what arrives now is stored but queued nowhere.
        ReviewQueue defaultQueue = root.getQueue(GetQueueRequest.newBuilder().setProjectId(project)
                .setQueueId(firstItem.getQueueId()).build());
        root.updateQueue(UpdateQueueRequest.newBuilder().setProjectId(project).setQueueId(defaultQueue.getId())
                .setName(defaultQueue.getName()).setStrategy(defaultQueue.getStrategy()).setPaused(true)
                .setExpectedRevision(defaultQueue.getRevision()).build());
        ReviewQueue manual = queue(project, metric, "hand picked", FillStrategy.newBuilder()
                .setManual(ManualStrategy.getDefaultInstance()).build());
        EvaluationEvent second = event(project, metric, BOOLEAN, bool(false));
        EvaluationEvent marker = event(project, newMetric(), BOOLEAN, bool(true));
        publish(second);
        publish(marker.toBuilder().setMetricId(metric).setEvaluation(marker.getEvaluation().toBuilder()
                .setMetricVersion(marker.getEvaluation().getMetricVersion().toBuilder().setMetricId(metric))).build());
        // Same key, same partition: once the event after it is stored, `second` was handled too.
        org.awaitility.Awaitility.await().atMost(Fixtures.DELIVERY).until(() -> root.addItems(AddItemsRequest.newBuilder()
                .setProjectId(project).setQueueId(manual.getId()).addEvaluationIds(marker.getEvaluation().getId())
                .build()).getItemsCount() == 1);

        AddItemsResponse added = root.addItems(AddItemsRequest.newBuilder().setProjectId(project)
                .setQueueId(manual.getId()).addEvaluationIds(second.getEvaluation().getId())
                .addEvaluationIds(first.getEvaluation().getId()).addEvaluationIds("no-such-evaluation")
                .addRecordIds(second.getEvaluation().getRecord().getRecordId()).build());
        assertEquals(1, added.getItemsCount());
        assertEquals(ReviewItem.Source.SOURCE_MANUAL, added.getItems(0).getSource());
        assertEquals("root", added.getItems(0).getAddedBy());
        assertEquals(3, added.getProblemsCount(), added.getProblemsList().toString());
        assertEquals(firstItem.getId(), added.getProblems(0).getExistingItemId(), "already queued elsewhere: reported");
        assertTrue(added.getProblems(1).getReason().contains("no evaluation no-such-evaluation"), added.toString());
        assertTrue(added.getProblems(2).getReason().contains("already queued"), "the record's evaluation was just added");
        assertEquals(List.of("hand picked"), root.listQueues(ListQueuesRequest.newBuilder().setProjectId(project)
                .setMetricId(metric).setExcludeMetricDefault(true).build()).getQueuesList().stream()
                .map(ReviewQueue::getName).toList());
        assertEquals(2, root.listQueues(ListQueuesRequest.newBuilder().setProjectId(project).build()).getQueuesCount());
    }
}
