package io.plumbline.annotation.api;

import static io.plumbline.common.api.ServiceCalls.call;

import io.plumbline.annotation.agreement.ReviewerAgreementService;
import io.plumbline.annotation.feedback.FeedbackService;
import io.plumbline.annotation.imports.AnnotationExport;
import io.plumbline.annotation.imports.LabelImport;
import io.plumbline.annotation.queue.ItemService;
import io.plumbline.annotation.queue.QueueService;
import io.plumbline.annotation.resolution.AnnotationService;
import io.plumbline.annotation.resolution.ResolutionSettingsService;
import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.annotation.reviewer.Callers;
import io.plumbline.proto.annotation.v1.AddItemsRequest;
import io.plumbline.proto.annotation.v1.AddItemsResponse;
import io.plumbline.proto.annotation.v1.AdjudicateRequest;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.CreateQueueRequest;
import io.plumbline.proto.annotation.v1.DeleteQueueRequest;
import io.plumbline.proto.annotation.v1.DeleteQueueResponse;
import io.plumbline.proto.annotation.v1.GetAnnotationRequest;
import io.plumbline.proto.annotation.v1.GetItemRequest;
import io.plumbline.proto.annotation.v1.GetQueueProgressRequest;
import io.plumbline.proto.annotation.v1.GetQueueRequest;
import io.plumbline.proto.annotation.v1.GetResolutionConfigRequest;
import io.plumbline.proto.annotation.v1.ExportAnnotationsRequest;
import io.plumbline.proto.annotation.v1.ExportChunk;
import io.plumbline.proto.annotation.v1.ImportLabelsRequest;
import io.plumbline.proto.annotation.v1.ImportLabelsResponse;
import io.plumbline.proto.annotation.v1.GetReviewerAgreementRequest;
import io.plumbline.proto.annotation.v1.ReviewerAgreement;
import io.plumbline.proto.annotation.v1.ListAnnotationsRequest;
import io.plumbline.proto.annotation.v1.ListAnnotationsResponse;
import io.plumbline.proto.annotation.v1.ListItemsRequest;
import io.plumbline.proto.annotation.v1.ListItemsResponse;
import io.plumbline.proto.annotation.v1.ListQueuesRequest;
import io.plumbline.proto.annotation.v1.ListQueuesResponse;
import io.plumbline.proto.annotation.v1.NextItemRequest;
import io.plumbline.proto.annotation.v1.NextItemResponse;
import io.plumbline.annotation.queue.ProgressService;
import io.plumbline.annotation.reviewer.ReviewerService;
import io.plumbline.proto.annotation.v1.GetReviewerProgressRequest;
import io.plumbline.proto.annotation.v1.ListReviewersRequest;
import io.plumbline.proto.annotation.v1.ListReviewersResponse;
import io.plumbline.proto.annotation.v1.QueueProgress;
import io.plumbline.proto.annotation.v1.RemoveItemRequest;
import io.plumbline.proto.annotation.v1.ReviewerProgress;
import io.plumbline.proto.annotation.v1.ResolutionConfig;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.ReviewQueue;
import io.plumbline.proto.annotation.v1.Reviewer;
import io.plumbline.proto.annotation.v1.SkipItemRequest;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.SubmitFeedbackResponse;
import io.plumbline.proto.annotation.v1.UpdateFeedbackRequest;
import io.plumbline.proto.annotation.v1.UpdateQueueRequest;
import io.plumbline.proto.annotation.v1.UpdateResolutionConfigRequest;
import io.plumbline.proto.annotation.v1.WithdrawFeedbackRequest;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.function.Function;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The REST API, with the gRPC API's semantics: bodies are the same messages in the proto3 JSON mapping; the project and
 * ids in the path win over those in the body; the caller is named by the {@code X-API-Key} header; refusals are problem
 * bodies with the mirrored status (400, 401, 403, 404, 409, 412).
 */
@Path("/api/v1/projects/{project}")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "annotations", description = "Review queues, expert feedback and resolved annotations")
public class AnnotationsResource {

    private final Callers callers;
    private final QueueService queues;
    private final ItemService items;
    private final FeedbackService feedback;
    private final ResolutionSettingsService resolution;
    private final AnnotationService annotations;
    private final ReviewerAgreementService agreement;
    private final LabelImport labelImport;
    private final AnnotationExport export;
    private final ProgressService progress;
    private final ReviewerService reviewers;

