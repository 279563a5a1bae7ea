package io.plumbline.annotation.feedback;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.annotation.v1.Feedback;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.MetricValue;

/** Feedback rows as messages. */
public final class FeedbackViews {

    private FeedbackViews() {
    }

    public static Feedback toProto(FeedbackEntity f) {
        var b = Feedback.newBuilder()
                .setId(f.id.toString())
                .setProjectId(f.projectId)
                .setItemId(f.itemId.toString())
                .setReviewerId(f.reviewerId)
                .setVerdict(Verdict.valueOf(f.verdict))
                .setCritique(f.critique)
                .addAllTags(f.tagList())
                .setValue(f.value())
                .setImported(f.imported)
                .setRevision(f.revision)
                .setCreateTime(ProtoJson.timestamp(f.createdAt))
                .setUpdateTime(ProtoJson.timestamp(f.updatedAt));
        if (f.expectedValueJson != null) {
            b.setExpectedValue(ProtoJson.parse(f.expectedValueJson, MetricValue.getDefaultInstance()));
        }
        return b.build();
    }
}
