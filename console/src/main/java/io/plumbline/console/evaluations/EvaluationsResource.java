package io.plumbline.console.evaluations;

import com.google.protobuf.Timestamp;
import io.grpc.StatusRuntimeException;
import io.plumbline.console.shell.Caller;
import io.plumbline.console.shell.ServiceError;
import io.plumbline.console.view.MetricOption;
import io.plumbline.console.view.RecordView;
import io.plumbline.console.view.Values;
import io.plumbline.proto.common.v1.TimeRange;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.GetEvaluationRequest;
import io.plumbline.proto.judge.v1.GetRecordSnapshotRequest;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.proto.judge.v1.ListEvaluationsRequest;
import io.plumbline.proto.judge.v1.NumericRange;
import io.plumbline.proto.judge.v1.ValueFilter;
import io.plumbline.proto.registry.v1.ListMetricsRequest;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

/** The evaluations browser: filter what the judge decided, open one to read the record and the reasoning. */
@Path("/evaluations")
@Produces(MediaType.TEXT_HTML)
public class EvaluationsResource {

    /** The filters, as query parameters so that a filtered view can be bookmarked and shared. */
    public static class Filters {
        @QueryParam("metric") public String metric;
        @QueryParam("version") public String version;
        @QueryParam("status") public String status;
        @QueryParam("value") public String value;
        @QueryParam("min") public String min;
        @QueryParam("max") public String max;
        @QueryParam("from") public String from;
        @QueryParam("to") public String to;
        @QueryParam("record") public String record;
        @QueryParam("page") public String page;

        public String value(String s) {
            return s == null ? "" : s;
        }
    }

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance list(List<EvaluationRow> rows, List<MetricOption> metrics, Filters filters,
                                            String nextPage, String error, String section);

        static native TemplateInstance evaluation(EvaluationRow evaluation, RecordView record, String section);
    }

    @Inject
    Caller caller;

    @GrpcClient("judge")
    JudgeGrpc.JudgeBlockingStub judge;

    @GrpcClient("registry")
    MetricRegistryGrpc.MetricRegistryBlockingStub registry;

    @GET
    public TemplateInstance list(@BeanParam Filters filters) {
        caller.reviewer();
        List<Metric> metrics = registry.listMetrics(ListMetricsRequest.newBuilder().setProjectId(caller.project())
                .setPageSize(200).build()).getMetricsList();
        List<MetricOption> options = metrics.stream().map(MetricOption::of).toList();
        ListEvaluationsRequest request;
        try {
            request = request(filters, metrics.stream().filter(m -> m.getId().equals(filters.metric)).findFirst());
        } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
            return Templates.list(List.of(), options, filters, "", "Not accepted: " + e.getMessage(), "evaluations");
        }
        try {
            var page = judge.listEvaluations(request);
            return Templates.list(page.getEvaluationsList().stream().map(EvaluationRow::of).toList(), options, filters,
                    page.getNextPageToken(), null, "evaluations");
        } catch (StatusRuntimeException e) {
            return Templates.list(List.of(), options, filters, "", ServiceError.of(e).message(), "evaluations");
        }
    }

    @GET
    @Path("{evaluation}")
    public TemplateInstance evaluation(@PathParam("evaluation") String id) {
        caller.reviewer();
        Evaluation evaluation = judge.getEvaluation(GetEvaluationRequest.newBuilder().setProjectId(caller.project())
                .setEvaluationId(id).build());
        var snapshot = judge.getRecordSnapshot(GetRecordSnapshotRequest.newBuilder().setProjectId(caller.project())
                .setEvaluationId(id).build());
        return Templates.evaluation(EvaluationRow.of(evaluation), RecordView.of(snapshot), "evaluations");
    }

    private ListEvaluationsRequest request(Filters f, Optional<Metric> metric) {
        var request = ListEvaluationsRequest.newBuilder().setProjectId(caller.project()).setPageSize(50)
                .setPageToken(f.value(f.page));
        if (!f.value(f.metric).isBlank()) {
            request.setMetricId(f.metric);
        }
        if (!f.value(f.version).isBlank()) {
            request.setMetricVersion(Integer.parseInt(f.version.strip()));
        }
        if (!f.value(f.status).isBlank()) {
            request.addStatuses(Evaluation.Status.valueOf("STATUS_" + f.status.strip().toUpperCase()));
        }
        if (!f.value(f.value).isBlank()) {
            var type = metric.orElseThrow(() -> new IllegalArgumentException("choose a metric to filter by value"))
                    .getOutputType();
            request.setValue(ValueFilter.newBuilder().setEquals(Values.parse(type, f.value)));
        } else if (!f.value(f.min).isBlank() || !f.value(f.max).isBlank()) {
            NumericRange.Builder range = NumericRange.newBuilder();
            if (!f.value(f.min).isBlank()) {
                range.setMin(Double.parseDouble(f.min.strip()));
            }
            if (!f.value(f.max).isBlank()) {
                range.setMax(Double.parseDouble(f.max.strip()));
            }
            request.setValue(ValueFilter.newBuilder().setRange(range));
        }
        if (!f.value(f.from).isBlank() || !f.value(f.to).isBlank()) {
            TimeRange.Builder range = TimeRange.newBuilder();
            if (!f.value(f.from).isBlank()) {
                range.setStartTime(day(LocalDate.parse(f.from.strip())));
            }
            if (!f.value(f.to).isBlank()) {
                range.setEndTime(day(LocalDate.parse(f.to.strip()).plusDays(1)));
            }
            request.setCreateTime(range);
        }
        if (!f.value(f.record).isBlank()) {
            request.setRecordId(f.record.strip());
        }
        return request.build();
    }

    private static Timestamp day(LocalDate date) {
        return Timestamp.newBuilder().setSeconds(date.atStartOfDay(ZoneOffset.UTC).toEpochSecond()).build();
    }
}
