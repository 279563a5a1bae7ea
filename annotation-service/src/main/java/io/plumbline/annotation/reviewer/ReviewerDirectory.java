package io.plumbline.annotation.reviewer;

import io.plumbline.proto.annotation.v1.Reviewer;
import java.util.List;
import java.util.Optional;

/**
 * Who calls: maps the credentials of a call to a reviewer. The configured mapping ({@link ConfiguredReviewerDirectory})
 * is the only one today; real authentication replaces it by providing another bean of this type.
 */
public interface ReviewerDirectory {

    /** The reviewer holding {@code apiKey}, if any. */
    Optional<Reviewer> byApiKey(String apiKey);

    /** Every reviewer who can call the API, ordered by id. */
    List<Reviewer> all();
}