    AnnotationsResource(Callers callers, QueueService queues, ItemService items, FeedbackService feedback,
            ResolutionSettingsService resolution, AnnotationService annotations, ReviewerAgreementService agreement,
            LabelImport labelImport, AnnotationExport export, ProgressService progress, ReviewerService reviewers) {
        this.progress = progress;
        this.reviewers = reviewers;
        this.export = export;
        this.agreement = agreement;
        this.labelImport = labelImport;
        this.callers = callers;
        this.queues = queues;
        this.items = items;
        this.feedback = feedback;
        this.resolution = resolution;
        this.annotations = annotations;
    }

    @POST
    @Path("/queues")
    @Operation(summary = "Create a custom queue (admin)")
    public Uni<ReviewQueue> createQueue(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            CreateQueueRequest body) {
        return as(key, project, c -> queues.create(c, body.toBuilder().setProjectId(project).build()));
    }

    @GET
    @Path("/queues")
    @Operation(summary = "List queues by name, paged")
    public Uni<ListQueuesResponse> listQueues(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken,
            @QueryParam("metricId") @DefaultValue("") String metricId,
            @QueryParam("excludeMetricDefault") @DefaultValue("false") boolean excludeMetricDefault,
            @QueryParam("availableToMe") @DefaultValue("false") boolean availableToMe) {
        return as(key, project, c -> queues.list(c, ListQueuesRequest.newBuilder().setProjectId(project)
                .setPageSize(pageSize).setPageToken(pageToken).setMetricId(metricId)
                .setExcludeMetricDefault(excludeMetricDefault).setAvailableToMe(availableToMe).build()));
    }

    @GET
    @Path("/queues/{queue}")
    @Operation(summary = "Read a queue with its counts")
    public Uni<ReviewQueue> getQueue(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("queue") String queue) {
        return as(key, project, c -> queues.get(GetQueueRequest.newBuilder().setProjectId(project).setQueueId(queue).build()));
    }

    @PUT
    @Path("/queues/{queue}")
    @Operation(summary = "Replace a queue's settings (admin; expectedRevision for safe updates)")
    public Uni<ReviewQueue> updateQueue(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("queue") String queue, UpdateQueueRequest body) {
        return as(key, project, c -> queues.update(c, body.toBuilder().setProjectId(project).setQueueId(queue).build()));
    }

    @DELETE
    @Path("/queues/{queue}")
    @Operation(summary = "Delete a custom queue and its unresolved items (admin)")
    public Uni<DeleteQueueResponse> deleteQueue(@HeaderParam("X-API-Key") String key,
            @PathParam("project") String project, @PathParam("queue") String queue) {
        return as(key, project, c -> queues.delete(c, DeleteQueueRequest.newBuilder().setProjectId(project)
                .setQueueId(queue).build()));
    }

    @GET
    @Path("/queues/{queue}/progress")
    @Operation(summary = "A queue's totals and per-reviewer counts")
    public Uni<QueueProgress> progress(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("queue") String queue) {
        return as(key, project, c -> progress.queue(GetQueueProgressRequest.newBuilder().setProjectId(project)
                .setQueueId(queue).build()));
    }

    @GET
    @Path("/reviewer-progress")
    @Operation(summary = "A reviewer's counts over all queues and per queue (the caller unless reviewerId; another "
            + "reviewer: admin)")
    public Uni<ReviewerProgress> reviewerProgress(@HeaderParam("X-API-Key") String key,
            @PathParam("project") String project, @QueryParam("reviewerId") @DefaultValue("") String reviewerId) {
        return as(key, project, c -> progress.reviewer(c, GetReviewerProgressRequest.newBuilder().setProjectId(project)
                .setReviewerId(reviewerId).build()));
    }

    @GET
    @Path("/reviewers")
    @Operation(summary = "The reviewers with access to the project and those named by imported labels, by id, paged")
    public Uni<ListReviewersResponse> listReviewers(@HeaderParam("X-API-Key") String key,
            @PathParam("project") String project, @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken) {
        return as(key, project, c -> reviewers.list(ListReviewersRequest.newBuilder().setProjectId(project)
                .setPageSize(pageSize).setPageToken(pageToken).build()));
    }

    @DELETE
    @Path("/items/{item}")
    @Operation(summary = "Remove an unresolved item and its feedback (admin); answers the item as it was")
    public Uni<ReviewItem> removeItem(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("item") String item) {
        return as(key, project, c -> items.remove(c, RemoveItemRequest.newBuilder().setProjectId(project)
                .setItemId(item).build()));
    }

    @POST
    @Path("/queues/{queue}/items")
    @Operation(summary = "Add evaluations (or records' newest evaluations) by hand (admin)")
    public Uni<AddItemsResponse> addItems(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("queue") String queue, AddItemsRequest body) {
        return as(key, project, c -> items.add(c, body.toBuilder().setProjectId(project).setQueueId(queue).build()));
    }

