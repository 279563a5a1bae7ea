package io.plumbline.console.alignment;

import com.google.protobuf.Timestamp;
import io.grpc.StatusRuntimeException;
import io.plumbline.console.shell.Caller;
import io.plumbline.console.shell.ServiceError;
import io.plumbline.console.view.MetricOption;
import io.plumbline.proto.alignment.v1.AcceptRunRequest;
import io.plumbline.proto.alignment.v1.AlignmentGrpc;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.CancelRunRequest;
import io.plumbline.proto.alignment.v1.DiscardRunRequest;
import io.plumbline.proto.alignment.v1.GetRunRequest;
import io.plumbline.proto.alignment.v1.ListRunsRequest;
import io.plumbline.proto.alignment.v1.MutinyAlignmentGrpc;
import io.plumbline.proto.alignment.v1.RunSettings;
import io.plumbline.proto.alignment.v1.RunSources;
import io.plumbline.proto.alignment.v1.StartRunRequest;
import io.plumbline.proto.alignment.v1.WatchRunRequest;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc;
import io.plumbline.proto.annotation.v1.ListQueuesRequest;
import io.plumbline.proto.annotation.v1.ReviewQueue;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.TimeRange;
import io.plumbline.proto.registry.v1.GetVersionRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** Alignment runs: start one, follow it live, read its report, and accept, discard or cancel it. */
@Path("/alignment")
@Produces(MediaType.TEXT_HTML)
public class AlignmentResource {

    public record QueueChoice(String id, String name, String metricId, long resolved) {
    }

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance runs(List<RunView> runs, List<MetricOption> metrics, List<QueueChoice> queues,
                                            StartForm form, String error, Map<String, String> fieldErrors, String section);

        static native TemplateInstance run(RunView run, String error, String notice, String section);

