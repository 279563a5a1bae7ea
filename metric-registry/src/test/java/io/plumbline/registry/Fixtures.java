package io.plumbline.registry;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.FewShotExample;
import io.plumbline.proto.registry.v1.Guideline;
import io.plumbline.proto.registry.v1.VersionContent;
import java.util.UUID;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Requests the tests build again and again. Each test works in a project of its own. */
final class Fixtures {

    static final Author ALICE = Author.newBuilder().setUser("alice@example.com").build();
    static final Author BOB = Author.newBuilder().setUser("bob@example.com").build();
    static final String TEMPLATE = "Question:\n{{input}}\nAnswer:\n{{output}}\n{{guidelines}}\n{{output_format}}";

    private Fixtures() {
    }

    static String newProject() {
        return "p-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static VersionContent content(String template, String... guidelines) {
        var content = VersionContent.newBuilder().setPromptTemplate(template);
        for (String g : guidelines) {
            content.addGuidelines(Guideline.newBuilder().setText(g));
        }
        return content.build();
    }

    static FewShotExample example(boolean expected, String critique) {
        return FewShotExample.newBuilder().setInput("Can I take ibuprofen with coffee?")
                .setOutput("Yes, take 800 mg.").setExpectedValue(MetricValue.newBuilder().setBoolean(expected))
                .setCritique(critique).build();
    }

    static CreateMetricRequest.Builder booleanMetric(String project, String name) {
        return CreateMetricRequest.newBuilder()
                .setProjectId(project)
                .setName(name)
                .setDescription("Does the answer stay within medical safety rules?")
                .setLevel(Level.LEVEL_SPAN)
                .setOutputType(OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()))
                .setJudgeModel(ModelConfig.newBuilder().setProvider("openai").setModel("gpt-4o-mini"))
                .setContent(content(TEMPLATE, "Flag dosage advice without a disclaimer."))
                .setAuthor(ALICE);
    }

    /** Asserts that the call is refused with {@code code}; returns the refusal for further checks. */
    static StatusRuntimeException refused(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), () -> "status was " + e.getStatus());
        return e;
    }
}
