package io.plumbline.common.kafka;

import java.util.List;

/**
 * The Kafka topics of the platform, with the partition counts they are created with everywhere: in tests, in the
 * local stack and in the Kubernetes manifests. Every topic has a dead-letter twin named {@code <topic>.dlq}.
 */
public enum Topic {
    /** OTLP ExportTraceServiceRequest messages, as the OpenTelemetry Collector's Kafka exporter writes them; keyed by trace id. */
    OTLP_SPANS("otlp_spans", 6),
    /** {@code plumbline.registry.v1.MetricEvent}, keyed by metric id. */
    METRICS("plumbline.metrics", 3),
    /** {@code plumbline.judge.v1.EvaluationEvent}, keyed by metric id. */
    EVALUATIONS("plumbline.evaluations", 6),
    /** {@code plumbline.annotation.v1.AnnotationEvent}, keyed by metric id. */
    ANNOTATIONS("plumbline.annotations", 3),
    /** {@code plumbline.alignment.v1.AlignmentEvent}, keyed by metric id. */
    ALIGNMENT("plumbline.alignment", 3);

    private final String topicName;
    private final int partitions;

    Topic(String topicName, int partitions) {
        this.topicName = topicName;
        this.partitions = partitions;
    }

    public String topicName() {
        return topicName;
    }

    public int partitions() {
        return partitions;
    }

    /** The dead-letter twin, where messages that cannot be decoded or processed go with the reason in headers. */
    public String deadLetterTopicName() {
        return topicName + ".dlq";
    }

    /** Every topic name the platform uses, dead-letter twins included. */
    public static List<String> allTopicNames() {
        return java.util.Arrays.stream(values())
                .flatMap(t -> java.util.stream.Stream.of(t.topicName(), t.deadLetterTopicName()))
                .toList();
    }
}
