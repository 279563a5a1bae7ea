package io.plumbline.annotation.api;

import io.plumbline.annotation.agreement.ReviewerAgreementService;
import io.plumbline.annotation.feedback.FeedbackService;
import io.plumbline.annotation.imports.AnnotationExport;
import io.plumbline.annotation.imports.LabelImport;
import io.plumbline.annotation.queue.ItemService;
import io.plumbline.annotation.queue.ProgressService;
import io.plumbline.annotation.queue.QueueService;
import io.plumbline.annotation.resolution.AnnotationService;
import io.plumbline.annotation.resolution.ResolutionSettingsService;
import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.annotation.reviewer.Callers;
import io.plumbline.annotation.reviewer.ReviewerService;
import io.plumbline.common.api.ServiceCalls;
import io.plumbline.proto.annotation.v1.AddItemsRequest;
import io.plumbline.proto.annotation.v1.AddItemsResponse;
import io.plumbline.proto.annotation.v1.AdjudicateRequest;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.CreateQueueRequest;
import io.plumbline.proto.annotation.v1.DeleteQueueRequest;
import io.plumbline.proto.annotation.v1.DeleteQueueResponse;
import io.plumbline.proto.annotation.v1.GetAnnotationRequest;
import io.plumbline.proto.annotation.v1.GetCurrentReviewerRequest;
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
import io.plumbline.proto.annotation.v1.MutinyAnnotationsGrpc;
import io.plumbline.proto.annotation.v1.NextItemRequest;
import io.plumbline.proto.annotation.v1.NextItemResponse;
import io.plumbline.proto.annotation.v1.GetReviewerProgressRequest;
import io.plumbline.proto.annotation.v1.QueueProgress;
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
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import java.util.function.Function;

/**
 * The gRPC API: a thin adapter over the services. The caller is read from the call's {@code x-api-key}; refusals leave
 * as {@link io.plumbline.common.api.ApiException}. Every rpc of the contract is implemented.
 */
@GrpcService
public class AnnotationsGrpcService extends MutinyAnnotationsGrpc.AnnotationsImplBase {

    private final Callers callers;
    private final QueueService queues;
    private final ItemService items;
    private final FeedbackService feedback;
    private final ResolutionSettingsService resolution;
    private final AnnotationService annotations;
    private final ReviewerAgreementService agreement;
    private final LabelImport labelImport;
    private final AnnotationExport export;
    private final ReviewerService reviewers;
    private final ProgressService progress;

