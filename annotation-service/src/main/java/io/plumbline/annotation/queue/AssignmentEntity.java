package io.plumbline.annotation.queue;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.UUID;

/** An item handed to a reviewer. The row stays after feedback, a skip or an expired lease: never the same item twice. */
@Entity
@Table(name = "assignment")
@IdClass(AssignmentEntity.Key.class)
public class AssignmentEntity extends PanacheEntityBase {

    public static final String ASSIGNED = "ASSIGNED";
    public static final String REVIEWED = "REVIEWED";
    public static final String SKIPPED = "SKIPPED";
    public static final String EXPIRED = "EXPIRED";

    @Id
    @Column(name = "item_id")
    public UUID itemId;
    @Id
    @Column(name = "reviewer_id")
    public String reviewerId;
    public String state;
    @Column(name = "lease_expires_at")
    public OffsetDateTime leaseExpiresAt;
    public String reason;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;

    /** The reviewer's assignment of the item, or null. */
    public static Uni<AssignmentEntity> mine(UUID itemId, String reviewerId) {
        Key key = new Key();
        key.itemId = itemId;
        key.reviewerId = reviewerId;
        return findById(key);
    }

    public static class Key implements Serializable {
        public UUID itemId;
        public String reviewerId;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(itemId, k.itemId) && Objects.equals(reviewerId, k.reviewerId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(itemId, reviewerId);
        }
    }
}
