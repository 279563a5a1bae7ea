package io.plumbline.console.metrics;

import io.grpc.StatusRuntimeException;
import io.plumbline.console.shell.Caller;
import io.plumbline.console.shell.ServiceError;
import io.plumbline.console.view.Values;
import io.plumbline.proto.alignment.v1.AlignmentGrpc;
import io.plumbline.proto.alignment.v1.GetAgreementRequest;
import io.plumbline.proto.alignment.v1.MetricAgreement;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.DiffVersionsRequest;
import io.plumbline.proto.registry.v1.ForkMetricRequest;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.ListMetricsRequest;
import io.plumbline.proto.registry.v1.ListPublicationsRequest;
import io.plumbline.proto.registry.v1.ListVersionsRequest;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.proto.registry.v1.PublishVersionRequest;
import io.plumbline.proto.registry.v1.RevertToVersionRequest;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
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
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Metric owners: the metrics with their agreement, and one metric's definition, versions, diffs and history. */
@Path("/metrics")
@Produces(MediaType.TEXT_HTML)
public class MetricsResource {

    static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    public record MetricRow(String id, String name, String description, boolean builtin, String level, String type,
                            int publishedVersion, int headVersion, String agreement, String agreementN) {
    }

    public record VersionRow(int version, String author, String changeNote, String created, boolean published,
                             boolean head, int guidelines, int examples) {
    }

    public record PublicationRow(String when, String kind, int version, int previous, String actor) {
    }

    public record MetricPage(MetricRow metric, String judgeModel, String policy, List<String> bindings,
                             MetricVersion current, List<VersionRow> versions, List<PublicationRow> history,
                             int diffFrom, int diffTo, SideBySide promptDiff, SideBySide guidelinesDiff,
                             SideBySide examplesDiff, AgreementChart chart) {
        public String fromLabel() {
            return "v" + diffFrom;
        }

        public String toLabel() {
            return "v" + diffTo;
        }
    }

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance list(List<MetricRow> metrics, String section);

