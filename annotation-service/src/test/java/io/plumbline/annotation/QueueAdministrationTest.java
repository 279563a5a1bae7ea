package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.GOOD_CRITIQUE;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.itemsFor;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.plumbline.annotation.Fixtures.refused;
import static io.plumbline.annotation.Fixtures.resolution;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.plumbline.proto.annotation.v1.AllStrategy;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.CreateQueueRequest;
import io.plumbline.proto.annotation.v1.DeleteQueueRequest;
import io.plumbline.proto.annotation.v1.DeleteQueueResponse;
import io.plumbline.proto.annotation.v1.FillStrategy;
import io.plumbline.proto.annotation.v1.GetItemRequest;
import io.plumbline.proto.annotation.v1.GetResolutionConfigRequest;
import io.plumbline.proto.annotation.v1.ListAnnotationsRequest;
import io.plumbline.proto.annotation.v1.ListQueuesRequest;
import io.plumbline.proto.annotation.v1.ResolutionConfig;
import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.ReviewQueue;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.UpdateResolutionConfigRequest;
import io.plumbline.proto.annotation.v1.Verdict;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Deleting queues, reading resolution settings, the queue gauges, and every rpc of the contract answering. */
@QuarkusTest
class QueueAdministrationTest {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    private void submit(String key, String project, ReviewItem item, boolean value) {
        var request = SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId());
        if (value == item.getEvaluation().getValue().getBoolean()) {
            request.setVerdict(Verdict.VERDICT_CORRECT);
        } else {
            request.setVerdict(Verdict.VERDICT_INCORRECT).setExpectedValue(bool(value)).setCritique(GOOD_CRITIQUE);
        }
        as(stub, key).submitFeedback(request.build());
    }

    @Test
    void deletingACustomQueueRemovesItsUnresolvedItemsAndKeepsItsAnnotations() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        ReviewQueue triage = root.createQueue(CreateQueueRequest.newBuilder().setProjectId(project).setName("triage")
                .setMetricId(metric).setStrategy(FillStrategy.newBuilder().setAll(AllStrategy.getDefaultInstance()))
                .build());
        List<ReviewItem> items = itemsFor(root, project, metric, BOOLEAN, bool(true), bool(true));
        assertEquals(triage.getId(), items.get(0).getQueueId(), "custom queues take evaluations first");
        submit("key-bob", project, items.get(0), true);

        ReviewQueue metricDefault = root.listQueues(ListQueuesRequest.newBuilder().setProjectId(project).build())
                .getQueuesList().stream().filter(ReviewQueue::getMetricDefault).findFirst().orElseThrow();
        refused(Status.Code.FAILED_PRECONDITION, () -> root.deleteQueue(DeleteQueueRequest.newBuilder()
                .setProjectId(project).setQueueId(metricDefault.getId()).build()));
        refused(Status.Code.PERMISSION_DENIED, () -> as(stub, "key-bob").deleteQueue(DeleteQueueRequest.newBuilder()
                .setProjectId(project).setQueueId(triage.getId()).build()));

        DeleteQueueResponse deleted = root.deleteQueue(DeleteQueueRequest.newBuilder().setProjectId(project)
                .setQueueId(triage.getId()).build());
        assertEquals(1, deleted.getItemsRemoved());
        assertEquals(1, deleted.getAnnotationsKept());
        refused(Status.Code.NOT_FOUND, () -> root.getItem(GetItemRequest.newBuilder().setProjectId(project)
                .setItemId(items.get(1).getId()).build()));
        assertEquals(1, root.listAnnotations(ListAnnotationsRequest.newBuilder().setProjectId(project)
                .setMetricId(metric).build()).getAnnotationsCount());
        assertEquals(List.of(metricDefault.getId()), root.listQueues(ListQueuesRequest.newBuilder()
                .setProjectId(project).build()).getQueuesList().stream().map(ReviewQueue::getId).toList());
    }

    @Test
    void aMetricsResolutionSettingsAreTheDefaultsUntilSet() {
        String project = newProject();
        String metric = newMetric();
        GetResolutionConfigRequest get = GetResolutionConfigRequest.newBuilder().setProjectId(project)
                .setMetricId(metric).build();
        ResolutionConfig defaults = as(stub, "key-bob").getResolutionConfig(get);
        assertTrue(defaults.getIsDefault());
        assertEquals(ResolutionRule.RESOLUTION_RULE_MAJORITY, defaults.getSettings().getRule());
        assertEquals(1, defaults.getSettings().getRequiredReviews());
        assertEquals(0, defaults.getRevision());
        refused(Status.Code.INVALID_ARGUMENT, () -> as(stub, "key-bob").getResolutionConfig(
                get.toBuilder().clearMetricId().build()));

        ResolutionSettings unanimous = ResolutionSettings.newBuilder().setRule(ResolutionRule.RESOLUTION_RULE_UNANIMOUS)
                .setRequiredReviews(3).build();
        ResolutionConfig set = as(stub, "key-root").updateResolutionConfig(UpdateResolutionConfigRequest.newBuilder()
                .setProjectId(project).setMetricId(metric).setSettings(unanimous).build());
        ResolutionConfig read = as(stub, "key-bob").getResolutionConfig(get);
        assertEquals(set, read);
        assertFalse(read.getIsDefault());
        assertEquals(unanimous, read.getSettings());
        assertEquals(1, read.getRevision());
        assertEquals("root", read.getUpdatedBy());
        given().header("X-API-Key", "key-bob").get("/api/v1/projects/" + project + "/metrics/" + metric + "/resolution")
                .then().statusCode(200)
                .body("settings.rule", equalTo("RESOLUTION_RULE_UNANIMOUS"))
                .body("settings.requiredReviews", equalTo(3));
    }

    @Test
    void gaugesShowEachQueuesDepthAndTheResolutionsPerRule() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        resolution(root, project, metric, ResolutionSettings.newBuilder()
                .setRule(ResolutionRule.RESOLUTION_RULE_MAJORITY).setRequiredReviews(2).build());
        List<ReviewItem> items = itemsFor(root, project, metric, BOOLEAN, bool(true), bool(true), bool(true));
        submit("key-bob", project, items.get(0), true);
        submit("key-carol", project, items.get(0), false);  // a tie: awaits adjudication
        submit("key-bob", project, items.get(1), true);
        submit("key-carol", project, items.get(1), true);   // resolved by the majority

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
            assertEquals(2.0, gauge(metrics, "plumbline_annotation_queue_depth", project, ""));
            assertEquals(1.0, gauge(metrics, "plumbline_annotation_items_awaiting_review", project, ""));
            assertEquals(1.0, gauge(metrics, "plumbline_annotation_items_awaiting_adjudication", project, ""));
            assertEquals(1.0, gauge(metrics, "plumbline_annotation_resolutions", project,
                    "rule=\"RESOLUTION_RULE_MAJORITY\""));
        });
    }

    /** The value of the gauge's series of the project (and holding {@code also}), or -1 when there is none. */
    private static double gauge(String scrape, String name, String project, String also) {
        return scrape.lines().filter(l -> l.startsWith(name + "{") && l.contains("project=\"" + project + "\"")
                        && l.contains(also))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
    }

    /** Raw bytes both ways: any rpc of the service can be called with an empty (default) request. */
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    };

    @Test
    void everyRpcOfTheContractIsImplemented() {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), "key-root");
        Channel channel = ClientInterceptors.intercept(stub.getChannel(),
                MetadataUtils.newAttachHeadersInterceptor(headers));
        var methods = AnnotationsGrpc.getServiceDescriptor().getMethods();
        assertEquals(26, methods.size(), "the contract's rpcs");
        for (MethodDescriptor<?, ?> method : methods) {
            MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder(BYTES, BYTES)
                    .setFullMethodName(method.getFullMethodName()).setType(method.getType()).build();
            Status.Code code = Status.Code.OK;
            try {
                if (method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
                    ClientCalls.blockingServerStreamingCall(channel, raw, CallOptions.DEFAULT, new byte[0])
                            .forEachRemaining(chunk -> { });
                } else {
                    ClientCalls.blockingUnaryCall(channel, raw, CallOptions.DEFAULT, new byte[0]);
                }
            } catch (StatusRuntimeException e) {
                code = e.getStatus().getCode();
            }
            assertNotEquals(Status.Code.UNIMPLEMENTED, code, method.getFullMethodName());
            assertNotEquals(Status.Code.UNKNOWN, code, method.getFullMethodName() + " failed without a status");
        }
    }
}
