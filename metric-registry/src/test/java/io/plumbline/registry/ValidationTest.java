package io.plumbline.registry;

import static io.plumbline.registry.Fixtures.ALICE;
import static io.plumbline.registry.Fixtures.TEMPLATE;
import static io.plumbline.registry.Fixtures.booleanMetric;
import static io.plumbline.registry.Fixtures.content;
import static io.plumbline.registry.Fixtures.example;
import static io.plumbline.registry.Fixtures.newProject;
import static io.plumbline.registry.Fixtures.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.plumbline.proto.common.v1.CategoricalType;
import io.plumbline.proto.common.v1.DiscreteType;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.AttributeMatcher;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.Binding;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.CreateVersionRequest;
import io.plumbline.proto.registry.v1.ForkMetricRequest;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.GetVersionRequest;
import io.plumbline.proto.registry.v1.ListMetricsRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc.MetricRegistryBlockingStub;
import io.plumbline.proto.registry.v1.PublishVersionRequest;
import io.plumbline.proto.registry.v1.RevertToVersionRequest;
import io.plumbline.proto.registry.v1.SetArchivedRequest;
import io.plumbline.proto.registry.v1.UpdateMetricRequest;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every rule of the registry refuses bad input with the field and the rule, and writes nothing. */
@QuarkusTest
class ValidationTest {

    static final String ANSWER_CORRECTNESS = "00000000-0000-4000-8000-000000000001";

    @GrpcClient("registry")
    MetricRegistryBlockingStub registry;

    @Test
    void createNamesEveryBrokenFieldAndWritesNothing() {
        String project = newProject();
        var request = CreateMetricRequest.newBuilder()
                .setProjectId(project)
                .setName("Bad Name!")
                .setOutputType(OutputType.newBuilder().setCategorical(CategoricalType.newBuilder().addLabels("only")))
                .setJudgeModel(ModelConfig.newBuilder().setProvider("openai"))
                .addBindings(Binding.newBuilder().setName("b").setSamplingRate(1.5)
                        .addMatchers(AttributeMatcher.newBuilder().setKey("gen_ai.system")
                                .setOperator(AttributeMatcher.Operator.OPERATOR_REGEX).setValue("(unclosed")))
                .setContent(content(TEMPLATE))
                .setAuthor(ALICE)
                .build();
        var violations = violations(refused(Status.Code.INVALID_ARGUMENT, () -> registry.createMetric(request)));
        assertTrue(violations.get("name").contains("lower-case"), violations.toString());
        assertTrue(violations.get("level").contains("required"), violations.toString());
        assertTrue(violations.get("output_type.categorical.labels").contains("2 to"), violations.toString());
        assertTrue(violations.get("judge_model.model").contains("required"), violations.toString());
        assertTrue(violations.get("bindings[0].sampling_rate").contains("0 to 1"), violations.toString());
        assertTrue(violations.get("bindings[0].matchers[0].value").contains("regular expression"), violations.toString());
        assertEquals(0, registry.listMetrics(ListMetricsRequest.newBuilder().setProjectId(project)
                .setExcludeBuiltin(true).build()).getMetricsCount(), "nothing is half-written");
    }

    @Test
    void projectIdAndDiscreteRangeAndAuthorAreChecked() {
        var request = booleanMetric("bad project", "ok-name")
                .setOutputType(OutputType.newBuilder().setDiscrete(DiscreteType.newBuilder().setMin(5).setMax(1)))
                .setAuthor(Author.getDefaultInstance()).build();
        var violations = violations(refused(Status.Code.INVALID_ARGUMENT, () -> registry.createMetric(request)));
        assertTrue(violations.containsKey("project_id"), violations.toString());
        assertTrue(violations.get("output_type.discrete").contains("greater than min"), violations.toString());
        assertTrue(violations.containsKey("author"), violations.toString());
    }

    @Test
    void unknownTemplateVariableIsRejectedNamingTheVariable() {
        var request = booleanMetric(newProject(), "typo").setContent(content("Judge {{ouput}} for {{input}}")).build();
        var violations = violations(refused(Status.Code.INVALID_ARGUMENT, () -> registry.createMetric(request)));
        assertTrue(violations.get("content.prompt_template").contains("unknown variable \"ouput\""), violations.toString());
    }

