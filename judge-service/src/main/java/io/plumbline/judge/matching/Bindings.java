package io.plumbline.judge.matching;

import io.plumbline.judge.normalize.ContentHash;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.SourceConvention;
import io.plumbline.proto.registry.v1.AttributeMatcher;
import io.plumbline.proto.registry.v1.Binding;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Which records a metric's bindings select: attribute matchers, then deterministic sampling. */
public final class Bindings {

    private Bindings() {
    }

    /** The first binding of {@code bindings} that selects the record, if any. */
    public static Optional<Binding> selecting(Iterable<Binding> bindings, String metricId, RecordSnapshot record) {
        for (Binding binding : bindings) {
            if (binding.getMatchersList().stream().allMatch(m -> matches(m, record)) && sampled(binding, metricId, record)) {
                return Optional.of(binding);
            }
        }
        return Optional.empty();
    }

    /**
     * The record with its input, output and context read from the plain attributes the binding names
     * ({@code input_attribute}, {@code output_attribute}, {@code context_attribute}), for records that follow no GenAI
     * convention; empty when the binding names none of them or the record has none. The attributes read leave the
     * record's attributes (they are its content now), and the content hash is that of the new content.
     */
    public static Optional<RecordSnapshot> plainContent(RecordSnapshot record, Binding binding) {
        String input = attribute(record, binding.getInputAttribute());
        String output = attribute(record, binding.getOutputAttribute());
        String context = attribute(record, binding.getContextAttribute());
        if (input == null && output == null && context == null) {
            return Optional.empty();
        }
        var withContent = record.toBuilder().setConvention(SourceConvention.SOURCE_CONVENTION_BINDING_ATTRIBUTES);
        if (input != null) {
            withContent.setInput(input).removeAttributes(binding.getInputAttribute());
        }
        if (output != null) {
            withContent.setOutput(output).removeAttributes(binding.getOutputAttribute());
        }
        if (context != null) {
            withContent.getContextBuilder().setText(context);
            withContent.removeAttributes(binding.getContextAttribute());
        }
        return Optional.of(withContent.setContentHash(ContentHash.of(withContent)).build());
    }

    private static String attribute(RecordSnapshot record, String key) {
        return key.isEmpty() ? null : record.getAttributesMap().get(key);
    }

    static boolean matches(AttributeMatcher matcher, RecordSnapshot record) {
        Map<String, String> attributes = matcher.getScope() == AttributeMatcher.Scope.SCOPE_RESOURCE
                ? record.getResourceAttributesMap() : record.getAttributesMap();
        String value = attributes.get(matcher.getKey());
        return switch (matcher.getOperator()) {
            case OPERATOR_EQUALS -> matcher.getValue().equals(value);
            case OPERATOR_NOT_EQUALS -> !matcher.getValue().equals(value);
            case OPERATOR_EXISTS -> value != null;
            case OPERATOR_NOT_EXISTS -> value == null;
            case OPERATOR_PREFIX -> value != null && value.startsWith(matcher.getValue());
            case OPERATOR_REGEX -> value != null && Pattern.compile(matcher.getValue()).matcher(value).matches();
            case OPERATOR_UNSPECIFIED, UNRECOGNIZED -> false;
        };
    }

    /**
     * Sampling by a hash of the metric and the record id, not by chance: every replica, and every replay, makes the same
     * choice for the same record.
     */
    static boolean sampled(Binding binding, String metricId, RecordSnapshot record) {
        double rate = binding.getSamplingRate() == 0 ? 1 : binding.getSamplingRate();
        return rate >= 1 || unitInterval(metricId + "/" + record.getRecord().getRecordId()) < rate;
    }

    static double unitInterval(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            long bits = ByteBuffer.wrap(digest).getLong() >>> 11; // 53 bits
            return bits / (double) (1L << 53);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