        static native TemplateInstance metric(MetricPage page, String error, String notice, String section);
    }

    @Inject
    Caller caller;

    @GrpcClient("registry")
    MetricRegistryGrpc.MetricRegistryBlockingStub registry;

    @GrpcClient("alignment")
    AlignmentGrpc.AlignmentBlockingStub alignment;

    @GET
    public TemplateInstance list() {
        caller.reviewer();
        List<Metric> metrics = registry.listMetrics(ListMetricsRequest.newBuilder().setProjectId(caller.project())
                .setPageSize(200).build()).getMetricsList();
        List<MetricRow> rows = metrics.stream()
                .sorted(Comparator.comparing(Metric::getBuiltin).thenComparing(Metric::getName))
                .map(m -> row(m, agreement(m.getId(), m.getPublishedVersion(), false))).toList();
        return Templates.list(rows, "metrics");
    }

    @GET
    @Path("{metric}")
    public TemplateInstance metric(@PathParam("metric") String metricId, @QueryParam("from") Integer from,
                                   @QueryParam("to") Integer to, @QueryParam("notice") String notice) {
        caller.reviewer();
        return Templates.metric(page(metricId, from, to), null, notice, "metrics");
    }

    @POST
    @Path("{metric}/publish")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response publish(@PathParam("metric") String metricId, @FormParam("version") int version) {
        return act(metricId, "Version " + version + " is published.", () -> registry.publishVersion(
                PublishVersionRequest.newBuilder().setProjectId(caller.project()).setMetricId(metricId)
                        .setVersion(version).setActor(me()).build()));
    }

    @POST
    @Path("{metric}/revert")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response revert(@PathParam("metric") String metricId, @FormParam("version") int version,
                           @FormParam("head") int head, @FormParam("note") String note) {
        return act(metricId, "Reverted to the content of version " + version + ".", () -> registry.revertToVersion(
                RevertToVersionRequest.newBuilder().setProjectId(caller.project()).setMetricId(metricId)
                        .setVersion(version).setExpectedHeadVersion(head).setActor(me())
                        .setChangeNote(note == null || note.isBlank() ? "Reverted to version " + version : note).build()));
    }

    @POST
    @Path("{metric}/fork")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response fork(@PathParam("metric") String metricId, @FormParam("name") String name) {
        try {
            var fork = registry.forkMetric(ForkMetricRequest.newBuilder().setProjectId(caller.project())
                    .setSourceMetricId(metricId).setName(name == null ? "" : name.strip()).setAuthor(me())
                    .setChangeNote("Forked in the console").build());
            return Response.seeOther(UriBuilder.fromPath("/metrics/{id}").queryParam("notice", "Forked into a custom metric.")
                    .build(fork.getMetric().getId())).build();
        } catch (StatusRuntimeException e) {
            return Response.status(400).entity(Templates.metric(page(metricId, null, null),
                    ServiceError.of(e).message(), null, "metrics")).build();
        }
    }

    private Response act(String metricId, String done, Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return Response.status(e.getStatus().getCode() == io.grpc.Status.Code.ABORTED ? 409 : 400)
                    .entity(Templates.metric(page(metricId, null, null), ServiceError.of(e).message(), null, "metrics"))
                    .build();
        }
        return Response.seeOther(UriBuilder.fromPath("/metrics/{id}").queryParam("notice", done).build(metricId)).build();
    }

    private Author me() {
        return Author.newBuilder().setUser(caller.id()).build();
    }

    private MetricPage page(String metricId, Integer from, Integer to) {
        Metric metric = registry.getMetric(GetMetricRequest.newBuilder().setProjectId(caller.project())
                .setMetricId(metricId).build());
        List<MetricVersion> versions = registry.listVersions(ListVersionsRequest.newBuilder()
                .setProjectId(caller.project()).setMetricId(metricId).setPageSize(100).build()).getVersionsList();
        var history = registry.listPublications(ListPublicationsRequest.newBuilder().setProjectId(caller.project())
                .setMetricId(metricId).setPageSize(50).build()).getPublicationsList().stream()
                .map(p -> new PublicationRow(WHEN.format(java.time.Instant.ofEpochSecond(p.getPublishTime().getSeconds())),
                        p.getKind().name().replace("KIND_", "").toLowerCase(), p.getVersion(), p.getPreviousVersion(),
                        author(p.getActor()))).toList();
        int toVersion = to != null ? to : metric.getHeadVersion();
        int fromVersion = from != null ? from : Math.max(1, toVersion - 1);
        SideBySide prompt = SideBySide.of("");
        SideBySide guidelines = SideBySide.of("");
        SideBySide examples = SideBySide.of("");
        if (fromVersion != toVersion) {
            var diff = registry.diffVersions(DiffVersionsRequest.newBuilder().setProjectId(caller.project())
                    .setMetricId(metricId).setFromVersion(fromVersion).setToVersion(toVersion).build());
            prompt = SideBySide.of(diff.getPromptTemplateDiff());
            guidelines = SideBySide.of(diff.getGuidelinesDiff());
            examples = SideBySide.of(diff.getExamplesDiff());
        }
        MetricVersion current = versions.stream().filter(v -> v.getVersion() == metric.getPublishedVersion())
                .findFirst().orElse(versions.isEmpty() ? MetricVersion.getDefaultInstance() : versions.getLast());
        MetricAgreement agreement = agreement(metricId, 0, true);
        var policy = metric.getAlignmentPolicy();
        String policyText = switch (policy.getMode()) {
            case MODE_PROPOSE -> "propose a new version after " + policy.getDisagreementThreshold() + " disagreements";
            case MODE_AUTO_PUBLISH -> "publish automatically when agreement rises by at least "
                    + policy.getMinLiftPoints() + " points, after " + policy.getDisagreementThreshold() + " disagreements";
            default -> "off";
        };
        var model = metric.getJudgeModel();
        return new MetricPage(row(metric, agreement(metricId, metric.getPublishedVersion(), false)),
                model.getProvider() + " / " + model.getModel(), policyText,
                metric.getBindingsList().stream().map(MetricsResource::binding).toList(), current,
                versions.stream().sorted(Comparator.comparingInt(MetricVersion::getVersion).reversed())
                        .map(v -> new VersionRow(v.getVersion(), author(v.getAuthor()), v.getChangeNote(),
                                WHEN.format(java.time.Instant.ofEpochSecond(v.getCreateTime().getSeconds())),
                                v.getVersion() == metric.getPublishedVersion(), v.getVersion() == metric.getHeadVersion(),
                                v.getGuidelinesCount(), v.getExamplesCount())).toList(),
                history, fromVersion, toVersion, prompt, guidelines, examples,
                agreement == null ? AgreementChart.of(MetricAgreement.getDefaultInstance()) : AgreementChart.of(agreement));
    }

    /** Agreement from the alignment-service; null when it has none yet or does not answer (the page still works). */
    private MetricAgreement agreement(String metricId, int version, boolean daily) {
        try {
            return alignment.getAgreement(GetAgreementRequest.newBuilder().setProjectId(caller.project())
                    .setMetricId(metricId).setVersion(version).setIncludeDaily(daily).build());
        } catch (StatusRuntimeException e) {
            return null;
        }
    }

    static MetricRow row(Metric m, MetricAgreement agreement) {
        String accuracy = "—";
        String n = "";
        if (agreement != null) {
            var published = agreement.getVersionsList().stream()
                    .filter(v -> v.getVersion() == m.getPublishedVersion()).findFirst();
            if (published.isPresent() && published.get().getOverall().getAccuracy().getDefined()) {
                var stats = published.get().getOverall();
                accuracy = String.format(Locale.ROOT, "%.0f%%", 100 * stats.getAccuracy().getValue());
                n = Long.toString(stats.getN());
            }
        }
        return new MetricRow(m.getId(), m.getName(), m.getDescription(), m.getBuiltin(), Values.level(m.getLevel()),
                Values.describe(m.getOutputType()), m.getPublishedVersion(), m.getHeadVersion(), accuracy, n);
    }

    private static String binding(io.plumbline.proto.registry.v1.Binding b) {
        StringBuilder text = new StringBuilder(b.getName().isBlank() ? "binding" : b.getName()).append(": ");
        text.append(b.getMatchersCount() == 0 ? "every record" : String.join(" and ", b.getMatchersList().stream()
                .map(m -> m.getKey() + " " + m.getOperator().name().replace("OPERATOR_", "").toLowerCase().replace('_', ' ')
                        + (m.getValue().isEmpty() ? "" : " " + m.getValue())).toList()));
        if (b.getSamplingRate() > 0 && b.getSamplingRate() < 1) {
            text.append(String.format(Locale.ROOT, ", sampled at %.0f%%", 100 * b.getSamplingRate()));
        }
        if (b.getDailyTokenBudget() > 0) {
            text.append(", ").append(b.getDailyTokenBudget()).append(" tokens a day");
        }
        return text.toString();
    }

    static String author(Author a) {
        return switch (a.getKindCase()) {
            case USER -> a.getUser();
            case ALIGNMENT_RUN_ID -> "alignment run " + a.getAlignmentRunId();
            case KIND_NOT_SET -> "unknown";
        };
    }
}