    @Test
    void templateThatCannotRenderIsRejected() {
        var request = booleanMetric(newProject(), "unclosed").setContent(content("Judge {{output for {{input}}")).build();
        var violations = violations(refused(Status.Code.INVALID_ARGUMENT, () -> registry.createMetric(request)));
        assertTrue(violations.get("content.prompt_template").contains("never closed"), violations.toString());
    }

    @Test
    void examplesMustCarryAValueOfTheMetricsTypeAndACritique() {
        var badExample = example(true, "").toBuilder().setExpectedValue(MetricValue.newBuilder().setPercentage(70)).build();
        var request = booleanMetric(newProject(), "examples")
                .setContent(content(TEMPLATE).toBuilder().addExamples(badExample)).build();
        var violations = violations(refused(Status.Code.INVALID_ARGUMENT, () -> registry.createMetric(request)));
        assertTrue(violations.get("content.examples[0].expected_value").contains("boolean"), violations.toString());
        assertTrue(violations.get("content.examples[0].critique").contains("required"), violations.toString());
    }

    @Test
    void duplicateNameIsAlreadyExists() {
        String project = newProject();
        registry.createMetric(booleanMetric(project, "twice").build());
        var e = refused(Status.Code.ALREADY_EXISTS, () -> registry.createMetric(booleanMetric(project, "twice").build()));
        assertTrue(e.getStatus().getDescription().contains("\"twice\""), e.getStatus().getDescription());
        refused(Status.Code.ALREADY_EXISTS, () -> registry.createMetric(booleanMetric(project, "safety").build()));
    }

    @Test
    void unknownIdsAreNotFoundAndOtherProjectsMetricsAreInvisible() {
        String project = newProject();
        String id = registry.createMetric(booleanMetric(project, "mine").build()).getMetric().getId();
        refused(Status.Code.NOT_FOUND, () -> registry.getMetric(GetMetricRequest.newBuilder().setProjectId(project)
                .setMetricId("7d9f1c52-0000-4000-8000-000000000000").build()));
        refused(Status.Code.NOT_FOUND, () -> registry.getMetric(GetMetricRequest.newBuilder().setProjectId("someone-else")
                .setMetricId(id).build()));
        refused(Status.Code.NOT_FOUND, () -> registry.getVersion(GetVersionRequest.newBuilder().setProjectId(project)
                .setMetricId(id).setVersion(7).build()));
        var e = refused(Status.Code.INVALID_ARGUMENT, () -> registry.getMetric(GetMetricRequest.newBuilder()
                .setProjectId(project).setMetricId("not-a-uuid").build()));
        assertTrue(violations(e).containsKey("metric_id"));
    }

    @Test
    void staleParentIsAbortedWithTheCurrentHead() {
        String project = newProject();
        String id = registry.createMetric(booleanMetric(project, "stale").build()).getMetric().getId();
        registry.createVersion(version(project, id, 1));
        var e = refused(Status.Code.ABORTED, () -> registry.createVersion(version(project, id, 1)));
        assertTrue(e.getStatus().getDescription().contains("the head is version 2"), e.getStatus().getDescription());
        var e2 = refused(Status.Code.ABORTED, () -> registry.revertToVersion(RevertToVersionRequest.newBuilder()
                .setProjectId(project).setMetricId(id).setVersion(1).setExpectedHeadVersion(1).setActor(ALICE).build()));
        assertTrue(e2.getStatus().getDescription().contains("the head is version 2"));
        var stale = registry.getMetric(GetMetricRequest.newBuilder().setProjectId(project).setMetricId(id).build());
        registry.updateMetric(update(project, id, stale.getRevision()).setDescription("first").build());
        refused(Status.Code.ABORTED, () -> registry.updateMetric(update(project, id, stale.getRevision())
                .setDescription("second").build()));
    }

    @Test
    void builtInsRefuseEveryChange() {
        String project = newProject();
        var e = refused(Status.Code.FAILED_PRECONDITION, () -> registry.createVersion(version(project, ANSWER_CORRECTNESS, 1)));
        assertTrue(e.getStatus().getDescription().contains("fork it"), e.getStatus().getDescription());
        refused(Status.Code.FAILED_PRECONDITION, () -> registry.updateMetric(update(project, ANSWER_CORRECTNESS, 0).build()));
        refused(Status.Code.FAILED_PRECONDITION, () -> registry.setArchived(SetArchivedRequest.newBuilder()
                .setProjectId(project).setMetricId(ANSWER_CORRECTNESS).setArchived(true).setActor(ALICE).build()));
        refused(Status.Code.FAILED_PRECONDITION, () -> registry.publishVersion(PublishVersionRequest.newBuilder()
                .setProjectId(project).setMetricId(ANSWER_CORRECTNESS).setVersion(1).setActor(ALICE).build()));
        refused(Status.Code.FAILED_PRECONDITION, () -> registry.revertToVersion(RevertToVersionRequest.newBuilder()
                .setProjectId(project).setMetricId(ANSWER_CORRECTNESS).setVersion(1).setActor(ALICE).build()));
    }

