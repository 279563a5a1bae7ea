package io.plumbline.annotation.reviewer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code plumbline.reviewers."<reviewer id>".api-key|display-name|admin|projects}. */
@ConfigMapping(prefix = "plumbline.reviewers")
public interface ReviewersConfig {

    @WithParentName
    Map<String, Entry> reviewers();

    interface Entry {
        /** The secret the reviewer sends in {@code x-api-key} (gRPC) or {@code X-API-Key} (REST). */
        String apiKey();

        Optional<String> displayName();

        @WithDefault("false")
        boolean admin();

        /** Projects the reviewer may work in; none means all. */
        Optional<List<String>> projects();
    }
}
