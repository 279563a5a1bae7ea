package io.plumbline.annotation.feedback;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.common.v1.MetricValue;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
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

    public List<String> tagList() {
        return tags == null || tags.isEmpty() ? List.of() : Arrays.asList(tags.split(","));
    }
}
