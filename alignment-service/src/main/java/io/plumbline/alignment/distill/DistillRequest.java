package io.plumbline.alignment.distill;

import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.VersionContent;
import java.util.List;

/**
 * What the reflection model works from.
 *
 * @param disagreements the training disagreements
 * @param agreements a sample of rows where judge and experts agree, so the guidelines do not break what works
 * @param batchSize disagreements per reflection call; more make several calls and a final merge
 * @param maxExamples few-shot examples to pick at most
 */
public record DistillRequest(String metricName, String metricDescription, OutputType outputType, VersionContent current,
        List<DisagreementTrace> disagreements, List<DisagreementTrace> agreements, ModelConfig reflectionModel,
        int batchSize, int maxExamples) {
}