    AnnotationsGrpcService(Callers callers, QueueService queues, ItemService items, FeedbackService feedback,
            ResolutionSettingsService resolution, AnnotationService annotations, ReviewerAgreementService agreement, LabelImport labelImport, AnnotationExport export,
            ReviewerService reviewers, ProgressService progress) {
        this.reviewers = reviewers;
        this.progress = progress;
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

    @Override
    public Uni<ReviewQueue> createQueue(CreateQueueRequest r) {
        return as(r.getProjectId(), c -> queues.create(c, r));
    }

    @Override
    public Uni<ReviewQueue> getQueue(GetQueueRequest r) {
        return as(r.getProjectId(), c -> queues.get(r));
    }

    @Override
    public Uni<ListQueuesResponse> listQueues(ListQueuesRequest r) {
        return as(r.getProjectId(), c -> queues.list(c, r));
    }

    @Override
    public Uni<ReviewQueue> updateQueue(UpdateQueueRequest r) {
        return as(r.getProjectId(), c -> queues.update(c, r));
    }

    @Override
    public Uni<DeleteQueueResponse> deleteQueue(DeleteQueueRequest r) {
        return as(r.getProjectId(), c -> queues.delete(c, r));
    }

    @Override
    public Uni<AddItemsResponse> addItems(AddItemsRequest r) {
        return as(r.getProjectId(), c -> items.add(c, r));
    }

    @Override
    public Uni<NextItemResponse> nextItem(NextItemRequest r) {
        return as(r.getProjectId(), c -> items.next(c, r));
    }

    @Override
    public Uni<ReviewItem> skipItem(SkipItemRequest r) {
        return as(r.getProjectId(), c -> items.skip(c, r));
    }

    @Override
    public Uni<ReviewItem> getItem(GetItemRequest r) {
        return as(r.getProjectId(), c -> items.get(c, r));
    }

    @Override
    public Uni<ListItemsResponse> listItems(ListItemsRequest r) {
        return as(r.getProjectId(), c -> items.list(c, r));
    }

    @Override
    public Uni<SubmitFeedbackResponse> submitFeedback(SubmitFeedbackRequest r) {
        return as(r.getProjectId(), c -> feedback.submit(c, r));
    }

    @Override
    public Uni<SubmitFeedbackResponse> updateFeedback(UpdateFeedbackRequest r) {
        return as(r.getProjectId(), c -> feedback.update(c, r));
    }

    @Override
    public Uni<ReviewItem> withdrawFeedback(WithdrawFeedbackRequest r) {
        return as(r.getProjectId(), c -> feedback.withdraw(c, r));
    }

    @Override
    public Uni<ReviewItem> adjudicate(AdjudicateRequest r) {
        return as(r.getProjectId(), c -> feedback.adjudicate(c, r));
    }

    @Override
    public Uni<ResolutionConfig> getResolutionConfig(GetResolutionConfigRequest r) {
        return as(r.getProjectId(), c -> resolution.get(r));
    }

    @Override
    public Uni<ResolutionConfig> updateResolutionConfig(UpdateResolutionConfigRequest r) {
        return as(r.getProjectId(), c -> resolution.update(c, r));
    }

    @Override
    public Uni<Annotation> getAnnotation(GetAnnotationRequest r) {
        return as(r.getProjectId(), c -> annotations.get(r));
    }

    @Override
    public Uni<ListAnnotationsResponse> listAnnotations(ListAnnotationsRequest r) {
        return as(r.getProjectId(), c -> annotations.list(r));
    }

    @Override
    public Uni<ReviewerAgreement> getReviewerAgreement(GetReviewerAgreementRequest r) {
        return as(r.getProjectId(), c -> agreement.agreement(r));
    }

    @Override
    public Uni<ImportLabelsResponse> importLabels(ImportLabelsRequest r) {
        return as(r.getProjectId(), c -> labelImport.importLabels(c, r));
    }

    @Override
    public io.smallrye.mutiny.Multi<ExportChunk> exportAnnotations(ExportAnnotationsRequest r) {
        return as(r.getProjectId(), c -> export.export(r))
                .onItem().transformToMulti(chunks -> io.smallrye.mutiny.Multi.createFrom().iterable(chunks));
    }

    @Override
    public Uni<ReviewItem> removeItem(io.plumbline.proto.annotation.v1.RemoveItemRequest r) {
        return as(r.getProjectId(), c -> items.remove(c, r));
    }

    @Override
    public Uni<io.plumbline.proto.annotation.v1.ListReviewersResponse> listReviewers(
            io.plumbline.proto.annotation.v1.ListReviewersRequest r) {
        return as(r.getProjectId(), c -> reviewers.list(r));
    }

    @Override
    public Uni<QueueProgress> getQueueProgress(GetQueueProgressRequest r) {
        return as(r.getProjectId(), c -> progress.queue(r));
    }

    @Override
    public Uni<ReviewerProgress> getReviewerProgress(GetReviewerProgressRequest r) {
        return as(r.getProjectId(), c -> progress.reviewer(c, r));
    }

    @Override
    public Uni<Reviewer> getCurrentReviewer(GetCurrentReviewerRequest r) {
        return as(r.getProjectId(), c -> Uni.createFrom().item(c.reviewer()));
    }

    /**
     * Names the caller from the call's credentials (synchronously: the gRPC context holds them only now), then runs
     * the service call so that a refusal thrown before its Uni exists still fails the Uni, translated.
     */
    private <T> Uni<T> as(String projectId, Function<Caller, Uni<T>> serviceCall) {
        Caller caller;
        try {
            caller = callers.ofGrpcCall(projectId);
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(e);
        }
        return ServiceCalls.call(() -> serviceCall.apply(caller));
    }
}
