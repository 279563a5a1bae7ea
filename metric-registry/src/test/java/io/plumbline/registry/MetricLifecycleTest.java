package io.plumbline.registry;

import static io.plumbline.registry.Fixtures.ALICE;
import static io.plumbline.registry.Fixtures.BOB;
import static io.plumbline.registry.Fixtures.TEMPLATE;
import static io.plumbline.registry.Fixtures.booleanMetric;
import static io.plumbline.registry.Fixtures.content;
import static io.plumbline.registry.Fixtures.example;
import static io.plumbline.registry.Fixtures.newProject;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.proto.registry.v1.CreateVersionRequest;
import io.plumbline.proto.registry.v1.DiffVersionsRequest;
import io.plumbline.proto.registry.v1.ForkMetricRequest;
import io.plumbline.proto.registry.v1.GetPublishedVersionRequest;
import io.plumbline.proto.registry.v1.GetVersionRequest;
import io.plumbline.proto.registry.v1.ListMetricsRequest;
import io.plumbline.proto.registry.v1.ListPublicationsRequest;
import io.plumbline.proto.registry.v1.ListPublishedVersionsRequest;
import io.plumbline.proto.registry.v1.ListVersionsRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc.MetricRegistryBlockingStub;
import io.plumbline.proto.registry.v1.Publication;
import io.plumbline.proto.registry.v1.PublishVersionRequest;
import io.plumbline.proto.registry.v1.RevertToVersionRequest;
import io.plumbline.proto.registry.v1.VersionContent;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class MetricLifecycleTest {

    @GrpcClient("registry")
    MetricRegistryBlockingStub registry;

    @Test
    void createVersionPublishRevertAndForkKeepTheWholeHistory() {
        String project = newProject();
        var created = registry.createMetric(booleanMetric(project, "medical-safety").build());
        String id = created.getMetric().getId();
        assertEquals(1, created.getVersion().getVersion());
        assertEquals(1, created.getMetric().getPublishedVersion());
        assertEquals(1, created.getMetric().getHeadVersion());
        assertEquals(ALICE, created.getVersion().getAuthor());

        VersionContent v2Content = content(TEMPLATE, "Flag dosage advice without a disclaimer.",
                        "A referral to a doctor counts as a disclaimer.").toBuilder()
                .addExamples(example(false, "Recommends 800 mg ibuprofen with no disclaimer: unsafe.")).build();
        var v2 = registry.createVersion(CreateVersionRequest.newBuilder().setProjectId(project).setMetricId(id)
                .setParentVersion(1).setContent(v2Content).setAuthor(BOB).setChangeNote("Accept doctor referrals").build());
        assertEquals(2, v2.getVersion());
        assertEquals(1, v2.getParentVersion());
        assertNotEquals(created.getVersion().getContentHash(), v2.getContentHash());
        assertEquals(1, published(project, id).getVersion().getVersion(), "creating a version does not publish it");

        var afterPublish = registry.publishVersion(PublishVersionRequest.newBuilder().setProjectId(project)
                .setMetricId(id).setVersion(2).setActor(BOB).build());
        assertEquals(2, afterPublish.getPublishedVersion());
        assertEquals(v2Content, VersionContent.newBuilder().setPromptTemplate(published(project, id).getVersion()
                .getPromptTemplate()).addAllGuidelines(published(project, id).getVersion().getGuidelinesList())
                .addAllExamples(published(project, id).getVersion().getExamplesList()).build());

        var reverted = registry.revertToVersion(RevertToVersionRequest.newBuilder().setProjectId(project)
                .setMetricId(id).setVersion(1).setActor(ALICE).build());
        assertEquals(3, reverted.getVersion().getVersion(), "a revert is a new head version");
        assertEquals(2, reverted.getVersion().getParentVersion());
        assertEquals("Revert to v1", reverted.getVersion().getChangeNote());
        assertEquals(created.getVersion().getContentHash(), reverted.getVersion().getContentHash());
        assertEquals(3, published(project, id).getVersion().getVersion());

        var history = registry.listVersions(ListVersionsRequest.newBuilder().setProjectId(project).setMetricId(id).build());
        assertEquals(java.util.List.of(3, 2, 1), history.getVersionsList().stream().map(v -> v.getVersion()).toList());
        var v2Again = registry.getVersion(GetVersionRequest.newBuilder().setProjectId(project).setMetricId(id)
                .setVersion(2).build());
        assertEquals(v2, v2Again, "versions are immutable");

        var publications = registry.listPublications(ListPublicationsRequest.newBuilder().setProjectId(project)
                .setMetricId(id).build()).getPublicationsList();
        assertEquals(3, publications.size());
        assertEquals(Publication.Kind.KIND_REVERT, publications.get(0).getKind());
        assertEquals(1, publications.get(0).getRevertedToVersion());
        assertEquals(2, publications.get(0).getPreviousVersion());
        assertEquals(Publication.Kind.KIND_PUBLISH, publications.get(1).getKind());

        var diff = registry.diffVersions(DiffVersionsRequest.newBuilder().setProjectId(project).setMetricId(id)
                .setFromVersion(1).setToVersion(2).build());
        assertFalse(diff.getIdentical());
        assertTrue(diff.getGuidelinesDiff().contains("+- A referral to a doctor counts as a disclaimer."),
                diff.getGuidelinesDiff());
        assertTrue(diff.getExamplesDiff().contains("+  critique:"), diff.getExamplesDiff());
        assertEquals("", diff.getPromptTemplateDiff());
        assertTrue(registry.diffVersions(DiffVersionsRequest.newBuilder().setProjectId(project).setMetricId(id)
                .setFromVersion(1).setToVersion(3).build()).getIdentical());

        var fork = registry.forkMetric(ForkMetricRequest.newBuilder().setProjectId(project).setSourceMetricId(id)
                .setSourceVersion(2).setName("medical-safety-strict").setAuthor(BOB).build());
        assertEquals(id, fork.getMetric().getForkedFrom().getMetricId());
        assertEquals(2, fork.getMetric().getForkedFrom().getVersion());
        assertEquals(v2.getContentHash(), fork.getVersion().getContentHash());
        assertEquals("Forked from medical-safety v2", fork.getVersion().getChangeNote());
    }

    @Test
    void builtInsAreForkedAndNeverChange() {
        String project = newProject();
        var builtins = registry.listMetrics(ListMetricsRequest.newBuilder().setProjectId(project).setPageSize(100).build())
                .getMetricsList().stream().filter(m -> m.getBuiltin()).toList();
        var correctness = builtins.stream().filter(m -> m.getName().equals("answer_correctness")).findFirst().orElseThrow();
        var before = registry.getPublishedVersion(GetPublishedVersionRequest.newBuilder().setProjectId(project)
                .setMetricId(correctness.getId()).build());

        var fork = registry.forkMetric(ForkMetricRequest.newBuilder().setProjectId(project)
                .setSourceMetricId(correctness.getId()).setName("support-correctness").setAuthor(ALICE).build());
        assertFalse(fork.getMetric().getBuiltin());
        assertEquals(project, fork.getMetric().getProjectId());
        assertEquals(correctness.getId(), fork.getMetric().getForkedFrom().getMetricId());
        assertEquals(before.getVersion().getPromptTemplate(), fork.getVersion().getPromptTemplate());
        assertEquals(before.getVersion().getContentHash(), fork.getVersion().getContentHash());

        registry.createVersion(CreateVersionRequest.newBuilder().setProjectId(project)
                .setMetricId(fork.getMetric().getId()).setParentVersion(1).setPublish(true)
                .setContent(content(before.getVersion().getPromptTemplate(), "Partial answers fail."))
                .setAuthor(ALICE).setChangeNote("Stricter").build());

        var after = registry.getPublishedVersion(GetPublishedVersionRequest.newBuilder().setProjectId("other-project")
                .setMetricId(correctness.getId()).build());
        assertEquals(before, after, "the built-in is unchanged, and every project reads it");
    }

    @Test
    void aRetriedAcceptOfOneAlignmentRunCreatesOneVersionAndOneFork() {
        String project = newProject();
        String id = registry.createMetric(booleanMetric(project, "aligned").build()).getMetric().getId();
        var run = io.plumbline.proto.registry.v1.Author.newBuilder().setAlignmentRunId("run-42").build();
        var request = CreateVersionRequest.newBuilder().setProjectId(project).setMetricId(id).setParentVersion(1)
                .setContent(content(TEMPLATE, "Distilled rule")).setAuthor(run).setChangeNote("Alignment run run-42")
                .setPublish(true).build();
        var first = registry.createVersion(request);
        var retried = registry.createVersion(request);
        assertEquals(first, retried);
        assertEquals(2, registry.listVersions(ListVersionsRequest.newBuilder().setProjectId(project).setMetricId(id)
                .build()).getVersionsCount());

        var fork = ForkMetricRequest.newBuilder().setProjectId(project)
                .setSourceMetricId("00000000-0000-4000-8000-000000000003").setName("aligned-safety")
                .setAuthor(run).build();
        var firstFork = registry.forkMetric(fork);
        var retriedFork = registry.forkMetric(fork.toBuilder().setName("aligned-safety-2").build());
        assertEquals(firstFork.getMetric().getId(), retriedFork.getMetric().getId());
    }

    @Test
    void builtInsCoverEveryLevelAndOutputType() {
        var metrics = registry.listPublishedVersions(ListPublishedVersionsRequest.newBuilder()
                .setProjectId(newProject()).build()).getMetricsList().stream()
                .map(m -> m.getMetric()).filter(m -> m.getBuiltin()).toList();
        var levels = metrics.stream().map(m -> m.getLevel()).collect(java.util.stream.Collectors.toSet());
        var types = metrics.stream().map(m -> m.getOutputType().getKindCase()).collect(java.util.stream.Collectors.toSet());
        assertEquals(3, levels.size(), "levels: " + levels);
        assertEquals(5, types.size(), "output types: " + types);
    }

    @Test
    void listsArePagedWithoutGapsOrRepeats() {
        String project = newProject();
        for (String name : new String[] {"c-metric", "a-metric", "b-metric"}) {
            registry.createMetric(booleanMetric(project, name).build());
        }
        var first = registry.listMetrics(ListMetricsRequest.newBuilder().setProjectId(project).setExcludeBuiltin(true)
                .setPageSize(2).build());
        assertEquals(java.util.List.of("a-metric", "b-metric"), first.getMetricsList().stream().map(m -> m.getName()).toList());
        assertFalse(first.getNextPageToken().isEmpty());
        var second = registry.listMetrics(ListMetricsRequest.newBuilder().setProjectId(project).setExcludeBuiltin(true)
                .setPageSize(2).setPageToken(first.getNextPageToken()).build());
        assertEquals(java.util.List.of("c-metric"), second.getMetricsList().stream().map(m -> m.getName()).toList());
        assertEquals("", second.getNextPageToken());
    }

    private io.plumbline.proto.registry.v1.MetricWithVersion published(String project, String id) {
        return registry.getPublishedVersion(GetPublishedVersionRequest.newBuilder().setProjectId(project)
                .setMetricId(id).build());
    }
}
