package io.plumbline.annotation.reviewer;

import io.plumbline.common.api.PageToken;
import io.plumbline.proto.annotation.v1.ListReviewersRequest;
import io.plumbline.proto.annotation.v1.ListReviewersResponse;
import io.plumbline.proto.annotation.v1.Reviewer;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.TreeMap;

/** The reviewers of a project: those with access, and those known only from imported labels. */
@ApplicationScoped
public class ReviewerService {

    private final ReviewerDirectory directory;

    ReviewerService(ReviewerDirectory directory) {
        this.directory = directory;
    }

    /** Ordered by id; the page key is the id. */
    @WithSession
    public Uni<ListReviewersResponse> list(ListReviewersRequest r) {
        int size = PageToken.pageSize(r.getPageSize(), 50, 500);
        String after = PageToken.decode(r.getPageToken());
        return io.quarkus.hibernate.reactive.panache.Panache.getSession().chain(s -> s.createSelectionQuery(
                        "select distinct f.reviewerId from FeedbackEntity f where f.projectId = ?1 and f.imported = true",
                        String.class).setParameter(1, r.getProjectId()).getResultList())
                .map(imported -> {
                    TreeMap<String, Reviewer> byId = new TreeMap<>();
                    for (String id : imported) {
                        byId.put(id, Reviewer.newBuilder().setId(id).setDisplayName(id).setImportedOnly(true).build());
                    }
                    for (Reviewer reviewer : directory.all()) {
                        if (reviewer.getProjectIdsList().isEmpty() || reviewer.getProjectIdsList().contains(r.getProjectId())) {
                            byId.put(reviewer.getId(), reviewer.toBuilder().clearProjectIds()
                                    .addAllProjectIds(reviewer.getProjectIdsList()).build());
                        }
                    }
                    List<Reviewer> page = (after == null ? byId : byId.tailMap(after, false)).values().stream()
                            .limit(size + 1L).toList();
                    var response = ListReviewersResponse.newBuilder().addAllReviewers(page.stream().limit(size).toList());
                    if (page.size() > size) {
                        response.setNextPageToken(PageToken.encode(page.get(size - 1).getId()));
                    }
                    return response.build();
                });
    }
}
