package io.plumbline.console.review;

import io.grpc.StatusRuntimeException;
import io.plumbline.console.shell.Caller;
import io.plumbline.console.shell.ServiceError;
import io.plumbline.console.view.Values;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc;
import io.plumbline.proto.annotation.v1.GetItemRequest;
import io.plumbline.proto.annotation.v1.GetReviewerProgressRequest;
import io.plumbline.proto.annotation.v1.ListQueuesRequest;
import io.plumbline.proto.annotation.v1.NextItemRequest;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.ReviewQueue;
import io.plumbline.proto.annotation.v1.ReviewerQueueProgress;
import io.plumbline.proto.annotation.v1.SkipItemRequest;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.GetVersionRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The screen a domain expert lives in: their queues, then one item after another. */
@Path("/review")
@Produces(MediaType.TEXT_HTML)
public class ReviewResource {

    /** A queue in the list: its counts and this reviewer's share. */
    public record QueueRow(String id, String name, String description, String metricId, long total, long reviewed,
                           long resolved, long open, long mine, long available, boolean paused) {
        public int percentResolved() {
            return total == 0 ? 0 : (int) Math.round(100.0 * resolved / total);
        }
    }

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance queues(List<QueueRow> queues, String section);

        static native TemplateInstance item(ItemView item, FeedbackForm form, String error,
                                            Map<String, String> fieldErrors, String saved, String section);

        static native TemplateInstance done(QueueRow queue, String section);
    }

    @Inject
    Caller caller;

    @GrpcClient("annotations")
    AnnotationsGrpc.AnnotationsBlockingStub annotations;

    @GrpcClient("registry")
    MetricRegistryGrpc.MetricRegistryBlockingStub registry;

    @GET
    public TemplateInstance queues() {
        var stub = caller.authorized(annotations);
        List<ReviewQueue> queues = stub.listQueues(ListQueuesRequest.newBuilder().setProjectId(caller.project())
                .setAvailableToMe(true).setPageSize(200).build()).getQueuesList();
        Map<String, ReviewerQueueProgress> mine = myProgress(stub);
        return Templates.queues(queues.stream().map(q -> row(q, mine.get(q.getId()))).toList(), "review");
    }

    /** This reviewer's share per queue; empty when the service cannot say (the queue list still works without it). */
    private Map<String, ReviewerQueueProgress> myProgress(AnnotationsGrpc.AnnotationsBlockingStub stub) {
        try {
            return stub.getReviewerProgress(GetReviewerProgressRequest.newBuilder().setProjectId(caller.project())
                            .setReviewerId(caller.id()).build())
                    .getQueuesList().stream().collect(Collectors.toMap(ReviewerQueueProgress::getQueueId,
                            Function.identity(), (a, b) -> a));
        } catch (StatusRuntimeException e) {
            return Map.of();
        }
    }

    @GET
    @Path("queues/{queue}/next")
    public Response next(@PathParam("queue") String queueId, @QueryParam("saved") String saved) {
        var stub = caller.authorized(annotations);
        var next = stub.nextItem(NextItemRequest.newBuilder().setProjectId(caller.project()).setQueueId(queueId).build());
        if (!next.hasItem()) {
            ReviewQueue queue = stub.getQueue(io.plumbline.proto.annotation.v1.GetQueueRequest.newBuilder()
                    .setProjectId(caller.project()).setQueueId(queueId).build());
            return Response.ok(Templates.done(row(queue, null), "review")).build();
        }
        UriBuilder target = UriBuilder.fromPath("/review/items/{item}");
        if (saved != null) {
            target.queryParam("saved", saved);
        }
        return Response.seeOther(target.build(next.getItem().getId())).build();
    }

    @GET
    @Path("items/{item}")
    public TemplateInstance item(@PathParam("item") String itemId, @QueryParam("saved") String saved) {
        return Templates.item(view(load(itemId)), FeedbackForm.empty(), null, Map.of(), saved, "review");
    }

    @POST
    @Path("items/{item}/feedback")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response submit(@PathParam("item") String itemId, @BeanParam FeedbackForm form) {
        ReviewItem item = load(itemId);
        var request = SubmitFeedbackRequest.newBuilder().setProjectId(caller.project()).setItemId(itemId);
        if (form.verdict == null || form.verdict.isBlank()) {
            return refused(item, form, "Say whether the judge was correct.", Map.of("verdict", "choose correct or incorrect"));
        }
        request.setVerdict(form.incorrect() ? Verdict.VERDICT_INCORRECT : Verdict.VERDICT_CORRECT);
        if (form.incorrect()) {
            try {
                request.setExpectedValue(Values.parse(item.getEvaluation().getOutputType(), form.expected));
            } catch (IllegalArgumentException e) {
                return refused(item, form, "The expected value is missing or malformed.", Map.of("expected", e.getMessage()));
            }
        }
        request.setCritique(form.critique == null ? "" : form.critique.strip()).addAllTags(form.tagList());
        try {
            caller.authorized(annotations).submitFeedback(request.build());
        } catch (StatusRuntimeException e) {
            ServiceError error = ServiceError.of(e);
            return refused(item, form, error.message(), formFields(error.fields()));
        }
        return Response.seeOther(UriBuilder.fromPath("/review/queues/{queue}/next").queryParam("saved", "1")
                .build(item.getQueueId())).build();
    }

    @POST
    @Path("items/{item}/skip")
    public Response skip(@PathParam("item") String itemId) {
        ReviewItem item = caller.authorized(annotations).skipItem(SkipItemRequest.newBuilder()
                .setProjectId(caller.project()).setItemId(itemId).setReason("skipped in the console").build());
        return Response.seeOther(UriBuilder.fromPath("/review/queues/{queue}/next").build(item.getQueueId())).build();
    }

    private Response refused(ReviewItem item, FeedbackForm form, String error, Map<String, String> fields) {
        return Response.status(400).entity(Templates.item(view(item), form, error, fields, null, "review")).build();
    }

    /** The service names proto fields (expected_value, critique); the form names its inputs. */
    private static Map<String, String> formFields(Map<String, String> serviceFields) {
        return serviceFields.entrySet().stream().collect(Collectors.toMap(
                e -> e.getKey().contains("expected") ? "expected" : e.getKey().contains("critique") ? "critique"
                        : e.getKey().contains("verdict") ? "verdict" : e.getKey().contains("tag") ? "tags" : e.getKey(),
                Map.Entry::getValue, (a, b) -> a + "; " + b));
    }

    private ReviewItem load(String itemId) {
        return caller.authorized(annotations).getItem(GetItemRequest.newBuilder().setProjectId(caller.project())
                .setItemId(itemId).build());
    }

    private ItemView view(ReviewItem item) {
        var ref = item.getEvaluation().getMetricVersion();
        var metric = registry.getMetric(GetMetricRequest.newBuilder().setProjectId(caller.project())
                .setMetricId(ref.getMetricId()).build());
        var version = registry.getVersion(GetVersionRequest.newBuilder().setProjectId(caller.project())
                .setMetricId(ref.getMetricId()).setVersion(ref.getVersion()).build());
        return ItemView.of(item, metric, version);
    }

    private static QueueRow row(ReviewQueue q, ReviewerQueueProgress mine) {
        var c = q.getCounts();
        return new QueueRow(q.getId(), q.getName(), q.getDescription(), q.getMetricId(), c.getTotal(), c.getReviewed(),
                c.getResolved(), c.getOpen(), mine == null ? 0 : mine.getCounts().getReviewed(),
                mine == null ? c.getOpen() : mine.getCounts().getAvailable(), q.getPaused());
    }
}
