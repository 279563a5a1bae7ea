package io.plumbline.registry;

import static io.plumbline.registry.Fixtures.TEMPLATE;
import static io.plumbline.registry.Fixtures.booleanMetric;
import static io.plumbline.registry.Fixtures.content;
import static io.plumbline.registry.Fixtures.example;
import static io.plumbline.registry.Fixtures.newProject;
import static io.plumbline.registry.Fixtures.refused;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.plumbline.proto.common.v1.CategoricalType;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.plumbline.proto.registry.v1.AttributeMatcher;
import io.plumbline.proto.registry.v1.Binding;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.Guideline;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc.MetricRegistryBlockingStub;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One broken rule at a time on an otherwise valid CreateMetric: each is refused naming its field and rule. */
@QuarkusTest
class EveryRuleTest {

    @GrpcClient("registry")
    MetricRegistryBlockingStub registry;

    static Stream<Arguments> brokenRules() {
        return Stream.of(
                rule("description", "at most 2000", r -> r.setDescription("x".repeat(2001))),
                rule("output_type", "required", r -> r.clearOutputType()),
                rule("output_type.categorical.labels[1]", "repeats", r -> r.setOutputType(OutputType.newBuilder()
                        .setCategorical(CategoricalType.newBuilder().addLabels("pass").addLabels("pass")))),
                rule("judge_model.provider", "required", r -> r.setJudgeModel(ModelConfig.newBuilder().setModel("m"))),
                rule("judge_model.temperature", "0 to 2", r -> r.setJudgeModel(r.getJudgeModel().toBuilder()
                        .setTemperature(3))),
                rule("judge_model.max_output_tokens", "1 to 100000", r -> r.setJudgeModel(r.getJudgeModel().toBuilder()
                        .setMaxOutputTokens(0))),
                rule("bindings[1].name", "repeats", r -> r.addBindings(Binding.newBuilder().setName("prod"))
                        .addBindings(Binding.newBuilder().setName("prod"))),
                rule("bindings[0].name", "is reserved", r -> r.addBindings(Binding.newBuilder().setName("ad-hoc"))),
                rule("bindings[0].daily_token_budget", "0 (unlimited) or more", r -> r.addBindings(Binding.newBuilder()
                        .setName("b").setDailyTokenBudget(-1))),
                rule("bindings[0].matchers[0].operator", "required", r -> r.addBindings(Binding.newBuilder()
                        .setName("b").addMatchers(AttributeMatcher.newBuilder().setKey("service.name")))),
                rule("bindings[0].matchers[0].value", "required for OPERATOR_EQUALS", r -> r.addBindings(Binding
                        .newBuilder().setName("b").addMatchers(AttributeMatcher.newBuilder().setKey("service.name")
                                .setOperator(AttributeMatcher.Operator.OPERATOR_EQUALS)))),
                rule("bindings[0].matchers[0].key", "required", r -> r.addBindings(Binding.newBuilder()
                        .setName("b").addMatchers(AttributeMatcher.newBuilder()
                                .setOperator(AttributeMatcher.Operator.OPERATOR_EXISTS)))),
                rule("alignment_policy.min_lift_points", "0 to 100", r -> r.setAlignmentPolicy(AlignmentPolicy
                        .newBuilder().setMinLiftPoints(120))),
                rule("alignment_policy.disagreement_threshold", "1 or more", r -> r.setAlignmentPolicy(AlignmentPolicy
                        .newBuilder().setDisagreementThreshold(-3))),
                rule("alignment_policy.delta_threshold", "0 or more", r -> r.setAlignmentPolicy(AlignmentPolicy
                        .newBuilder().setDeltaThreshold(-0.5))),
                rule("alignment_policy.cooldown", "negative", r -> r.setAlignmentPolicy(AlignmentPolicy.newBuilder()
                        .setCooldown(Duration.newBuilder().setSeconds(-60)))),
                rule("change_note", "at most 2000", r -> r.setChangeNote("x".repeat(2001))),
                rule("content.prompt_template", "required", r -> r.setContent(content(""))),
                rule("content.guidelines[0].text", "required", r -> r.setContent(content(TEMPLATE).toBuilder()
                        .addGuidelines(Guideline.newBuilder().setText(" ")))),
                rule("content.guidelines", "at most 100", r -> r.setContent(content(TEMPLATE,
                        Stream.generate(() -> "rule").limit(101).toArray(String[]::new)))),
                rule("content.examples[0]", "input or an output", r -> r.setContent(content(TEMPLATE).toBuilder()
                        .addExamples(example(true, "Fine.").toBuilder().clearInput().clearOutput()))),
                rule("content.prompt_template", "none of the record's content", r -> r.setContent(
                        content("Apply {{guidelines}}"))));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("brokenRules")
    void eachBrokenRuleIsNamed(String field, String rule, UnaryOperator<CreateMetricRequest.Builder> breakIt) {
        var request = breakIt.apply(booleanMetric(newProject(), "rules")).build();
        var refusal = refused(Status.Code.INVALID_ARGUMENT, () -> registry.createMetric(request));
        var violations = StatusProto.fromThrowable(refusal).getDetailsList().stream()
                .filter(d -> d.is(BadRequest.class))
                .flatMap(d -> {
                    try {
                        return d.unpack(BadRequest.class).getFieldViolationsList().stream();
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        throw new AssertionError(e);
                    }
                }).toList();
        assertTrue(violations.stream().anyMatch(v -> v.getField().equals(field) && v.getDescription().contains(rule)),
                () -> "expected " + field + " ~ \"" + rule + "\" in " + violations);
    }

    private static Arguments rule(String field, String rule, UnaryOperator<CreateMetricRequest.Builder> breakIt) {
        return Arguments.of(field, rule, breakIt);
    }
}
