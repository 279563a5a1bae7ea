package io.plumbline.console.playground;

import io.grpc.StatusRuntimeException;
import io.plumbline.console.evaluations.EvaluationRow;
import io.plumbline.console.shell.Caller;
import io.plumbline.console.shell.ServiceError;
import io.plumbline.console.view.MetricOption;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.DraftMetric;
import io.plumbline.proto.judge.v1.EvaluateItem;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.EvaluateResult;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.proto.judge.v1.RecordContext;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.GetPublishedVersionRequest;
import io.plumbline.proto.registry.v1.GetVersionRequest;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.proto.registry.v1.VersionContent;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Try a metric version, or an unsaved draft of its prompt, on a pasted input and output. Nothing is stored. */
@Path("/playground")
@Produces(MediaType.TEXT_HTML)
public class PlaygroundResource {

    public static class Form {
        @FormParam("metric") public String metric;
        /** Empty: the published version. */
        @FormParam("version") public String version;
        /** "on" when the prompt below is judged instead of a stored version. */
        @FormParam("useDraft") public String useDraft;
        @FormParam("prompt") public String prompt;
        @FormParam("input") public String input;
        @FormParam("output") public String output;
        @FormParam("context") public String context;

        public String value(String s) {
            return s == null ? "" : s;
        }

        /** What was typed, with the line ends browsers send from a textarea (CR LF) made the prompts' own (LF). */
        public String text(String s) {
            return value(s).replace("\r\n", "\n");
        }

        public boolean draft() {
            return "on".equals(useDraft);
        }
    }

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance playground(List<MetricOption> metrics, Form form, EvaluationRow result,
                                                  String error, Map<String, String> fieldErrors, String section);
    }

    @Inject
    Caller caller;

    @GrpcClient("judge")
    JudgeGrpc.JudgeBlockingStub judge;

    @GrpcClient("registry")
    MetricRegistryGrpc.MetricRegistryBlockingStub registry;

    @GET
    public TemplateInstance page(@QueryParam("metric") String metric) {
        Form form = new Form();
        form.metric = metric;
        if (metric != null && !metric.isBlank()) {
            form.prompt = registry.getPublishedVersion(GetPublishedVersionRequest.newBuilder()
                    .setProjectId(caller.project()).setMetricId(metric).build()).getVersion().getPromptTemplate();
        }
        return Templates.playground(metrics(), form, null, null, Map.of(), "playground");
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response run(@BeanParam Form form) {
        var request = EvaluateRequest.newBuilder().setProjectId(caller.project()).setStore(false);
        int version;
        try {
            version = form.value(form.version).isBlank() ? 0 : Integer.parseInt(form.version.strip());
        } catch (NumberFormatException e) {
            return refused(form, "Not accepted: the version is a whole number (or empty for the published one).");
        }
        RecordSnapshot snapshot = RecordSnapshot.newBuilder()
                .setRecord(RecordRef.newBuilder().setProjectId(caller.project()).setLevel(Level.LEVEL_SPAN)
                        .setRecordId("playground-" + UUID.randomUUID()))
                .setInput(form.text(form.input)).setOutput(form.text(form.output))
                .setContext(RecordContext.newBuilder().setText(form.text(form.context))).build();
        request.addItems(EvaluateItem.newBuilder().setKey("playground").setSnapshot(snapshot));
        try {
            if (form.draft()) {
                draft(request, form, version);
            } else {
                request.setMetricVersion(MetricVersionRef.newBuilder().setMetricId(form.value(form.metric))
                        .setVersion(version));
            }
            EvaluateResult result = judge.evaluate(request.build()).getResults(0);
            if (result.hasError()) {
                return refused(form, result.getError().getCode() + ": " + result.getError().getMessage());
            }
            return Response.ok(Templates.playground(metrics(), form, EvaluationRow.of(result.getEvaluation()), null,
                    Map.of(), "playground")).build();
        } catch (StatusRuntimeException e) {
            ServiceError error = ServiceError.of(e);
            return refused(form, error.message(), error.fields());
        }
    }

    /**
     * The draft is the chosen version (the published one when none is given) with the prompt of the form: its
     * guidelines, examples, output type and judge model come along, so only the prompt differs from what is stored.
     */
    private void draft(EvaluateRequest.Builder request, Form form, int version) {
        String project = caller.project();
        Metric metric = registry.getMetric(GetMetricRequest.newBuilder().setProjectId(project)
                .setMetricId(form.value(form.metric)).build());
        MetricVersion base = version == 0
                ? registry.getPublishedVersion(GetPublishedVersionRequest.newBuilder().setProjectId(project)
                        .setMetricId(metric.getId()).build()).getVersion()
                : registry.getVersion(GetVersionRequest.newBuilder().setProjectId(project).setMetricId(metric.getId())
                        .setVersion(version).build());
        request.setJudgeModel(metric.getJudgeModel()).setDraft(DraftMetric.newBuilder()
                .setName(metric.getName() + " (draft of v" + base.getVersion() + ")")
                .setOutputType(metric.getOutputType())
                .setContent(VersionContent.newBuilder().setPromptTemplate(form.text(form.prompt))
                        .addAllGuidelines(base.getGuidelinesList()).addAllExamples(base.getExamplesList())));
    }

    private Response refused(Form form, String error) {
        return refused(form, error, Map.of());
    }

    private Response refused(Form form, String error, Map<String, String> fieldErrors) {
        return Response.status(400).entity(Templates.playground(metrics(), form, null, error, fieldErrors, "playground"))
                .build();
    }

    private List<MetricOption> metrics() {
        caller.reviewer();
        return MetricOption.all(registry, caller.project());
    }
}