    @Test
    void archivedMetricsRefuseNewVersionsUntilRestored() {
        String project = newProject();
        String id = registry.createMetric(booleanMetric(project, "archived").build()).getMetric().getId();
        registry.setArchived(SetArchivedRequest.newBuilder().setProjectId(project).setMetricId(id).setArchived(true)
                .setActor(ALICE).build());
        var e = refused(Status.Code.FAILED_PRECONDITION, () -> registry.createVersion(version(project, id, 1)));
        assertTrue(e.getStatus().getDescription().contains("archived"));
        registry.setArchived(SetArchivedRequest.newBuilder().setProjectId(project).setMetricId(id).setArchived(false)
                .setActor(ALICE).build());
        assertEquals(2, registry.createVersion(version(project, id, 1)).getVersion());
    }

    @Test
    void forkNeedsAFreeNameAndAnExistingSourceVersion() {
        String project = newProject();
        refused(Status.Code.ALREADY_EXISTS, () -> registry.forkMetric(ForkMetricRequest.newBuilder().setProjectId(project)
                .setSourceMetricId(ANSWER_CORRECTNESS).setName("answer_correctness").setAuthor(ALICE).build()));
        refused(Status.Code.NOT_FOUND, () -> registry.forkMetric(ForkMetricRequest.newBuilder().setProjectId(project)
                .setSourceMetricId(ANSWER_CORRECTNESS).setSourceVersion(9).setName("fork").setAuthor(ALICE).build()));
    }

    @Test
    void pagingArgumentsAreChecked() {
        var e = refused(Status.Code.INVALID_ARGUMENT, () -> registry.listMetrics(ListMetricsRequest.newBuilder()
                .setProjectId(newProject()).setPageSize(10_000).build()));
        assertTrue(violations(e).get("page_size").contains("1 and 500"));
        refused(Status.Code.INVALID_ARGUMENT, () -> registry.listMetrics(ListMetricsRequest.newBuilder()
                .setProjectId(newProject()).setPageToken("%%%").build()));
    }

    @Test
    void aVersionWithoutChangeNoteOrParentIsRefused() {
        String project = newProject();
        String id = registry.createMetric(booleanMetric(project, "notes").build()).getMetric().getId();
        var violations = violations(refused(Status.Code.INVALID_ARGUMENT, () -> registry.createVersion(
                CreateVersionRequest.newBuilder().setProjectId(project).setMetricId(id)
                        .setContent(content(TEMPLATE)).setAuthor(ALICE).build())));
        assertTrue(violations.containsKey("change_note"), violations.toString());
        assertTrue(violations.containsKey("parent_version"), violations.toString());
    }

    private static CreateVersionRequest version(String project, String id, int parent) {
        return CreateVersionRequest.newBuilder().setProjectId(project).setMetricId(id).setParentVersion(parent)
                .setContent(content(TEMPLATE, "A new rule")).setAuthor(ALICE).setChangeNote("New rule").build();
    }

    private static UpdateMetricRequest.Builder update(String project, String id, long revision) {
        return UpdateMetricRequest.newBuilder().setProjectId(project).setMetricId(id).setExpectedRevision(revision)
                .setJudgeModel(ModelConfig.newBuilder().setProvider("openai").setModel("gpt-4o")).setActor(ALICE);
    }

    private static Map<String, String> violations(StatusRuntimeException e) {
        var status = StatusProto.fromThrowable(e);
        return status.getDetailsList().stream().filter(d -> d.is(BadRequest.class)).flatMap(d -> {
            try {
                return d.unpack(BadRequest.class).getFieldViolationsList().stream();
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new AssertionError(ex);
            }
        }).collect(Collectors.toMap(v -> v.getField(), v -> v.getDescription(), (a, b) -> a + "; " + b));
    }
}
