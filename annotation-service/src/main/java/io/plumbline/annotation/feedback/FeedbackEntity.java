package io.plumbline.annotation.feedback;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.common.v1.MetricValue;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** One reviewer's feedback on one item. */
@Entity
@Table(name = "feedback")
public class FeedbackEntity extends PanacheEntityBase {

    /** The columns {@link #fromRow} reads, for statements of the reactive client. */
    public static final String COLUMNS = """
            id, project_id, item_id, reviewer_id, verdict, expected_value_json, value_json, critique, tags, imported,
            revision, created_at, updated_at""";

    @Id
    public UUID id;
    @Column(name = "project_id")
    public String projectId;
    @Column(name = "item_id")
    public UUID itemId;
    @Column(name = "reviewer_id")
    public String reviewerId;
    public String verdict;
    @Column(name = "expected_value_json")
    public String expectedValueJson;
    @Column(name = "value_json")
    public String valueJson;
    public String critique;
    public String tags;
    public boolean imported;
    public long revision;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;

    /** The value as last set by {@link #setValue} or read, so that a transaction does not parse its JSON again. */
    @Transient
    private MetricValue value;

    public MetricValue value() {
        if (value == null) {
            value = ProtoJson.parse(valueJson, MetricValue.getDefaultInstance());
        }
        return value;
    }

    /** Sets the value this feedback stands for, as a message and as its stored JSON. */
    public void setValue(MetricValue v, String json) {
        value = v;
        valueJson = json;
    }

    /** Feedback read by the reactive client ({@link #COLUMNS}), outside any Hibernate session. */
    public static FeedbackEntity fromRow(Row r) {
        FeedbackEntity f = new FeedbackEntity();
        f.id = r.getUUID("id");
        f.projectId = r.getString("project_id");
        f.itemId = r.getUUID("item_id");
        f.reviewerId = r.getString("reviewer_id");
        f.verdict = r.getString("verdict");
        f.expectedValueJson = r.getString("expected_value_json");
        f.valueJson = r.getString("value_json");
        f.critique = r.getString("critique");
        f.tags = r.getString("tags");
        f.imported = r.getBoolean("imported");
        f.revision = r.getLong("revision");
        f.createdAt = r.getOffsetDateTime("created_at");
        f.updatedAt = r.getOffsetDateTime("updated_at");
        return f;
    }

    public List<String> tagList() {
        return tags == null || tags.isEmpty() ? List.of() : Arrays.asList(tags.split(","));
    }
}
