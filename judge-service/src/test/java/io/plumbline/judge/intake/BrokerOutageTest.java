package io.plumbline.judge.intake;

import static io.plumbline.judge.OtlpSpans.attr;
import static io.plumbline.judge.OtlpSpans.newTraceId;
import static io.plumbline.judge.OtlpSpans.request;
import static io.plumbline.judge.OtlpSpans.resource;
import static io.plumbline.judge.OtlpSpans.span;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.grpc.StatusRuntimeException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc.TraceServiceBlockingStub;
import io.plumbline.testing.KafkaBroker;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;

/** While Kafka cannot take spans, exporters are told to retry; once it is back, their retry goes through. */
@QuarkusTest
class BrokerOutageTest {

    @GrpcClient("otlp")
    TraceServiceBlockingStub traceService;

    @Inject
    RecordedSpans recorded;

    @Test
    void exportsDuringABrokerOutageAreRetryableAndSucceedOnceItIsBack() {
        KafkaBroker broker = KafkaBroker.shared();
        String traceId = newTraceId();
        ExportTraceServiceRequest export = request(resource(), span(traceId, "chat", attr("gen_ai.prompt", "during the outage")));
        broker.stop();
        try {
            StatusRuntimeException grpc = assertThrows(StatusRuntimeException.class, () -> traceService.export(export));
            assertEquals(io.grpc.Status.Code.UNAVAILABLE, grpc.getStatus().getCode(), "a code the OTLP exporter retries");

            given().contentType("application/x-protobuf").body(export.toByteArray()).post("/v1/traces")
                    .then().statusCode(503).header("Retry-After", "5");
        } finally {
            broker.start();
        }
        // The exporter's retry: accepted once the broker is back (within the producer's bounded blocking).
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            traceService.export(export);
            return true;
        });
        assertEquals("during the outage", recorded.await(traceId, 1).get(0).snapshot().getInput());
    }
}
