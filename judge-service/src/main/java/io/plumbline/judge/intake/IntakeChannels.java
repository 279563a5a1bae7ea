package io.plumbline.judge.intake;

/** The messaging channels of the intake (configured under {@code mp.messaging.*.<channel>} in application.properties). */
public final class IntakeChannels {

    /** Reads {@code otlp_spans}; undecodable records go to {@code otlp_spans.dlq}. */
    public static final String SPANS_IN = "otlp-spans";
    /** Appends to {@code otlp_spans}, keyed by trace id: what the OTLP receivers accepted. */
    public static final String SPANS_APPEND = "otlp-spans-append";

    private IntakeChannels() {
    }
}
