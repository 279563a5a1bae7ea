package io.plumbline.judge.normalize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.plumbline.proto.judge.v1.SourceConvention;

/**
 * The mapping table of one GenAI tracing convention: which attribute keys carry which {@link Field}. Adding a
 * convention is adding a table (see {@link ConventionTables}); the normalizer does not change.
 */
final class ConventionTable {

    private final SourceConvention convention;
    private final Map<String, Ranked> exact = new HashMap<>();
    /** Patterns by the literal text before their first index (a few per table): a key is tried against the patterns
     * of the prefixes it starts with, not against every pattern. */
    private final Map<String, List<Ranked>> patternsByPrefix = new LinkedHashMap<>();

    private static final int[] NO_INDEXES = new int[0];

    private record Ranked(MappingRule rule, int rank) {
    }

    ConventionTable(SourceConvention convention, List<MappingRule> rules) {
        this.convention = convention;
        for (int rank = 0; rank < rules.size(); rank++) {
            MappingRule rule = rules.get(rank);
            if (rule.key().isExact()) {
                exact.putIfAbsent(rule.key().template(), new Ranked(rule, rank));
            } else {
                patternsByPrefix.computeIfAbsent(rule.key().prefix(), p -> new ArrayList<>()).add(new Ranked(rule, rank));
            }
        }
    }

    SourceConvention convention() {
        return convention;
    }

    /** Reads every attribute this table knows into a new extraction; attributes it does not know are ignored. */
    Extraction extract(Map<String, AnyValue> attributes) {
        Extraction extraction = new Extraction(convention);
        attributes.forEach((key, value) -> read(extraction, key, value));
        return extraction;
    }

    /** Reads one attribute if this table knows its key. */
    void read(Extraction extraction, String key, AnyValue value) {
        Ranked hit = exact.get(key);
        if (hit != null) {
            extraction.put(hit.rule(), hit.rank(), key, NO_INDEXES, value);
            return;
        }
        for (Map.Entry<String, List<Ranked>> prefixed : patternsByPrefix.entrySet()) {
            if (!key.startsWith(prefixed.getKey())) {
                continue;
            }
            for (Ranked candidate : prefixed.getValue()) {
                int[] indexes = candidate.rule().key().match(key);
                if (indexes != null) {
                    extraction.put(candidate.rule(), candidate.rank(), key, indexes, value);
                    return;
                }
            }
        }
    }
}
