package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.DELIVERY;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.awaitItem;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.event;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.plumbline.annotation.Fixtures.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.GetItemRequest;
import io.plumbline.proto.annotation.v1.GetQueueRequest;
import io.plumbline.proto.annotation.v1.ListItemsRequest;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.ReviewQueue;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.plumbline.testing.KafkaTestConsumer;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Evaluations arrive from plumbline.evaluations, are kept once, and fill their metric's default queue. */
@QuarkusTest
class EvaluationIntakeTest {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    @Test
    void anEvaluationBecomesAnItemOfItsMetricsDefaultQueueWithEverythingAReviewerNeeds() {
        String project = newProject();
        String metric = newMetric();
        EvaluationEvent event = event(project, metric, BOOLEAN, bool(true));
        publish(event);

        AnnotationsBlockingStub root = as(stub, "key-root");
        ReviewItem listed = awaitItem(root, project, event.getEvaluation().getId());
        ReviewItem item = as(stub, "key-bob").getItem(GetItemRequest.newBuilder().setProjectId(project)
                .setItemId(listed.getId()).build());
        assertEquals(event.getEvaluation(), item.getEvaluation(), "the judge's value, reasoning, metric and version");
        assertEquals(event.getSnapshot(), item.getSnapshot(), "the judged input and output");
        assertEquals(ReviewItem.Status.STATUS_OPEN, item.getStatus());
        assertEquals(ReviewItem.Source.SOURCE_STRATEGY, item.getSource());

        ReviewQueue queue = root.getQueue(GetQueueRequest.newBuilder().setProjectId(project)
                .setQueueId(item.getQueueId()).build());
        assertTrue(queue.getMetricDefault());
        assertEquals(metric, queue.getMetricId());
        assertEquals(1, queue.getCounts().getTotal());
        assertEquals(1, queue.getCounts().getOpen());
    }

    @Test
    void aRedeliveredEventAndAReplayedEvaluationAreKeptOnce() {
        String project = newProject();
        String metric = newMetric();
        EvaluationEvent event = event(project, metric, BOOLEAN, bool(true));
        EvaluationEvent replay = event.toBuilder().setEventId(java.util.UUID.randomUUID().toString()).build();
        EvaluationEvent later = event(project, metric, BOOLEAN, bool(false));
        publish(event, event, replay, later);

        AnnotationsBlockingStub root = as(stub, "key-root");
        // Same key, same partition: once the later event is in, the three before it were handled.
        ReviewItem laterItem = awaitItem(root, project, later.getEvaluation().getId());
        assertEquals(1, root.listItems(ListItemsRequest.newBuilder().setProjectId(project)
                .setEvaluationId(event.getEvaluation().getId()).build()).getItemsCount());
        assertEquals(2, root.getQueue(GetQueueRequest.newBuilder().setProjectId(project)
                .setQueueId(laterItem.getQueueId()).build()).getCounts().getTotal());
    }

    @Test
    void aPoisonMessageGoesToTheDeadLetterTopicWithTheReasonAndTheConsumerGoesOn() {
        String project = newProject();
        String metric = newMetric();
        try (var dlq = KafkaTestConsumer.fromNow(Topic.EVALUATIONS.deadLetterTopicName())) {
            Fixtures.send(metric, "not protobuf at all".getBytes(StandardCharsets.UTF_8));
            EvaluationEvent withoutId = event(project, metric, BOOLEAN, bool(true));
            withoutId = withoutId.toBuilder().setEvaluation(withoutId.getEvaluation().toBuilder().clearId()).build();
            publish(withoutId);
            EvaluationEvent good = event(project, metric, BOOLEAN, bool(false));
            publish(good);

            var dead = dlq.await(all -> all.stream().filter(r -> metric.equals(KafkaTestConsumer.key(r))).count() >= 2,
                    DELIVERY).stream().filter(r -> metric.equals(KafkaTestConsumer.key(r))).toList();
            // The headers SmallRye Reactive Messaging writes on a dead letter.
            assertTrue(KafkaTestConsumer.header(dead.get(0), "dead-letter-reason")
                    .contains("not a plumbline.judge.v1.EvaluationEvent"), KafkaTestConsumer.header(dead.get(0), "dead-letter-reason"));
            assertEquals(Topic.EVALUATIONS.topicName(), KafkaTestConsumer.header(dead.get(0), "dead-letter-topic"));
            assertTrue(KafkaTestConsumer.header(dead.get(0), "dead-letter-exception-class-name").endsWith("UnprocessableRecord"));
            assertTrue(KafkaTestConsumer.header(dead.get(0), "dead-letter-offset") != null);
            assertTrue(KafkaTestConsumer.header(dead.get(1), "dead-letter-reason").contains("lacks evaluation.id"),
                    KafkaTestConsumer.header(dead.get(1), "dead-letter-reason"));
            assertEquals("not protobuf at all", Fixtures.utf8(dead.get(0).value()), "the message itself is kept");

            awaitItem(as(stub, "key-root"), project, good.getEvaluation().getId());
        }
    }
}
