package io.plumbline.annotation.reviewer;

import io.plumbline.proto.annotation.v1.Reviewer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reviewers and their API keys from the service configuration ({@link ReviewersConfig}). */
@ApplicationScoped
public class ConfiguredReviewerDirectory implements ReviewerDirectory {

    private final Map<String, Reviewer> byKey = new HashMap<>();
    private final List<Reviewer> all;

    ConfiguredReviewerDirectory(ReviewersConfig config) {
        config.reviewers().forEach((id, entry) -> byKey.put(entry.apiKey(), Reviewer.newBuilder()
                .setId(id)
                .setDisplayName(entry.displayName().orElse(id))
                .setAdmin(entry.admin())
                .addAllProjectIds(entry.projects().orElse(List.of()))
                .build()));
        all = byKey.values().stream().sorted(java.util.Comparator.comparing(Reviewer::getId)).toList();
    }

    @Override
    public Optional<Reviewer> byApiKey(String apiKey) {
        return apiKey == null || apiKey.isEmpty() ? Optional.empty() : Optional.ofNullable(byKey.get(apiKey));
    }

    @Override
    public List<Reviewer> all() {
        return all;
    }
}