    @POST
    @Path("/next-item")
    @Operation(summary = "Hand the caller the next item to review (body: queueId or metricId, optional)")
    public Uni<NextItemResponse> nextItem(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            NextItemRequest body) {
        return as(key, project, c -> items.next(c, body.toBuilder().setProjectId(project).build()));
    }

    @GET
    @Path("/items")
    @Operation(summary = "List items, newest first, paged (blind: others' feedback only once resolved)")
    public Uni<ListItemsResponse> listItems(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken,
            @QueryParam("queueId") @DefaultValue("") String queueId,
            @QueryParam("metricId") @DefaultValue("") String metricId,
            @QueryParam("evaluationId") @DefaultValue("") String evaluationId,
            @QueryParam("includeSnapshots") @DefaultValue("false") boolean includeSnapshots) {
        return as(key, project, c -> items.list(c, ListItemsRequest.newBuilder().setProjectId(project)
                .setPageSize(pageSize).setPageToken(pageToken).setQueueId(queueId).setMetricId(metricId)
                .setEvaluationId(evaluationId).setIncludeSnapshots(includeSnapshots).build()));
    }

    @GET
    @Path("/items/{item}")
    @Operation(summary = "Read an item with its snapshot (blind: others' feedback only once resolved)")
    public Uni<ReviewItem> getItem(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("item") String item) {
        return as(key, project, c -> items.get(c, GetItemRequest.newBuilder().setProjectId(project).setItemId(item).build()));
    }

    @POST
    @Path("/items/{item}/skip")
    @Operation(summary = "Give back the caller's assignment without feedback")
    public Uni<ReviewItem> skip(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("item") String item, SkipItemRequest body) {
        return as(key, project, c -> items.skip(c, body.toBuilder().setProjectId(project).setItemId(item).build()));
    }

    @POST
    @Path("/items/{item}/feedback")
    @Operation(summary = "Mark the judge's result correct or incorrect (with expected value and critique)")
    public Uni<SubmitFeedbackResponse> submit(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("item") String item, SubmitFeedbackRequest body) {
        return as(key, project, c -> feedback.submit(c, body.toBuilder().setProjectId(project).setItemId(item).build()));
    }

    @POST
    @Path("/items/{item}/adjudicate")
    @Operation(summary = "Resolve an item awaiting adjudication, or override a resolution (admin)")
    public Uni<ReviewItem> adjudicate(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("item") String item, AdjudicateRequest body) {
        return as(key, project, c -> feedback.adjudicate(c, body.toBuilder().setProjectId(project).setItemId(item).build()));
    }

    @PUT
    @Path("/feedback/{feedback}")
    @Operation(summary = "Replace the caller's own feedback while the item is unresolved")
    public Uni<SubmitFeedbackResponse> updateFeedback(@HeaderParam("X-API-Key") String key,
            @PathParam("project") String project, @PathParam("feedback") String id, UpdateFeedbackRequest body) {
        return as(key, project, c -> feedback.update(c, body.toBuilder().setProjectId(project).setFeedbackId(id).build()));
    }

    @DELETE
    @Path("/feedback/{feedback}")
    @Operation(summary = "Withdraw the caller's own feedback while the item is unresolved")
    public Uni<ReviewItem> withdrawFeedback(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("feedback") String id) {
        return as(key, project, c -> feedback.withdraw(c, WithdrawFeedbackRequest.newBuilder().setProjectId(project)
                .setFeedbackId(id).build()));
    }

    @GET
    @Path("/metrics/{metric}/resolution")
    @Operation(summary = "A metric's resolution settings (the defaults when never set)")
    public Uni<ResolutionConfig> getResolution(@HeaderParam("X-API-Key") String key,
            @PathParam("project") String project, @PathParam("metric") String metric) {
        return as(key, project, c -> resolution.get(GetResolutionConfigRequest.newBuilder().setProjectId(project)
                .setMetricId(metric).build()));
    }

    @PUT
    @Path("/metrics/{metric}/resolution")
    @Operation(summary = "Set a metric's resolution settings (admin)")
    public Uni<ResolutionConfig> updateResolution(@HeaderParam("X-API-Key") String key,
            @PathParam("project") String project, @PathParam("metric") String metric,
            UpdateResolutionConfigRequest body) {
        return as(key, project, c -> resolution.update(c, body.toBuilder().setProjectId(project).setMetricId(metric).build()));
    }

    @GET
    @Path("/annotations/{annotation}")
    @Operation(summary = "Read a resolved annotation")
    public Uni<Annotation> getAnnotation(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("annotation") String id) {
        return as(key, project, c -> annotations.get(GetAnnotationRequest.newBuilder().setProjectId(project)
                .setAnnotationId(id).build()));
    }

