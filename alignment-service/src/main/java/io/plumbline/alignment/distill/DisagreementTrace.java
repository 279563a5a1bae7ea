package io.plumbline.alignment.distill;

import io.plumbline.proto.common.v1.MetricValue;
import java.util.List;

/**
 * One labelled judgment as the reflection model reads it: what was judged, what the judge said and why, what the
 * experts say it should have been and why.
 *
 * @param annotationId the resolved annotation it comes from (guidelines keep these ids)
 * @param critiques the experts' critiques, the deciding ones first
 */
public record DisagreementTrace(String annotationId, String input, String output, String context, MetricValue judgeValue,
        String judgeReasoning, MetricValue expertValue, List<String> critiques) {
}