        static native TemplateInstance live(RunView run);
    }

    @Inject
    Caller caller;

    @GrpcClient("alignment")
    AlignmentGrpc.AlignmentBlockingStub alignment;

    @GrpcClient("alignment")
    MutinyAlignmentGrpc.MutinyAlignmentStub alignmentStream;

    @GrpcClient("registry")
    MetricRegistryGrpc.MetricRegistryBlockingStub registry;

    @GrpcClient("annotations")
    AnnotationsGrpc.AnnotationsBlockingStub annotations;

    @GET
    public TemplateInstance runs(@QueryParam("metric") String metric) {
        StartForm form = new StartForm();
        form.metric = metric;
        form.holdout = "0.3";
        form.rounds = "2";
        return page(form, null, Map.of());
    }

    /** Without script the dialog is this page: the same form, opened. */
    @GET
    @Path("new")
    public TemplateInstance newRun(@QueryParam("metric") String metric) {
        return runs(metric);
    }

    @POST
    @Path("runs")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response start(@BeanParam StartForm form) {
        RunSettings.Builder settings = RunSettings.newBuilder();
        RunSources.Builder sources = RunSources.newBuilder();
        if (form.queues != null) {
            sources.addAllQueueIds(form.queues.stream().filter(q -> !q.isBlank()).toList());
        }
        try {
            if (!form.value(form.from).isBlank() || !form.value(form.to).isBlank()) {
                TimeRange.Builder range = TimeRange.newBuilder();
                if (!form.value(form.from).isBlank()) {
                    range.setStartTime(day(form.from));
                }
                if (!form.value(form.to).isBlank()) {
                    range.setEndTime(day(LocalDate.parse(form.to).plusDays(1).toString()));
                }
                sources.addEvaluationTimeRanges(range);
            }
            settings.setSources(sources);
            if (!form.value(form.reflectionModel).isBlank()) {
                settings.setReflectionModel(ModelConfig.newBuilder().setProvider(form.value(form.reflectionProvider).strip())
                        .setModel(form.reflectionModel.strip()));
            }
            if (!form.value(form.judgeModel).isBlank()) {
                settings.setJudgeModel(ModelConfig.newBuilder().setProvider(form.value(form.judgeProvider).strip())
                        .setModel(form.judgeModel.strip()));
            }
            if (!form.value(form.delta).isBlank()) {
                settings.setDeltaThreshold(Double.parseDouble(form.delta.strip()));
            }
            if (!form.value(form.holdout).isBlank()) {
                settings.setHoldoutFraction(Double.parseDouble(form.holdout.strip()));
            }
            if (!form.value(form.rounds).isBlank()) {
                settings.setMaxRounds(Integer.parseInt(form.rounds.strip()));
            }
        } catch (NumberFormatException | java.time.format.DateTimeParseException e) {
            return Response.status(400).entity(page(form, "Not accepted: " + e.getMessage(), Map.of())).build();
        }
        try {
            AlignmentRun run = alignment.startRun(StartRunRequest.newBuilder().setProjectId(caller.project())
                    .setMetricId(form.value(form.metric)).setSettings(settings).setStartedBy(caller.id())
                    .setRequestId(UUID.randomUUID().toString()).build());
            return Response.seeOther(UriBuilder.fromPath("/alignment/runs/{id}").build(run.getId())).build();
        } catch (StatusRuntimeException e) {
            ServiceError error = ServiceError.of(e);
            return Response.status(400).entity(page(form, error.message(), error.fields())).build();
        }
    }

    @GET
    @Path("runs/{run}")
    public TemplateInstance run(@PathParam("run") String runId, @QueryParam("notice") String notice) {
        caller.reviewer();
        return Templates.run(view(load(runId)), null, notice, "alignment");
    }

    /** The run's live part as server-sent events: one rendered fragment per change, until the run ends. */
    @GET
    @Path("runs/{run}/live")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.TEXT_PLAIN)
    public Multi<String> live(@PathParam("run") String runId) {
        String project = caller.project();
        return alignmentStream.watchRun(WatchRunRequest.newBuilder().setProjectId(project).setRunId(runId).build())
                .map(run -> Templates.live(RunView.of(run, null)).render().replace('\n', ' '));
    }

    @POST
    @Path("runs/{run}/accept")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response accept(@PathParam("run") String runId, @FormParam("publish") String publish,
                           @FormParam("note") String note, @FormParam("forkName") String forkName) {
        return decide(runId, "Accepted.", () -> alignment.acceptRun(AcceptRunRequest.newBuilder()
                .setProjectId(caller.project()).setRunId(runId).setPublish("on".equals(publish))
                .setChangeNote(note == null ? "" : note.strip()).setForkName(forkName == null ? "" : forkName.strip())
                .setAcceptedBy(caller.id()).build()));
    }

    @POST
    @Path("runs/{run}/discard")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response discard(@PathParam("run") String runId, @FormParam("reason") String reason) {
        return decide(runId, "Discarded; the run stays in the history.", () -> alignment.discardRun(
                DiscardRunRequest.newBuilder().setProjectId(caller.project()).setRunId(runId)
                        .setReason(reason == null ? "" : reason.strip()).setDiscardedBy(caller.id()).build()));
    }

    @POST
    @Path("runs/{run}/cancel")
    public Response cancel(@PathParam("run") String runId) {
        return decide(runId, "Cancelled.", () -> alignment.cancelRun(CancelRunRequest.newBuilder()
                .setProjectId(caller.project()).setRunId(runId).setCancelledBy(caller.id()).build()));
    }

    private Response decide(String runId, String done, Runnable call) {
        caller.reviewer();
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return Response.status(400).entity(Templates.run(view(load(runId)), ServiceError.of(e).message(), null,
                    "alignment")).build();
        }
        return Response.seeOther(UriBuilder.fromPath("/alignment/runs/{id}").queryParam("notice", done).build(runId)).build();
    }

    private TemplateInstance page(StartForm form, String error, Map<String, String> fieldErrors) {
        caller.reviewer();
        List<RunView> runs = alignment.listRuns(ListRunsRequest.newBuilder().setProjectId(caller.project())
                .setPageSize(50).build()).getRunsList().stream().map(r -> RunView.of(r, null)).toList();
        List<MetricOption> metrics = MetricOption.all(registry, caller.project());
        List<QueueChoice> queues = caller.authorized(annotations).listQueues(ListQueuesRequest.newBuilder()
                        .setProjectId(caller.project()).setPageSize(200).build()).getQueuesList().stream()
                .map(AlignmentResource::queue).toList();
        return Templates.runs(runs, metrics, queues, form, error, fieldErrors, "alignment");
    }

    private static QueueChoice queue(ReviewQueue q) {
        return new QueueChoice(q.getId(), q.getName(), q.getMetricId(), q.getCounts().getResolved());
    }

    private AlignmentRun load(String runId) {
        return alignment.getRun(GetRunRequest.newBuilder().setProjectId(caller.project()).setRunId(runId).build());
    }

    private RunView view(AlignmentRun run) {
        MetricVersion base = null;
        if (run.hasCandidate() && run.getBaseVersion() > 0) {
            base = registry.getVersion(GetVersionRequest.newBuilder().setProjectId(caller.project())
                    .setMetricId(run.getMetricId()).setVersion(run.getBaseVersion()).build());
        }
        return RunView.of(run, base);
    }

    private static Timestamp day(String isoDate) {
        return Timestamp.newBuilder().setSeconds(LocalDate.parse(isoDate.strip()).atStartOfDay(ZoneOffset.UTC)
                .toEpochSecond()).build();
    }
}
