package io.plumbline.registry;

import static io.plumbline.registry.Fixtures.ALICE;
import static io.plumbline.registry.Fixtures.BOB;
import static io.plumbline.registry.Fixtures.TEMPLATE;
import static io.plumbline.registry.Fixtures.booleanMetric;
import static io.plumbline.registry.Fixtures.content;
import static io.plumbline.registry.Fixtures.newProject;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.CreateVersionRequest;
import io.plumbline.proto.registry.v1.ListVersionsRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc.MetricRegistryBlockingStub;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.RepeatedTest;

@QuarkusTest
class VersionRaceTest {

    @GrpcClient("registry")
    MetricRegistryBlockingStub registry;

    @RepeatedTest(3)
    void twoEditorsOnOneParentExactlyOneWinsAndTheOtherSeesTheNewHead() throws Exception {
        String project = newProject();
        String id = registry.createMetric(booleanMetric(project, "race").build()).getMetric().getId();

        CountDownLatch start = new CountDownLatch(1);
        ExecutorService editors = Executors.newFixedThreadPool(2);
        List<Future<MetricVersion>> attempts = new ArrayList<>();
        try {
            for (Author editor : List.of(ALICE, BOB)) {
                attempts.add(editors.submit(() -> {
                    start.await();
                    return registry.createVersion(CreateVersionRequest.newBuilder().setProjectId(project)
                            .setMetricId(id).setParentVersion(1).setAuthor(editor)
                            .setContent(content(TEMPLATE, "Rule by " + editor.getUser()))
                            .setChangeNote("Edit by " + editor.getUser()).build());
                }));
            }
            start.countDown();
            int won = 0;
            List<StatusRuntimeException> lost = new ArrayList<>();
            for (Future<MetricVersion> attempt : attempts) {
                try {
                    assertEquals(2, attempt.get().getVersion());
                    won++;
                } catch (java.util.concurrent.ExecutionException e) {
                    lost.add((StatusRuntimeException) e.getCause());
                }
            }
            assertEquals(1, won, "exactly one editor wins");
            assertEquals(1, lost.size());
            StatusRuntimeException refusal = lost.get(0);
            assertEquals(Status.Code.ABORTED, refusal.getStatus().getCode());
            assertTrue(refusal.getStatus().getDescription().contains("the head is version 2"),
                    refusal.getStatus().getDescription());
            ErrorInfo info = StatusProto.fromThrowable(refusal).getDetails(0).unpack(ErrorInfo.class);
            assertEquals("2", info.getMetadataMap().get("head_version"));
        } finally {
            editors.shutdownNow();
        }
        var versions = registry.listVersions(ListVersionsRequest.newBuilder().setProjectId(project).setMetricId(id).build());
        assertEquals(2, versions.getVersionsCount(), "the loser wrote nothing");
    }
}