    @GET
    @Path("/annotations")
    @Operation(summary = "List resolved annotations, newest change first, paged")
    public Uni<ListAnnotationsResponse> listAnnotations(@HeaderParam("X-API-Key") String key,
            @PathParam("project") String project, @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken,
            @QueryParam("metricId") @DefaultValue("") String metricId,
            @QueryParam("queueId") @DefaultValue("") String queueId,
            @QueryParam("evaluationId") @DefaultValue("") String evaluationId) {
        return as(key, project, c -> annotations.list(ListAnnotationsRequest.newBuilder().setProjectId(project)
                .setPageSize(pageSize).setPageToken(pageToken).setMetricId(metricId).setQueueId(queueId)
                .setEvaluationId(evaluationId).build()));
    }

    @GET
    @Path("/metrics/{metric}/reviewer-agreement")
    @Operation(summary = "Agreement between the metric's reviewers: Cohen's and Fleiss' kappa, Krippendorff's alpha")
    public Uni<ReviewerAgreement> agreement(@HeaderParam("X-API-Key") String key, @PathParam("project") String project,
            @PathParam("metric") String metric, @QueryParam("queueId") @DefaultValue("") String queueId) {
        return as(key, project, c -> agreement.agreement(GetReviewerAgreementRequest.newBuilder().setProjectId(project)
                .setMetricId(metric).setQueueId(queueId).build()));
    }

    @POST
    @Path("/labels/import")
    @Consumes({"text/csv", "application/x-ndjson", "application/jsonl"})
    @Operation(summary = "Import labels from CSV or JSONL (admin); the body is the file, the format its content type")
    public Uni<ImportLabelsResponse> importLabels(@HeaderParam("X-API-Key") String key,
            @PathParam("project") String project, @HeaderParam("Content-Type") String contentType,
            @QueryParam("allOrNothing") @DefaultValue("false") boolean allOrNothing,
            @QueryParam("dryRun") @DefaultValue("false") boolean dryRun,
            @QueryParam("asResolved") @DefaultValue("false") boolean asResolved,
            @QueryParam("queueId") @DefaultValue("") String queueId, byte[] content) {
        var format = contentType != null && contentType.startsWith("text/csv")
                ? io.plumbline.proto.annotation.v1.LabelFormat.LABEL_FORMAT_CSV
                : io.plumbline.proto.annotation.v1.LabelFormat.LABEL_FORMAT_JSONL;
        return as(key, project, c -> labelImport.importLabels(c, ImportLabelsRequest.newBuilder().setProjectId(project)
                .setFormat(format).setContent(com.google.protobuf.ByteString.copyFrom(content))
                .setAllOrNothing(allOrNothing).setDryRun(dryRun).setAsResolved(asResolved).setQueueId(queueId).build()));
    }

    @GET
    @Path("/annotations/export")
    @Produces({"text/csv", "application/x-ndjson", MediaType.APPLICATION_JSON})
    @Operation(summary = "Download resolved annotations as CSV or JSONL (format=csv|jsonl)")
    public Uni<jakarta.ws.rs.core.Response> exportAnnotations(@HeaderParam("X-API-Key") String key,
            @PathParam("project") String project, @QueryParam("format") @DefaultValue("csv") String format,
            @QueryParam("metricId") @DefaultValue("") String metricId,
            @QueryParam("queueId") @DefaultValue("") String queueId) {
        boolean csv = !format.equalsIgnoreCase("jsonl");
        return as(key, project, c -> export.export(ExportAnnotationsRequest.newBuilder().setProjectId(project)
                .setFormat(csv ? io.plumbline.proto.annotation.v1.LabelFormat.LABEL_FORMAT_CSV
                        : io.plumbline.proto.annotation.v1.LabelFormat.LABEL_FORMAT_JSONL)
                .setMetricId(metricId).setQueueId(queueId).build())).map(chunks -> {
            java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
            chunks.forEach(chunk -> file.writeBytes(chunk.getData().toByteArray()));
            return jakarta.ws.rs.core.Response.ok(file.toByteArray(), csv ? "text/csv" : "application/x-ndjson")
                    .header("Content-Disposition", "attachment; filename=\"annotations." + (csv ? "csv" : "jsonl") + "\"")
                    .build();
        });
    }

    @GET
    @Path("/me")
    @Operation(summary = "The caller's reviewer identity")
    public Uni<Reviewer> me(@HeaderParam("X-API-Key") String key, @PathParam("project") String project) {
        return as(key, project, c -> Uni.createFrom().item(c.reviewer()));
    }

    private <T> Uni<T> as(String apiKey, String projectId, Function<Caller, Uni<T>> serviceCall) {
        return call(() -> serviceCall.apply(callers.ofApiKey(apiKey, projectId)));
    }
}
