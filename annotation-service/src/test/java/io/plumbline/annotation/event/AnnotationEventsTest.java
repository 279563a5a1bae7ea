package io.plumbline.annotation.event;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.plumbline.proto.annotation.v1.Critique;
import io.plumbline.proto.common.v1.MetricValue;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class AnnotationEventsTest {

    @Test
    void anEventSerializedFromItsAnnotationsBytesIsTheSameMessage() throws Exception {
        Annotation annotation = Annotation.newBuilder().setId(UUID.randomUUID().toString()).setProjectId("p")
                .setEvaluationId("e-1").setExpectedValue(MetricValue.newBuilder().setBoolean(false))
                .addCritiques(Critique.newBuilder().setReviewerId("alice").setCritique("names a dosage without the "
                        + "disclaimer the rubric requires"))
                .setRevision(2).build();
        UUID eventId = UUID.randomUUID();
        AnnotationEvent event = AnnotationEvents.event(eventId, annotation, AnnotationEvent.Type.TYPE_RESOLUTION_CHANGED,
                UUID.randomUUID().toString());

        AnnotationEvents.Serialized serialized = AnnotationEvents.serialize(event, annotation.toByteArray());

        assertEquals(event, AnnotationEvent.parseFrom(serialized.payload()));
        assertEquals(eventId, serialized.eventId());
        assertEquals(event.getMetricId(), serialized.metricId());
    }
}
